import Foundation
import GRDB

/// What `akeyless sync`, `verify --akeyless` and `destroy` record of each account's
/// Akeyless side. Every method is one transaction, however many accounts it records.
extension SQLiteInventoryStore {
    /// Every account's record, by account ID.
    public func akeylessRecords() throws -> [String: AkeylessRecord] {
        try read { db in try Self.akeylessRecords(db) }
    }

    static func akeylessRecords(_ db: Database) throws -> [String: AkeylessRecord] {
        var records: [String: AkeylessRecord] = [:]
        let rows = try Row.fetchCursor(db, sql: """
            SELECT account_id, status, api_url, target, auth_method, layout, access_id, synced_at, error, updated_at
            FROM akeyless_state
            """)
        while let row = try rows.next() {
            let accountID: String = row[0]
            records[accountID] = AkeylessRecord(
                accountID: accountID, status: try row.decoded("status", table: "akeyless_state", key: accountID),
                apiURL: row[2], target: row[3], authMethod: row[4],
                layout: try row.decoded("layout", table: "akeyless_state", key: accountID),
                accessID: row[6], syncedAt: row[7], error: row[8], updatedAt: row[9])
        }
        return records
    }

    /// The accounts synced: their target and binding are as wanted, with this access id.
    /// A drift that `verify --akeyless` recorded on the account is cleared with it.
    public func recordAkeylessSynced(
        _ synced: [(accountID: String, placement: AkeylessPlacement, accessID: String)], at date: Date
    ) throws {
        guard !synced.isEmpty else { return }
        let now = Timestamp.string(from: date)
        try write { db in
            let upsert = try db.cachedStatement(sql: """
                INSERT INTO akeyless_state
                    (account_id, status, api_url, target, auth_method, layout, access_id, synced_at, error, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)
                ON CONFLICT (account_id) DO UPDATE SET status = excluded.status, api_url = excluded.api_url,
                    target = excluded.target, auth_method = excluded.auth_method, layout = excluded.layout,
                    access_id = excluded.access_id, synced_at = excluded.synced_at, error = NULL,
                    updated_at = excluded.updated_at
                """)
            let repaired = try db.cachedStatement(sql: """
                UPDATE account_state SET status = ?, error = NULL, updated_at = ?
                WHERE account_id = ? AND status = ? AND substr(error, 1, ?) = ?
                """)
            for item in synced {
                let placement = item.placement
                try upsert.execute(arguments: [
                    item.accountID, AkeylessSyncStatus.synced.rawValue, placement.apiURL, placement.target,
                    placement.authMethod, placement.layout.rawValue, item.accessID, now, now,
                ])
                try repaired.execute(arguments: [
                    OnboardingStatus.succeeded.rawValue, now, item.accountID, OnboardingStatus.drifted.rawValue,
                    akeylessDriftPrefix.count, akeylessDriftPrefix,
                ])
            }
        }
    }

    /// The accounts could not be synced (`status` `failed`) or were not reached
    /// (`pending`, with why in `error`). What an earlier sync recorded (names, access id,
    /// when) stays: it may still be true in Akeyless. A record of an account never synced
    /// (no access id) takes the new names: that is where this attempt may have made items. A `pending` record never replaces a
    /// synced one: nothing was attempted.
    public func recordAkeylessNotSynced(
        _ accounts: [(accountID: String, placement: AkeylessPlacement, error: String)], status: AkeylessSyncStatus,
        at date: Date
    ) throws {
        precondition(status == .failed || status == .pending, "recordAkeylessNotSynced records failed or pending")
        guard !accounts.isEmpty else { return }
        let now = Timestamp.string(from: date)
        try write { db in
            let upsert = try db.cachedStatement(sql: status == .failed ? """
                INSERT INTO akeyless_state (account_id, status, api_url, target, auth_method, layout, error, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (account_id) DO UPDATE SET status = excluded.status, error = excluded.error,
                    updated_at = excluded.updated_at,
                    api_url = CASE WHEN akeyless_state.access_id IS NULL THEN excluded.api_url ELSE akeyless_state.api_url END,
                    target = CASE WHEN akeyless_state.access_id IS NULL THEN excluded.target ELSE akeyless_state.target END,
                    auth_method = CASE WHEN akeyless_state.access_id IS NULL
                                       THEN excluded.auth_method ELSE akeyless_state.auth_method END,
                    layout = CASE WHEN akeyless_state.access_id IS NULL THEN excluded.layout ELSE akeyless_state.layout END
                """ : """
                INSERT INTO akeyless_state (account_id, status, api_url, target, auth_method, layout, error, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (account_id) DO UPDATE SET error = excluded.error, updated_at = excluded.updated_at
                WHERE akeyless_state.status = 'pending'
                """)
            for item in accounts {
                let placement = item.placement
                try upsert.execute(arguments: [
                    item.accountID, status.rawValue, placement.apiURL, placement.target, placement.authMethod,
                    placement.layout.rawValue, item.error, now,
                ])
            }
        }
    }

    /// `verify --akeyless` found the account's Akeyless side missing or different. The
    /// account becomes `drifted` too, unless it already is for another reason (its role).
    ///
    /// `readAt` is the `updated_at` of the record verify read: a sync that recorded the
    /// account since (it may have made what verify found missing) wins, and nothing changes.
    public func markAkeylessDrifted(accountID: String, reason: String, readAt: String, at date: Date) throws {
        let now = Timestamp.string(from: date)
        try write { db in
            try db.execute(sql: """
                UPDATE akeyless_state SET status = ?, error = ?, updated_at = ? WHERE account_id = ? AND updated_at = ?
                """, arguments: [AkeylessSyncStatus.drifted.rawValue, reason, now, accountID, readAt])
            guard db.changesCount > 0 else { return }
            try db.execute(sql: """
                UPDATE account_state SET status = ?, error = ?, updated_at = ?
                WHERE account_id = ? AND (status = ? OR (status = ? AND substr(error, 1, ?) = ?))
                """, arguments: [OnboardingStatus.drifted.rawValue, akeylessDriftPrefix + reason, now, accountID,
                                 OnboardingStatus.succeeded.rawValue, OnboardingStatus.drifted.rawValue,
                                 akeylessDriftPrefix.count, akeylessDriftPrefix])
        }
    }

    /// `verify --akeyless` found a drifted account's Akeyless side as recorded again.
    public func markAkeylessVerified(accountID: String, at date: Date) throws {
        let now = Timestamp.string(from: date)
        try write { db in
            try db.execute(sql: """
                UPDATE akeyless_state SET status = ?, error = NULL, updated_at = ? WHERE account_id = ? AND status = ?
                """, arguments: [AkeylessSyncStatus.synced.rawValue, now, accountID, AkeylessSyncStatus.drifted.rawValue])
            try db.execute(sql: """
                UPDATE account_state SET status = ?, error = NULL, updated_at = ?
                WHERE account_id = ? AND status = ? AND substr(error, 1, ?) = ?
                """, arguments: [OnboardingStatus.succeeded.rawValue, now, accountID, OnboardingStatus.drifted.rawValue,
                                 akeylessDriftPrefix.count, akeylessDriftPrefix])
        }
    }

    /// The accounts' targets and bindings were removed from Akeyless (before a destroy).
    public func removeAkeylessRecords(accountIDs: [String]) throws {
        guard !accountIDs.isEmpty else { return }
        try write { db in
            let delete = try db.cachedStatement(sql: "DELETE FROM akeyless_state WHERE account_id = ?")
            for accountID in accountIDs { try delete.execute(arguments: [accountID]) }
        }
    }
}
