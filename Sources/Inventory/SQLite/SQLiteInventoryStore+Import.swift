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

extension SQLiteInventoryStore {
    /// Upserts `accounts` in one transaction: new IDs are inserted, changed ones updated in
    /// place (so their history stays attached), equal ones not written at all. With
    /// `prune`, enabled accounts missing from `accounts` are disabled, never deleted.
    public func importAccounts(
        _ accounts: [AccountSpec],
        source: AccountSource,
        origin: String,
        prune: Bool,
        at date: Date
    ) throws -> InventoryImportSummary {
        let now = Timestamp.string(from: date)
        return try write { db in
            let plan = AccountImportPlan(accounts, existing: try Self.accountsByID(db), source: source, now: now)
            var summary = plan.summary
            for stored in plan.updated { try stored.update(db) }
            try AccountRecord.insertAll(plan.added, db)
            if prune {
                summary.disabled = try Self.disableRemoved(db, plan.missing.filter(\.enabled).map(\.accountID), now: now)
            }
            try Self.recordChange(db, summary, source: source, origin: origin, now: now)
            return summary
        }
    }

    /// Every stored account by ID: what an import compares its input with.
    static func accountsByID(_ db: Database) throws -> [String: AccountRecord] {
        Dictionary(try AccountRecord.fetchAll(db).map { ($0.accountID, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Disables accounts an import no longer lists (never deletes them: their history
    /// and roles stay); returns how many.
    static func disableRemoved(_ db: Database, _ accountIDs: [String], now: String) throws -> Int {
        let disable = try db.cachedStatement(sql: """
            UPDATE accounts SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE account_id = ?
            """)
        for accountID in accountIDs {
            try disable.execute(arguments: [DisabledReason.removed.rawValue, now, accountID])
        }
        return accountIDs.count
    }

    /// One `inventory_changes` row for an import that changed something.
    static func recordChange(_ db: Database, _ summary: InventoryImportSummary, source: AccountSource, origin: String,
                             now: String) throws {
        guard summary.added + summary.updated + summary.disabled > 0 else { return }
        try db.execute(sql: """
            INSERT INTO inventory_changes (source, origin, added, updated, unchanged, disabled, changed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [source.rawValue, origin, summary.added, summary.updated, summary.unchanged,
                             summary.disabled, now])
    }
}
