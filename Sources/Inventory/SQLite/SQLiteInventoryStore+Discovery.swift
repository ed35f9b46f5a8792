import Foundation
import GRDB

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
                guard var stored = existing.removeValue(forKey: account.accountID) else {
                    try account.newRecord(defaults: defaults, at: now).insert(db)
                    summary.added += 1
                    continue
                }
                var updated = account.merged(into: stored, defaults: defaults)
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
