import GRDB

extension SQLiteInventoryStore {
    /// Every account, enabled or not, in the order people read a fleet: by OU path,
    /// then name, then ID.
    public func allAccounts() throws -> [AccountRecord] {
        try read { db in
            try AccountRecord
                .order(AccountRecord.Columns.ouPath, AccountRecord.Columns.name, AccountRecord.Columns.accountID)
                .fetchAll(db)
        }
    }

    /// The onboarding status of every enabled account, and of disabled accounts that
    /// still have a role, in the same order as `allAccounts`.
    public func accountStandings() throws -> [AccountStanding] {
        try read { db in
            var statuses: [AccountStanding] = []
            let akeyless = try Self.akeylessRecords(db)
            let rows = try Row.fetchCursor(db, sql: """
                SELECT a.account_id, a.name, a.ou_path, a.region, coalesce(s.status, ?) AS status,
                       s.role_arn, s.policy_arn, s.instance_profile_arn, s.last_run_id, coalesce(s.attempts, 0),
                       s.error, coalesce(s.updated_at, a.updated_at), s.adopted
                FROM accounts a LEFT JOIN account_state s ON s.account_id = a.account_id
                WHERE a.enabled = 1 OR (s.status IS NOT NULL AND s.status NOT IN (?, ?))
                ORDER BY a.ou_path, a.name, a.account_id
                """, arguments: [OnboardingStatus.neverRun.rawValue, OnboardingStatus.destroyed.rawValue,
                                 OnboardingStatus.skipped.rawValue])
            while let row = try rows.next() {
                let accountID: String = row[0]
                statuses.append(AccountStanding(
                    accountID: accountID, name: row[1], ouPath: row[2], region: row[3],
                    status: try row.decoded("status", table: "account_state", key: accountID),
                    roleARN: row[5], policyARN: row[6], instanceProfileARN: row[7], lastRunID: row[8],
                    attempts: row[9], error: row[10], adopted: AdoptedObjects.decode(row[12]), updatedAt: row[11],
                    akeyless: akeyless[accountID]))
            }
            return statuses
        }
    }
}
