import Foundation
import GRDB

/// What `verify` reads and records: the accounts that have a role, and whether each
/// role is still as recorded.
extension InventoryDatabase {
    /// Accounts with a role fleetform created and has not destroyed, whatever happened
    /// to them since (a later failed or interrupted run leaves the role in place): what
    /// `verify` checks and, without the drifted ones, `export` lists.
    public func onboardedAccounts(includeDrifted: Bool) throws -> [(account: AccountRecord, standing: AccountStanding)] {
        let statuses = try accountStandings().filter {
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
                UPDATE account_state SET status = ?, error = ?, updated_at = ?
                WHERE account_id = ? AND status IN (?, ?)
                """, arguments: [OnboardingStatus.drifted.rawValue, reason, Timestamp.string(from: date), accountID,
                                 OnboardingStatus.succeeded.rawValue, OnboardingStatus.drifted.rawValue])
        }
    }

    /// `verify` found a drifted role as recorded again (someone repaired it by hand). A
    /// drift `verify --akeyless` found stays: the role being right says nothing of Akeyless.
    public func markVerified(accountID: String, at date: Date = Date()) throws {
        try write { db in
            try db.execute(sql: """
                UPDATE account_state SET status = ?, error = NULL, updated_at = ?
                WHERE account_id = ? AND status = ? AND coalesce(substr(error, 1, ?), '') != ?
                """, arguments: [OnboardingStatus.succeeded.rawValue, Timestamp.string(from: date), accountID,
                                 OnboardingStatus.drifted.rawValue, Self.akeylessDriftPrefix.count, Self.akeylessDriftPrefix])
        }
    }
}
