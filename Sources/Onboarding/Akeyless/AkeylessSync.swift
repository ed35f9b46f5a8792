import AkeylessClient
import FleetformBasics
import Foundation
import Inventory
import Synchronization

/// `akeyless sync`: for each onboarded account, its AWS target and its binding to an AWS
/// IAM auth method, made true by reading first. A matching item is left alone, a
/// different one updated, a missing one created, so a second sync with nothing changed
/// writes nothing. The shared method is read once and written at most once per sync,
/// with its bound lists merged: 1,000 accounts are 1,000 target creations and one
/// auth-method write, not 1,000 read-modify-writes racing each other.
///
/// It prints nothing: each account's outcome is reported as it ends, the whole as a
/// `Report`, and every outcome is recorded in the inventory.
public struct AkeylessSync: Sendable {
    public var api: AkeylessAPI
    public var database: any InventoryStore

    public init(api: AkeylessAPI, database: any InventoryStore) {
        self.api = api
        self.database = database
    }

    /// Where a sync puts things: `--target-prefix`, `--auth-method`,
    /// `--auth-method-per-account`.
    public struct Settings: Sendable, Equatable {
        public static let defaultTargetPrefix = "/fleetform/aws"
        public static let defaultAuthMethod = "/fleetform/aws-gateways"

        public var targetPrefix: String
        /// The shared method's name, or the prefix of the per-account ones.
        public var authMethod: String
        public var layout: AkeylessLayout
        public var failureTolerance: FailureTolerance?

        public init(targetPrefix: String = defaultTargetPrefix, authMethod: String = defaultAuthMethod,
                    layout: AkeylessLayout = .shared, failureTolerance: FailureTolerance? = nil) {
            self.targetPrefix = targetPrefix
            self.authMethod = authMethod
            self.layout = layout
            self.failureTolerance = failureTolerance
        }

        func placement(accountID: String, apiURL: String) -> AkeylessPlacement {
            AkeylessPlacement(
                apiURL: apiURL, target: AkeylessWanted.targetName(prefix: targetPrefix, accountID: accountID),
                authMethod: AkeylessWanted.authMethodName(authMethod, layout: layout, accountID: accountID), layout: layout)
        }
    }

    /// One account to sync, with where its items go (a retry repeats each account's own).
    public struct Item: Sendable {
        public var account: AccountRecord
        public var roleARN: String
        public var placement: AkeylessPlacement
    }

    /// What happened to an item in Akeyless.
    public enum Change: String, Sendable, Equatable {
        case created, updated, unchanged
    }

    public enum Outcome: Sendable, Equatable {
        case synced(target: Change, binding: Change, accessID: String)
        case failed(String)
        /// Not attempted: the failures exceeded the tolerance, or the sync was stopped.
        case notStarted(String)
    }

    public struct AccountOutcome: Sendable, Equatable {
        public var accountID: String
        public var name: String
        public var target: String
        public var outcome: Outcome
    }

    public struct Report: Sendable, Equatable {
        public var accounts: [AccountOutcome]
        /// HTTP requests sent (retries and the login included), and those that wrote.
        public var requests: Int
        public var writes: Int
        public var elapsed: Duration

        public var failed: Int {
            accounts.count { !$0.outcome.isSuccess }
        }

        public func count(target change: Change) -> Int {
            accounts.count { if case .synced(change, _, _) = $0.outcome { true } else { false } }
        }
    }

    /// The write operations, for `Report.writes`.
    static let writeOperations = [
        "target-create-aws", "target-update-aws", "target-delete",
        "auth-method-create-aws-iam", "auth-method-update-aws-iam", "auth-method-delete",
    ]

    /// The items for `accounts` as `settings` places them.
    public func items(_ accounts: [(account: AccountRecord, standing: AccountStanding)], settings: Settings) -> [Item] {
        accounts.compactMap { account, standing in
            standing.roleARN.map {
                Item(account: account, roleARN: $0,
                     placement: settings.placement(accountID: account.accountID, apiURL: api.endpoint.description))
            }
        }
    }

    /// Syncs the items and records each account's outcome. An Akeyless failure is the
    /// account's (or, for a shared method, its accounts'), as a terraform failure is;
    /// only failing to record throws.
    public func run(
        _ items: [Item], failureTolerance: FailureTolerance? = nil, stop: StopController? = nil,
        progress: @escaping @Sendable (AccountOutcome) -> Void = { _ in }
    ) async throws -> Report {
        let clock = ContinuousClock()
        let started = clock.now
        let before = (api.counter.requests, writes())
        let allowed = failureTolerance?.allowedFailures(of: items.count)
        let gate = Mutex(0)  // failures so far

        let refused = try await moveOrRefuse(items)
        // Targets (and per-account methods) concurrently; the client bounds the calls.
        let firstStep: [Outcome] = await BoundedConcurrency.map(Array(items.indices), limit: max(api.concurrency, 1)) { index in
            let item = items[index]
            if let refusal = refused[index] {
                gate.withLock { $0 += 1 }
                progress(Self.outcome(item, refusal))
                return refusal
            }
            let failures = gate.withLock { $0 }
            if let allowed, failures > allowed {
                return .notStarted("not synced: failure tolerance exceeded (\(failures) failed, \(allowed) allowed)")
            }
            if stop?.isStopRequested == true { return .notStarted("not synced: the sync was interrupted") }
            let outcome = await syncOwnItems(item)
            if case .failed = outcome { gate.withLock { $0 += 1 } }
            if item.placement.layout == .perAccount || !outcome.isSuccess { progress(Self.outcome(item, outcome)) }
            return outcome
        }

        // Each shared method: read once, written at most once with every account it gains.
        var outcomes = firstStep
        let shared = items.indices.filter { items[$0].placement.layout == .shared && firstStep[$0].isSuccess }
        for (method, indices) in Dictionary(grouping: shared, by: { items[$0].placement.authMethod }) {
            let bindings = indices.map { AkeylessWanted.binding(accountID: items[$0].account.accountID, roleARN: items[$0].roleARN) }
            let result: Outcome
            do {
                let (change, accessID) = try await ensureMethod(
                    method, bindings: bindings, description: "fleetform: Akeyless gateways in AWS accounts")
                for index in indices {
                    guard case .synced(let target, _, _) = firstStep[index] else { continue }
                    outcomes[index] = .synced(target: target, binding: change, accessID: accessID)
                    progress(Self.outcome(items[index], outcomes[index]))
                }
                continue
            } catch {
                result = .failed("auth method \(method): \(error)")
            }
            for index in indices {
                outcomes[index] = result
                progress(Self.outcome(items[index], result))
            }
        }

        try record(items, outcomes)
        return Report(
            accounts: zip(items, outcomes).map { Self.outcome($0, $1) },
            requests: api.counter.requests - before.0, writes: writes() - before.1, elapsed: clock.now - started)
    }

    /// Accounts synced before elsewhere: with other names at this API, their old items
    /// are released first (so that a destroy later finds everything it must remove);
    /// at another API they are refused, because that API's items cannot be reached from
    /// here. Answers the refusals by item index.
    private func moveOrRefuse(_ items: [Item]) async throws -> [Int: Outcome] {
        let known = try database.akeylessRecords()
        var refused: [Int: Outcome] = [:]
        var moved: [(index: Int, record: AkeylessRecord)] = []
        for (index, item) in items.enumerated() {
            // A record of nothing made (pending, no access id) can simply be replaced.
            guard let record = known[item.account.accountID], record.status != .pending || record.accessID != nil else {
                continue
            }
            let recordedURL = (try? AkeylessEndpoint(record.apiURL).description) ?? record.apiURL
            if recordedURL != api.endpoint.description {
                refused[index] = .failed("""
                    synced with the Akeyless API \(recordedURL); pass --akeyless-url \(recordedURL) (fleetform does not \
                    move accounts between Akeyless APIs: destroy, or remove the items there first)
                    """)
            } else if record.target != item.placement.target || record.authMethod != item.placement.authMethod
                        || record.layout != item.placement.layout {
                moved.append((index, record))
            }
        }
        guard !moved.isEmpty else { return refused }
        let failures = await AkeylessRelease(api: api, database: database).release(moved.map(\.record))
        for (index, record) in moved {
            if let failure = failures[record.accountID] {
                refused[index] = .failed("cannot move from target \(record.target) and auth method \(record.authMethod): \(failure)")
            }
        }
        return refused
    }

    private func writes() -> Int {
        Self.writeOperations.reduce(0) { $0 + api.counter.requests($1) }
    }

    private static func outcome(_ item: Item, _ outcome: Outcome) -> AccountOutcome {
        AccountOutcome(accountID: item.account.accountID, name: item.account.name, target: item.placement.target,
                       outcome: outcome)
    }

    /// The account's target and, with a method per account, its method. The binding
    /// of a shared method is left for later: `.synced` with `.unchanged` binding and no
    /// access id until then.
    private func syncOwnItems(_ item: Item) async -> Outcome {
        let target: Change
        do {
            target = try await ensureTarget(
                AkeylessWanted.target(named: item.placement.target, account: item.account, roleARN: item.roleARN))
        } catch {
            return .failed("target \(item.placement.target): \(error)")
        }
        guard item.placement.layout == .perAccount else { return .synced(target: target, binding: .unchanged, accessID: "") }
        do {
            let (binding, accessID) = try await ensureMethod(
                item.placement.authMethod,
                bindings: [AkeylessWanted.binding(accountID: item.account.accountID, roleARN: item.roleARN)],
                description: "fleetform: the Akeyless gateway in AWS account \(item.account.accountID)")
            return .synced(target: target, binding: binding, accessID: accessID)
        } catch {
            return .failed("auth method \(item.placement.authMethod): \(error)")
        }
    }

    /// Read, then create or update only when needed.
    private func ensureTarget(_ spec: AkeylessAWSTargetSpec) async throws -> Change {
        if let existing = try await api.awsTarget(named: spec.name) {
            return try await bring(existing, to: spec)
        }
        do {
            try await api.createAWSTarget(spec)
            return .created
        } catch let error as AkeylessError where error.kind == .conflict {
            // A create repeated after an answer that was lost (it had taken effect), or
            // another sync just made it: read what is there now.
            guard let existing = try await api.awsTarget(named: spec.name) else { throw error }
            return try await bring(existing, to: spec) == .unchanged ? .created : .updated
        }
    }

    private func bring(_ existing: AkeylessAWSTarget, to spec: AkeylessAWSTargetSpec) async throws -> Change {
        if let type = existing.type, type != "aws" {
            throw SyncRefusal(description: "a \(type) target of that name exists; fleetform will not replace it")
        }
        guard !existing.matches(spec) else { return .unchanged }
        try await api.updateAWSTarget(spec)
        return .updated
    }

    /// The method with `bindings` in its lists, created when missing; its access id.
    private func ensureMethod(
        _ name: String, bindings: [AkeylessWanted.Binding], description: String
    ) async throws -> (Change, String) {
        if let existing = try await api.authMethod(named: name) {
            return try await merge(bindings, into: existing)
        }
        var accounts: [String] = []
        var roles: [String] = []
        for binding in bindings {
            if !accounts.contains(binding.accountID) { accounts.append(binding.accountID) }
            if !roles.contains(binding.roleName) { roles.append(binding.roleName) }
        }
        do {
            let created = try await api.createAWSIAMAuthMethod(AkeylessAWSIAMAuthMethodSpec(
                name: name, boundAWSAccountIDs: accounts, boundRoleNames: roles, description: description))
            return (.created, created.accessID)
        } catch let error as AkeylessError where error.kind == .conflict {
            guard let existing = try await api.authMethod(named: name) else { throw error }
            let (change, accessID) = try await merge(bindings, into: existing)
            return (change == .unchanged ? .created : .updated, accessID)
        }
    }

    private func merge(_ bindings: [AkeylessWanted.Binding], into method: AkeylessAWSIAMAuthMethod) async throws -> (Change, String) {
        if let type = method.rulesType, type != "aws_iam" {
            throw SyncRefusal(description: "an auth method of that name exists with \(type) rules, not aws_iam")
        }
        guard let merged = try AkeylessBindingMerge.adding(bindings, to: method) else { return (.unchanged, method.accessID) }
        try await api.updateAWSIAMAuthMethod(merged)
        return (.updated, method.accessID)
    }

    /// Every outcome in one transaction per kind. An account not reached keeps a sync
    /// it had; one never synced is recorded failed, so that `retry` takes it.
    private func record(_ items: [Item], _ outcomes: [Outcome]) throws {
        var synced: [(accountID: String, placement: AkeylessPlacement, accessID: String)] = []
        var failed: [(accountID: String, placement: AkeylessPlacement, error: String)] = []
        let known = try database.akeylessRecords()
        for (item, outcome) in zip(items, outcomes) {
            let id = item.account.accountID
            switch outcome {
            case .synced(_, _, let accessID): synced.append((id, item.placement, accessID))
            case .failed(let error): failed.append((id, item.placement, error))
            case .notStarted(let reason):
                if known[id]?.status != .synced { failed.append((id, item.placement, reason)) }
            }
        }
        try database.recordAkeylessSynced(synced)
        try database.recordAkeylessNotSynced(failed, status: .failed)
    }
}

extension AkeylessSync.Outcome {
    public var isSuccess: Bool {
        if case .synced = self { true } else { false }
    }
}

/// An item of the wanted name exists and is something fleetform must not overwrite.
struct SyncRefusal: Error, Sendable, CustomStringConvertible {
    var description: String
}
