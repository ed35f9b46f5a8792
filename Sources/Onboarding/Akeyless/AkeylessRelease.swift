import AkeylessClient
import FleetformBasics
import Inventory

/// What a destroy does in Akeyless first: the account's target deleted, and the account
/// unbound from the shared method (or its own method deleted), so that no gateway can
/// log in for an account whose role is gone. Each shared method is read once and
/// written once for all the accounts it loses; one left binding no account is deleted
/// (Akeyless refuses an empty account list).
struct AkeylessRelease: Sendable {
    var api: AkeylessAPI
    var database: any InventoryStore

    /// Releases the accounts and drops their records; answers why each that could not
    /// be released fails (its destroy must not run).
    func release(_ records: [AkeylessRecord]) async -> [String: String] {
        let own: [(String, String?)] = await BoundedConcurrency.map(records, limit: max(api.concurrency, 1)) { record in
            do {
                // Only what a sync made: an item of that name that someone else made (a
                // sync refuses to touch those, but records the name) stays.
                if let target = try await api.awsTarget(named: record.target), Self.isFleetforms(target) {
                    try await api.deleteTarget(named: record.target)
                }
                if record.layout == .perAccount, let method = try await api.authMethod(named: record.authMethod) {
                    if Self.isFleetforms(method) {
                        try await api.deleteAuthMethod(named: record.authMethod)
                    } else {
                        try await unbind([record.accountID], from: record.authMethod)
                    }
                }
                return (record.accountID, nil)
            } catch {
                return (record.accountID, "akeyless: \(error)")
            }
        }
        var failures = Dictionary(own.compactMap { id, error in error.map { (id, $0) } }, uniquingKeysWith: { a, _ in a })
        let shared = records.filter { $0.layout == .shared && failures[$0.accountID] == nil }
        for (method, group) in Dictionary(grouping: shared, by: \.authMethod) {
            do {
                try await unbind(Set(group.map(\.accountID)), from: method)
            } catch {
                for record in group { failures[record.accountID] = "akeyless: auth method \(method): \(error)" }
            }
        }
        let released = records.map(\.accountID).filter { failures[$0] == nil }
        do {
            try database.removeAkeylessRecords(accountIDs: released)
        } catch {
            // Released in Akeyless but still recorded: the destroy stops here, and a
            // later one finds nothing left to release and goes on.
            for id in released { failures[id] = "cannot record the Akeyless release: \(error)" }
        }
        return failures
    }

    /// What fleetform's syncs make is described as `fleetform: …`.
    static func isFleetforms(_ target: AkeylessAWSTarget) -> Bool {
        (target.type ?? "aws") == "aws" && target.description.hasPrefix("fleetform:")
    }

    static func isFleetforms(_ method: AkeylessAWSIAMAuthMethod) -> Bool {
        (method.rulesType ?? "aws_iam") == "aws_iam" && method.description.hasPrefix("fleetform:")
    }

    private func unbind(_ accountIDs: Set<String>, from name: String) async throws {
        guard let method = try await api.authMethod(named: name) else { return }
        guard let spec = AkeylessBindingMerge.removing(accountIDs, from: method) else { return }
        if spec.boundAWSAccountIDs.isEmpty {
            try await api.deleteAuthMethod(named: name)
        } else {
            try await api.updateAWSIAMAuthMethod(spec)
        }
    }
}
