import GRDB

extension InventoryDatabase {
    /// Every account, enabled or not, in the order people read a fleet: by OU path,
    /// then name, then ID.
    public func allAccounts() throws -> [AccountRecord] {
        try read { db in
            try AccountRecord
                .order(AccountRecord.Columns.ouPath, AccountRecord.Columns.name, AccountRecord.Columns.accountID)
                .fetchAll(db)
        }
    }

    /// The onboarding status of every enabled account, in the same order as `allAccounts`.
    ///
    /// Until runs exist every account is `never_run`; the runs migration extends this
    /// query with each account's latest job.
    public func accountStatuses() throws -> [AccountStatus] {
        try read { db in
            var statuses: [AccountStatus] = []
            let rows = try Row.fetchCursor(db, sql: """
                SELECT account_id, name, ou_path, region, updated_at
                FROM accounts
                WHERE enabled = 1
                ORDER BY ou_path, name, account_id
                """)
            while let row = try rows.next() {
                statuses.append(AccountStatus(
                    accountID: row[0], name: row[1], ouPath: row[2], region: row[3], status: .neverRun,
                    updatedAt: row[4]))
            }
            return statuses
        }
    }
}
