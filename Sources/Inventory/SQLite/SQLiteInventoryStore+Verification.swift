import Foundation
import GRDB

/// What `verify` reads and records: the accounts that have a role, and whether each
/// role is still as recorded.
extension SQLiteInventoryStore {
    /// `verify` found the role not as recorded.
    public func markDrifted(accountID: String, reason: String, at date: Date) throws {
        try write { db in
            // Only an account at rest: a run may have started on it since verify began.
            try db.execute(sql: """
                UPDATE account_state SET status = ?, error = ?, updated_at = ?
                WHERE account_id = ? AND status IN (?, ?)
                """, arguments: [OnboardingStatus.drifted.rawValue, reason, Timestamp.string(from: date), accountID,
                                 OnboardingStatus.succeeded.rawValue, OnboardingStatus.drifted.rawValue])
        }
    }

    /// `verify` found a drifted role as recorded again (someone repaired it by hand). A
    /// drift `verify --akeyless` found stays: the role being right says nothing of Akeyless.
    public func markVerified(accountID: String, at date: Date) throws {
        try write { db in
            try db.execute(sql: """
                UPDATE account_state SET status = ?, error = NULL, updated_at = ?
                WHERE account_id = ? AND status = ? AND coalesce(substr(error, 1, ?), '') != ?
                """, arguments: [OnboardingStatus.succeeded.rawValue, Timestamp.string(from: date), accountID,
                                 OnboardingStatus.drifted.rawValue, akeylessDriftPrefix.count, akeylessDriftPrefix])
        }
    }
}
