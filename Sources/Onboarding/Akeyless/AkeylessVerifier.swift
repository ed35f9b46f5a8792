import AkeylessClient
import FleetformBasics
import Inventory

/// `verify --akeyless`: each synced account's target and binding read back and compared
/// with what a sync would make of the inventory now. A difference makes the account
/// `drifted` (its Akeyless record too); the next sync repairs it and clears that.
public struct AkeylessVerifier: Sendable {
    public var api: AkeylessAPI
    public var database: any InventoryStore

    public init(api: AkeylessAPI, database: any InventoryStore) {
        self.api = api
        self.database = database
    }

    public struct Outcome: Sendable, Equatable {
        public var accountID: String
        public var finding: RoleVerifier.Finding
    }

    /// Verifies the accounts that have a synced (or drifted) record; the others are not
    /// in the answer. Each shared method is read once.
    public func verify(_ onboarded: [(account: AccountRecord, standing: AccountStanding)]) async throws -> [Outcome] {
        let checked = onboarded.filter { [.synced, .drifted].contains($0.standing.akeyless?.status) && $0.standing.roleARN != nil }
        let methods = Set(checked.compactMap { $0.standing.akeyless?.layout == .shared ? $0.standing.akeyless?.authMethod : nil })
        var sharedMethods: [String: MethodLookup] = [:]
        for name in methods {
            do {
                sharedMethods[name] = .found(try await api.authMethod(named: name))
            } catch {
                sharedMethods[name] = .failed("\(error)")
            }
        }
        let known = sharedMethods
        let outcomes = await BoundedConcurrency.map(checked, limit: max(api.concurrency, 1)) { account, standing in
            Outcome(accountID: account.accountID, finding: await check(account, standing, sharedMethods: known))
        }
        let readAt = Dictionary(checked.compactMap { pair in pair.standing.akeyless.map { (pair.account.accountID, $0.updatedAt) } },
                                uniquingKeysWith: { a, _ in a })
        for outcome in outcomes {
            switch outcome.finding {
            case .drifted(let reason):
                try database.markAkeylessDrifted(accountID: outcome.accountID, reason: reason,
                                                 readAt: readAt[outcome.accountID] ?? "")
            case .asRecorded: try database.markAkeylessVerified(accountID: outcome.accountID)
            case .unchecked: break
            }
        }
        return outcomes
    }

    private func check(
        _ account: AccountRecord, _ standing: AccountStanding,
        sharedMethods: [String: MethodLookup]
    ) async -> RoleVerifier.Finding {
        guard let record = standing.akeyless, let roleARN = standing.roleARN else { return .unchecked("not synced") }
        let wanted = AkeylessWanted.target(named: record.target, account: account, roleARN: roleARN)
        do {
            guard let target = try await api.awsTarget(named: record.target) else {
                return .drifted("target \(record.target) is missing")
            }
            if let difference = Self.difference(target, wanted) {
                return .drifted("target \(record.target) \(difference)")
            }
        } catch {
            return .unchecked("\(error)")
        }
        let method: AkeylessAWSIAMAuthMethod?
        switch record.layout {
        case .shared:
            switch sharedMethods[record.authMethod] ?? .found(nil) {
            case .found(let found): method = found
            case .failed(let error): return .unchecked(error)
            }
        case .perAccount:
            do {
                method = try await api.authMethod(named: record.authMethod)
            } catch {
                return .unchecked("\(error)")
            }
        }
        guard let method else { return .drifted("auth method \(record.authMethod) is missing") }
        if let recorded = record.accessID, !recorded.isEmpty, method.accessID != recorded {
            // Made again by someone: gateways configured with the recorded access id cannot log in.
            return .drifted("auth method \(record.authMethod) has access id \(method.accessID), recorded \(recorded)")
        }
        let binding = AkeylessWanted.binding(accountID: account.accountID, roleARN: roleARN)
        if !method.boundAWSAccountIDs.contains(binding.accountID) {
            return .drifted("the account is no longer bound to the auth method \(record.authMethod)")
        }
        if !method.boundRoleNames.isEmpty, !method.boundRoleNames.contains(binding.roleName) {
            return .drifted("the role name \(binding.roleName) is no longer bound to the auth method \(record.authMethod)")
        }
        return .asRecorded
    }

    /// A shared method as read once for all its accounts.
    enum MethodLookup: Sendable {
        case found(AkeylessAWSIAMAuthMethod?)
        case failed(String)
    }

    /// How the target differs from what a sync would make, or nil.
    static func difference(_ target: AkeylessAWSTarget, _ wanted: AkeylessAWSTargetSpec) -> String? {
        if let type = target.type, type != "aws" { return "is a \(type) target" }
        if !target.useGatewayCloudIdentity { return "no longer uses the gateway's cloud identity" }
        if target.region != wanted.region { return "has region \(target.region), wanted \(wanted.region)" }
        if let description = wanted.description, target.description != description { return "has another description" }
        return nil
    }
}
