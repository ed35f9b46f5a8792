import Foundation
import GRDB

/// What an import changed, for the one-line report and the `inventory_changes` table.
public struct InventoryImportSummary: Sendable, Equatable, CustomStringConvertible {
    public var added = 0
    public var updated = 0
    public var unchanged = 0
    /// Accounts that `--prune` turned from enabled to disabled.
    public var disabled = 0

    public init(added: Int = 0, updated: Int = 0, unchanged: Int = 0, disabled: Int = 0) {
        self.added = added
        self.updated = updated
        self.unchanged = unchanged
        self.disabled = disabled
    }

    public var description: String {
        "added \(added), updated \(updated), unchanged \(unchanged), disabled \(disabled)"
    }
}

extension InventoryDatabase {
    /// Upserts `accounts` in one transaction: new IDs are inserted, changed ones updated in
    /// place (so their history stays attached), equal ones not written at all. With
    /// `prune`, enabled accounts missing from `accounts` are disabled, never deleted.
    public func importAccounts(
        _ accounts: [AccountSpec],
        source: AccountSource,
        origin: String,
        prune: Bool,
        at date: Date = Date()
    ) throws -> InventoryImportSummary {
        let now = Timestamp.string(from: date)
        return try write { db in
            var existing = try Self.importedFields(db)
            var summary = InventoryImportSummary()
            for account in accounts {
                let fields = ImportedFields(account, source: source)
                switch existing.removeValue(forKey: account.accountID) {
                case nil:
                    try db.cachedStatement(sql: """
                        INSERT INTO accounts (account_id, name, email, ou_path, region, role_name, access_role_name,
                                              management_account_id, tags, enabled, disabled_reason, source,
                                              created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """).execute(arguments: [
                            account.accountID, fields.name, fields.email, fields.ouPath, fields.region,
                            fields.roleName, fields.accessRoleName, fields.managementAccountID, fields.tags,
                            fields.enabled, fields.enabled ? nil : DisabledReason.user.rawValue, fields.source, now, now,
                        ])
                    summary.added += 1
                case let stored? where stored != fields:
                    try db.cachedStatement(sql: """
                        UPDATE accounts SET name = ?, email = ?, ou_path = ?, region = ?, role_name = ?,
                            access_role_name = ?, management_account_id = ?, tags = ?, enabled = ?,
                            disabled_reason = CASE WHEN ? THEN NULL ELSE ? END, source = ?, updated_at = ?
                        WHERE account_id = ?
                        """).execute(arguments: [
                            fields.name, fields.email, fields.ouPath, fields.region, fields.roleName,
                            fields.accessRoleName, fields.managementAccountID, fields.tags, fields.enabled,
                            fields.enabled, DisabledReason.user.rawValue, fields.source, now, account.accountID,
                        ])
                    summary.updated += 1
                case .some:
                    summary.unchanged += 1
                }
            }
            if prune {
                // What is left in `existing` was not in the input.
                for (accountID, stored) in existing where stored.enabled {
                    try db.cachedStatement(sql: """
                        UPDATE accounts SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE account_id = ?
                        """).execute(arguments: [DisabledReason.removed.rawValue, now, accountID])
                    summary.disabled += 1
                }
            }
            if summary.added + summary.updated + summary.disabled > 0 {
                try db.execute(
                    sql: """
                        INSERT INTO inventory_changes (source, origin, added, updated, unchanged, disabled, changed_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [source.rawValue, origin, summary.added, summary.updated, summary.unchanged,
                                summary.disabled, now])
            }
            return summary
        }
    }

    /// The columns an import writes, for every stored account, keyed by account ID.
    private static func importedFields(_ db: Database) throws -> [String: ImportedFields] {
        var result: [String: ImportedFields] = [:]
        let rows = try Row.fetchCursor(db, sql: """
            SELECT account_id, name, email, ou_path, region, role_name, access_role_name,
                   management_account_id, tags, enabled, source
            FROM accounts
            """)
        while let row = try rows.next() {
            result[row[0]] = ImportedFields(
                name: row[1], email: row[2], ouPath: row[3], region: row[4], roleName: row[5],
                accessRoleName: row[6], managementAccountID: row[7], tags: row[8], enabled: row[9], source: row[10])
        }
        return result
    }
}

/// The columns of `accounts` that an import owns, in their stored form, so that deciding
/// "unchanged" is one comparison of plain values.
private struct ImportedFields: Equatable {
    var name: String
    var email: String?
    var ouPath: String
    var region: String
    var roleName: String
    var accessRoleName: String
    var managementAccountID: String?
    var tags: String
    var enabled: Bool
    var source: String

    init(name: String, email: String?, ouPath: String, region: String, roleName: String, accessRoleName: String,
         managementAccountID: String?, tags: String, enabled: Bool, source: String) {
        self.name = name
        self.email = email
        self.ouPath = ouPath
        self.region = region
        self.roleName = roleName
        self.accessRoleName = accessRoleName
        self.managementAccountID = managementAccountID
        self.tags = tags
        self.enabled = enabled
        self.source = source
    }

    init(_ account: AccountSpec, source: AccountSource) {
        self.init(
            name: account.name, email: account.email, ouPath: account.ouPath, region: account.region,
            roleName: account.roleName, accessRoleName: account.accessRoleName,
            managementAccountID: account.managementAccountID, tags: TagsColumn.encode(account.tags),
            enabled: account.enabled, source: source.rawValue)
    }
}
