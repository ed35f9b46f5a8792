import Foundation
import GRDB

extension SQLiteInventoryStore {
    private static let stateLocationName = "state_location"

    /// Where the accounts' Terraform state is kept, as recorded (`local`,
    /// `s3://bucket/prefix?region=r`), or nil when no run has recorded it yet.
    public func recordedStateLocation() throws -> String? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT value FROM settings WHERE name = ?", arguments: [Self.stateLocationName])
        }
    }

    /// Records `location` unless one is recorded already, and answers the recorded one:
    /// of two first runs started together, the first to write wins and the other sees it.
    public func recordStateLocationIfUnset(_ location: String, at date: Date) throws -> String {
        try write { db in
            try db.execute(sql: """
                INSERT INTO settings (name, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING
                """, arguments: [Self.stateLocationName, location, Timestamp.string(from: date)])
            return try String.fetchOne(db, sql: "SELECT value FROM settings WHERE name = ?",
                                       arguments: [Self.stateLocationName]) ?? location
        }
    }

    /// Replaces the recorded location after `state migrate` moved every account's state
    /// there.
    public func replaceStateLocation(_ location: String, at date: Date) throws {
        try write { db in
            try db.execute(sql: """
                INSERT INTO settings (name, value, updated_at) VALUES (?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                """, arguments: [Self.stateLocationName, location, Timestamp.string(from: date)])
        }
    }
}
