import Foundation
import PostgresNIO

/// The Akeyless records in PostgreSQL; the rules are those of
/// `SQLiteInventoryStore+Akeyless.swift`. Every method is one transaction.
extension PostgresInventoryStore {
    public func akeylessRecords() throws -> [String: AkeylessRecord] {
        try session.run { db in try Self.akeylessRecords(db) }
    }

    static func akeylessRecords(_ db: PostgresSession.Statements) throws -> [String: AkeylessRecord] {
        var records: [String: AkeylessRecord] = [:]
        for row in try db.query("SELECT * FROM akeyless_state") {
            let record = try AkeylessRecord(postgres: row)
            records[record.accountID] = record
        }
        return records
    }

    public func recordAkeylessSynced(_ synced: [(accountID: String, placement: AkeylessPlacement, accessID: String)],
                                     at date: Date) throws {
        guard !synced.isEmpty else { return }
        let now = Timestamp.string(from: date)
        let prefixLength = Int32(akeylessDriftPrefix.count)
        try session.transaction { db in
            for item in synced {
                let placement = item.placement
                try db.execute("""
                    INSERT INTO akeyless_state
                        (account_id, status, api_url, target, auth_method, layout, access_id, synced_at, error, updated_at)
                    VALUES (\(item.accountID), \(AkeylessSyncStatus.synced.rawValue), \(placement.apiURL),
                            \(placement.target), \(placement.authMethod), \(placement.layout.rawValue), \(item.accessID),
                            \(now), NULL, \(now))
                    ON CONFLICT (account_id) DO UPDATE SET status = excluded.status, api_url = excluded.api_url,
                        target = excluded.target, auth_method = excluded.auth_method, layout = excluded.layout,
                        access_id = excluded.access_id, synced_at = excluded.synced_at, error = NULL,
                        updated_at = excluded.updated_at
                    """)
                try db.execute("""
                    UPDATE account_state SET status = \(OnboardingStatus.succeeded.rawValue), error = NULL,
                        updated_at = \(now)
                    WHERE account_id = \(item.accountID) AND status = \(OnboardingStatus.drifted.rawValue)
                      AND substr(error, 1, \(prefixLength)) = \(akeylessDriftPrefix)
                    """)
            }
        }
    }

    public func recordAkeylessNotSynced(_ accounts: [(accountID: String, placement: AkeylessPlacement, error: String)],
                                        status: AkeylessSyncStatus, at date: Date) throws {
        precondition(status == .failed || status == .pending, "recordAkeylessNotSynced records failed or pending")
        guard !accounts.isEmpty else { return }
        let now = Timestamp.string(from: date)
        let onConflict = status == .failed ? """
            DO UPDATE SET status = excluded.status, error = excluded.error, updated_at = excluded.updated_at,
                api_url = CASE WHEN akeyless_state.access_id IS NULL THEN excluded.api_url ELSE akeyless_state.api_url END,
                target = CASE WHEN akeyless_state.access_id IS NULL THEN excluded.target ELSE akeyless_state.target END,
                auth_method = CASE WHEN akeyless_state.access_id IS NULL
                                   THEN excluded.auth_method ELSE akeyless_state.auth_method END,
                layout = CASE WHEN akeyless_state.access_id IS NULL THEN excluded.layout ELSE akeyless_state.layout END
            """ : """
            DO UPDATE SET error = excluded.error, updated_at = excluded.updated_at
            WHERE akeyless_state.status = 'pending'
            """
        try session.transaction { db in
            for item in accounts {
                let placement = item.placement
                try db.execute("""
                    INSERT INTO akeyless_state (account_id, status, api_url, target, auth_method, layout, error, updated_at)
                    VALUES (\(item.accountID), \(status.rawValue), \(placement.apiURL), \(placement.target),
                            \(placement.authMethod), \(placement.layout.rawValue), \(item.error), \(now))
                    ON CONFLICT (account_id) \(unescaped: onConflict)
                    """)
            }
        }
    }

    public func markAkeylessDrifted(accountID: String, reason: String, readAt: String, at date: Date) throws {
        let now = Timestamp.string(from: date)
        let prefixLength = Int32(akeylessDriftPrefix.count)
        try session.transaction { db in
            let changed = try db.execute("""
                UPDATE akeyless_state SET status = \(AkeylessSyncStatus.drifted.rawValue), error = \(reason),
                    updated_at = \(now)
                WHERE account_id = \(accountID) AND updated_at = \(readAt)
                """)
            guard changed > 0 else { return }
            try db.execute("""
                UPDATE account_state SET status = \(OnboardingStatus.drifted.rawValue),
                    error = \(akeylessDriftPrefix + reason), updated_at = \(now)
                WHERE account_id = \(accountID) AND (status = \(OnboardingStatus.succeeded.rawValue)
                    OR (status = \(OnboardingStatus.drifted.rawValue)
                        AND substr(error, 1, \(prefixLength)) = \(akeylessDriftPrefix)))
                """)
        }
    }

    public func markAkeylessVerified(accountID: String, at date: Date) throws {
        let now = Timestamp.string(from: date)
        let prefixLength = Int32(akeylessDriftPrefix.count)
        try session.transaction { db in
            try db.execute("""
                UPDATE akeyless_state SET status = \(AkeylessSyncStatus.synced.rawValue), error = NULL, updated_at = \(now)
                WHERE account_id = \(accountID) AND status = \(AkeylessSyncStatus.drifted.rawValue)
                """)
            try db.execute("""
                UPDATE account_state SET status = \(OnboardingStatus.succeeded.rawValue), error = NULL, updated_at = \(now)
                WHERE account_id = \(accountID) AND status = \(OnboardingStatus.drifted.rawValue)
                  AND substr(error, 1, \(prefixLength)) = \(akeylessDriftPrefix)
                """)
        }
    }

    public func removeAkeylessRecords(accountIDs: [String]) throws {
        guard !accountIDs.isEmpty else { return }
        try session.transaction { db in
            try db.execute("DELETE FROM akeyless_state WHERE account_id = ANY(\(accountIDs))")
        }
    }
}
