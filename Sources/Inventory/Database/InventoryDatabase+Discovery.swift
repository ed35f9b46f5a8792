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

    public init(accountID: String, name: String, email: String?, ouPath: String, state: String, enabled: Bool) {
        self.accountID = accountID
        self.name = name
        self.email = email
        self.ouPath = ouPath
        self.state = state
        self.enabled = enabled
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

extension InventoryDatabase {
    /// Records a discovery in one transaction: new accounts are added with `defaults`,
    /// known ones get their name, e-mail, OU path, state and enabled flag updated in
    /// place (their history stays), never enabling one a user disabled. With `pruneUnder`, accounts discovered earlier under
    /// those OU paths that Organizations no longer lists are disabled.
    public func importDiscoveredAccounts(
        _ accounts: [DiscoveredAccount], defaults: DiscoveryDefaults, origin: String, pruneUnder: [String]?,
        at date: Date = Date()
    ) throws -> InventoryImportSummary {
        let now = Timestamp.string(from: date)
        return try write { db in
            var existing: [String: Row] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT account_id, name, email, ou_path, state, enabled, disabled_reason, source FROM accounts") {
                existing[row["account_id"]] = row
            }
            var summary = InventoryImportSummary()
            for account in accounts {
                // Why Organizations says to leave it out, if it does.
                let found: DisabledReason? = account.enabled ? nil
                    : (account.state == "ACTIVE" ? .management : .suspended)
                guard let stored = existing.removeValue(forKey: account.accountID) else {
                    try db.execute(sql: """
                        INSERT INTO accounts (account_id, name, email, ou_path, region, role_name, access_role_name,
                            management_account_id, tags, enabled, disabled_reason, state, source, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, '{}', ?, ?, ?, 'organizations', ?, ?)
                        """, arguments: [
                            account.accountID, account.name, account.email, account.ouPath, defaults.region,
                            defaults.roleName, defaults.accessRoleName, defaults.managementAccountID, account.enabled,
                            found?.rawValue, account.state, now, now,
                        ])
                    summary.added += 1
                    continue
                }
                let name: String = stored["name"], email: String? = stored["email"], path: String = stored["ou_path"]
                let state: String? = stored["state"], enabled: Bool = stored["enabled"], source: String = stored["source"]
                let storedReason = (stored["disabled_reason"] as String?).flatMap(DisabledReason.init(rawValue:))
                    ?? (enabled ? nil : .user)
                // A user's choice to disable an account outlives every discovery: discovery
                // only sets or clears the reasons it finds itself.
                let reason: DisabledReason? = storedReason == .user ? .user : found
                let sameFields = name == account.name && email == account.email && path == account.ouPath
                let sameState = state == account.state && enabled == (reason == nil)
                let sameSource = storedReason == reason && source == "organizations"
                let unchanged = sameFields && sameState && sameSource
                if unchanged {
                    summary.unchanged += 1
                    continue
                }
                try db.execute(sql: """
                    UPDATE accounts SET name = ?, email = ?, ou_path = ?, state = ?, enabled = ?, disabled_reason = ?,
                        source = 'organizations', management_account_id = coalesce(management_account_id, ?), updated_at = ?
                    WHERE account_id = ?
                    """, arguments: [account.name, account.email, account.ouPath, account.state, reason == nil,
                                     reason?.rawValue, defaults.managementAccountID, now, account.accountID])
                summary.updated += 1
            }
            if let pruneUnder {
                for (accountID, stored) in existing {
                    let enabled: Bool = stored["enabled"], source: String = stored["source"], path: String = stored["ou_path"]
                    guard enabled, source == "organizations" else { continue }
                    guard pruneUnder.contains(where: { path == $0 || path.hasPrefix($0 + "/") }) else { continue }
                    try db.execute(sql: """
                        UPDATE accounts SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE account_id = ?
                        """, arguments: [DisabledReason.removed.rawValue, now, accountID])
                    summary.disabled += 1
                }
            }
            if summary.added + summary.updated + summary.disabled > 0 {
                try db.execute(sql: """
                    INSERT INTO inventory_changes (source, origin, added, updated, unchanged, disabled, changed_at)
                    VALUES ('organizations', ?, ?, ?, ?, ?, ?)
                    """, arguments: [origin, summary.added, summary.updated, summary.unchanged, summary.disabled, now])
            }
            return summary
        }
    }

    /// Accounts with a role fleetform created and has not destroyed, whatever happened
    /// to them since (a later failed or interrupted run leaves the role in place): what
    /// `verify` checks and, without the drifted ones, `export` lists.
    public func onboardedAccounts(includeDrifted: Bool) throws -> [(account: AccountRecord, state: AccountStatus)] {
        let statuses = try accountStatuses().filter {
            $0.roleARN != nil && $0.status != .destroyed && (includeDrifted || $0.status != .drifted)
        }
        let accounts = Dictionary(try allAccounts().map { ($0.accountID, $0) }, uniquingKeysWith: { a, _ in a })
        return statuses.compactMap { status in accounts[status.accountID].map { ($0, status) } }
    }

    /// `verify` found the role not as recorded.
    public func markDrifted(accountID: String, reason: String, at date: Date = Date()) throws {
        try write { db in
            // Only an account at rest: a run may have started on it since verify began.
            try db.execute(sql: """
                UPDATE account_state SET status = 'drifted', error = ?, updated_at = ?
                WHERE account_id = ? AND status IN ('succeeded', 'drifted')
                """, arguments: [reason, Timestamp.string(from: date), accountID])
        }
    }

    /// `verify` found a drifted role as recorded again (someone repaired it by hand).
    public func markVerified(accountID: String, at date: Date = Date()) throws {
        try write { db in
            try db.execute(sql: """
                UPDATE account_state SET status = 'succeeded', error = NULL, updated_at = ?
                WHERE account_id = ? AND status = 'drifted'
                """, arguments: [Timestamp.string(from: date), accountID])
        }
    }
}
