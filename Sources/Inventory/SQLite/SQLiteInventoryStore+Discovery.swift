import Foundation
import GRDB

/// An account as AWS Organizations reports it.
public struct DiscoveredAccount: Sendable, Equatable {
    public var accountID: String
    public var name: String
    public var email: String?
    public var ouPath: String
    /// `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`, …
    public var state: String
    /// Whether runs may include it: ACTIVE members are enabled; suspended accounts and
    /// the management account only when asked for.
    public var enabled: Bool
    /// The account's tags in Organizations, which become its account tags; nil when they
    /// were not read (`inventory discover` without `--with-tags`), so that a discovery
    /// that did not look at them leaves the recorded ones as they are.
    public var tags: [String: String]?

    public init(accountID: String, name: String, email: String?, ouPath: String, state: String, enabled: Bool,
                tags: [String: String]? = nil) {
        self.accountID = accountID
        self.name = name
        self.email = email
        self.ouPath = ouPath
        self.state = state
        self.enabled = enabled
        self.tags = tags
    }
}

/// The settings a newly discovered account starts with; accounts already in the
/// inventory keep theirs (region, role names, tags), so discovery never undoes a choice
/// made in an inventory file.
public struct DiscoveryDefaults: Sendable, Equatable {
    public var region: String
    public var roleName: String
    public var accessRoleName: String
    public var managementAccountID: String

    public init(region: String, roleName: String = AccountSpec.defaultRoleName,
                accessRoleName: String = AccountSpec.defaultAccessRoleName, managementAccountID: String) {
        self.region = region
        self.roleName = roleName
        self.accessRoleName = accessRoleName
        self.managementAccountID = managementAccountID
    }
}

extension SQLiteInventoryStore {
    /// Records a discovery in one transaction: new accounts are added with `defaults`,
    /// known ones get their name, e-mail, OU path, state and enabled flag updated in
    /// place (their history stays), never enabling one a user disabled. Account tags
    /// are replaced only by a discovery that read them (`tags` not nil). With
    /// `pruneUnder`, accounts discovered earlier under those OU paths that Organizations
    /// no longer lists are disabled.
    public func importDiscoveredAccounts(
        _ accounts: [DiscoveredAccount], defaults: DiscoveryDefaults, origin: String, pruneUnder: [String]?,
        at date: Date
    ) throws -> InventoryImportSummary {
        let now = Timestamp.string(from: date)
        return try write { db in
            var existing = try Self.accountsByID(db)
            var summary = InventoryImportSummary()
            for account in accounts {
                // Why Organizations says to leave it out, if it does.
                let found: DisabledReason? = account.enabled ? nil
                    : (account.state == "ACTIVE" ? .management : .suspended)
                guard var stored = existing.removeValue(forKey: account.accountID) else {
                    let spec = AccountSpec(
                        accountID: account.accountID, name: account.name, email: account.email, ouPath: account.ouPath,
                        region: defaults.region, roleName: defaults.roleName, accessRoleName: defaults.accessRoleName,
                        managementAccountID: defaults.managementAccountID, accountTags: account.tags ?? [:],
                        enabled: account.enabled)
                    try AccountRecord(spec: spec, disabledReason: found, organizationState: account.state, source: .organizations,
                                      createdAt: now, updatedAt: now).insert(db)
                    summary.added += 1
                    continue
                }
                // A user's choice to disable an account outlives every discovery: discovery
                // only sets or clears the reasons it finds itself.
                let reason: DisabledReason? = stored.disabledReason == .user ? .user : found
                var updated = stored
                updated.name = account.name
                updated.email = account.email
                updated.ouPath = account.ouPath
                updated.organizationState = account.state
                if let tags = account.tags { updated.accountTags = tags }
                updated.enabled = reason == nil
                updated.disabledReason = reason
                updated.source = .organizations
                updated.managementAccountID = stored.managementAccountID ?? defaults.managementAccountID
                guard updated != stored else {
                    summary.unchanged += 1
                    continue
                }
                updated.updatedAt = now
                stored = updated
                try stored.update(db)
                summary.updated += 1
            }
            if let pruneUnder {
                let removed = existing.values.filter { stored in
                    stored.enabled && stored.source == .organizations
                        && pruneUnder.contains { stored.ouPath == $0 || stored.ouPath.hasPrefix($0 + "/") }
                }
                summary.disabled = try Self.disableRemoved(db, removed.map(\.accountID), now: now)
            }
            try Self.recordChange(db, summary, source: .organizations, origin: origin, now: now)
            return summary
        }
    }
}
