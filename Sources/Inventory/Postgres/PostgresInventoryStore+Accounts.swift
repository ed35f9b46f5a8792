import FleetformBasics
import Foundation
import PostgresNIO

/// The inventory in PostgreSQL: imports, discovery, the account list and standings.
/// The rules are `SQLiteInventoryStore`'s (see its doc comments); only the SQL differs.
extension PostgresInventoryStore {
    public func importAccounts(_ accounts: [AccountSpec], source: AccountSource, origin: String, prune: Bool,
                               at date: Date) throws -> InventoryImportSummary {
        let now = Timestamp.string(from: date)
        return try session.transaction { db in
            let plan = AccountImportPlan(accounts, existing: try Self.accountsByID(db), source: source, now: now)
            var summary = plan.summary
            for stored in plan.updated { try Self.update(stored, db) }
            try Self.insertAll(plan.added, db)
            if prune {
                summary.disabled = try Self.disableRemoved(db, plan.missing.filter(\.enabled).map(\.accountID), now: now)
            }
            try Self.recordChange(db, summary, source: source, origin: origin, now: now)
            return summary
        }
    }

    public func importDiscoveredAccounts(_ accounts: [DiscoveredAccount], defaults: DiscoveryDefaults, origin: String,
                                         pruneUnder: [String]?, at date: Date) throws -> InventoryImportSummary {
        let now = Timestamp.string(from: date)
        return try session.transaction { db in
            var existing = try Self.accountsByID(db)
            var summary = InventoryImportSummary()
            var added: [AccountRecord] = []
            for account in accounts {
                guard let stored = existing.removeValue(forKey: account.accountID) else {
                    added.append(account.newRecord(defaults: defaults, at: now))
                    summary.added += 1
                    continue
                }
                var updated = account.merged(into: stored, defaults: defaults)
                guard updated != stored else {
                    summary.unchanged += 1
                    continue
                }
                updated.updatedAt = now
                try Self.update(updated, db)
                summary.updated += 1
            }
            try Self.insertAll(added, db)
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

    public func allAccounts() throws -> [AccountRecord] {
        try session.run { db in
            try db.query("SELECT * FROM accounts ORDER BY ou_path, name, account_id").map(AccountRecord.init(postgres:))
        }
    }

    public func account(id: String) throws -> AccountRecord? {
        try session.run { db in
            try db.query("SELECT * FROM accounts WHERE account_id = \(id)").first.map(AccountRecord.init(postgres:))
        }
    }

    public func accountStandings() throws -> [AccountStanding] {
        try session.run { db in
            let akeyless = try Self.akeylessRecords(db)
            let neverRun = OnboardingStatus.neverRun.rawValue
            let destroyed = OnboardingStatus.destroyed.rawValue
            let skipped = OnboardingStatus.skipped.rawValue
            return try db.query("""
                SELECT a.account_id, a.name, a.ou_path, a.region, coalesce(s.status, \(neverRun)) AS status,
                       s.role_arn, s.policy_arn, s.instance_profile_arn, s.last_run_id,
                       coalesce(s.attempts, 0) AS attempts, s.error, coalesce(s.updated_at, a.updated_at) AS updated_at,
                       s.adopted
                FROM accounts a LEFT JOIN account_state s ON s.account_id = a.account_id
                WHERE a.enabled OR (s.status IS NOT NULL AND s.status NOT IN (\(destroyed), \(skipped)))
                ORDER BY a.ou_path, a.name, a.account_id
                """).map { row in
                let accountID = try row.get("account_id", as: String.self)
                return AccountStanding(
                    accountID: accountID, name: try row.get("name"), ouPath: try row.get("ou_path"),
                    region: try row.get("region"),
                    status: try row.decoded("status", table: "account_state", key: accountID),
                    roleARN: try row.optional("role_arn"), policyARN: try row.optional("policy_arn"),
                    instanceProfileARN: try row.optional("instance_profile_arn"),
                    lastRunID: try row.optional("last_run_id"), attempts: try row.get("attempts"),
                    error: try row.optional("error"), adopted: AdoptedObjects.decode(try row.optional("adopted")),
                    updatedAt: try row.get("updated_at"), akeyless: akeyless[accountID])
            }
        }
    }

    public func markDrifted(accountID: String, reason: String, at date: Date) throws {
        try session.transaction { db in
            try db.execute("""
                UPDATE account_state SET status = \(OnboardingStatus.drifted.rawValue), error = \(reason),
                    updated_at = \(Timestamp.string(from: date))
                WHERE account_id = \(accountID)
                  AND status IN (\(OnboardingStatus.succeeded.rawValue), \(OnboardingStatus.drifted.rawValue))
                """)
        }
    }

    public func markVerified(accountID: String, at date: Date) throws {
        try session.transaction { db in
            try db.execute("""
                UPDATE account_state SET status = \(OnboardingStatus.succeeded.rawValue), error = NULL,
                    updated_at = \(Timestamp.string(from: date))
                WHERE account_id = \(accountID) AND status = \(OnboardingStatus.drifted.rawValue)
                  AND coalesce(substr(error, 1, \(Int32(akeylessDriftPrefix.count))), '') != \(akeylessDriftPrefix)
                """)
        }
    }

    // MARK: Helpers inside a transaction

    static func accountsByID(_ db: PostgresSession.Statements) throws -> [String: AccountRecord] {
        Dictionary(try db.query("SELECT * FROM accounts").map { row in
            let record = try AccountRecord(postgres: row)
            return (record.accountID, record)
        }, uniquingKeysWith: { first, _ in first })
    }

    static func update(_ record: AccountRecord, _ db: PostgresSession.Statements) throws {
        let spec = record.spec
        try db.execute("""
            UPDATE accounts SET name = \(spec.name), email = \(spec.email), ou_path = \(spec.ouPath),
                region = \(spec.region), role_name = \(spec.roleName), access_role_name = \(spec.accessRoleName),
                management_account_id = \(spec.managementAccountID), tags = \(TagsColumn.encode(spec.tags)),
                account_tags = \(TagsColumn.encode(spec.accountTags)), enabled = \(spec.enabled),
                disabled_reason = \(record.disabledReason?.rawValue), state = \(record.organizationState),
                source = \(record.source.rawValue), created_at = \(record.createdAt), updated_at = \(record.updatedAt)
            WHERE account_id = \(spec.accountID)
            """)
    }

    /// All new accounts in one statement: their rows travel as one JSON array that
    /// `json_populate_recordset` turns into `accounts` rows, so an import of 10,000
    /// accounts is one round trip, not 10,000.
    static func insertAll(_ records: [AccountRecord], _ db: PostgresSession.Statements) throws {
        guard !records.isEmpty else { return }
        let rows: [JSONValue] = records.map { record in
            let spec = record.spec
            return .object([
                "account_id": .string(spec.accountID), "name": .string(spec.name), "email": JSONValue(spec.email),
                "ou_path": .string(spec.ouPath), "region": .string(spec.region), "role_name": .string(spec.roleName),
                "access_role_name": .string(spec.accessRoleName),
                "management_account_id": JSONValue(spec.managementAccountID),
                "tags": .string(TagsColumn.encode(spec.tags)), "account_tags": .string(TagsColumn.encode(spec.accountTags)),
                "enabled": .bool(spec.enabled), "disabled_reason": JSONValue(record.disabledReason?.rawValue),
                "state": JSONValue(record.organizationState), "source": .string(record.source.rawValue),
                "created_at": .string(record.createdAt), "updated_at": .string(record.updatedAt),
            ])
        }
        let json = JSONValue.array(rows).serialized(.compact)
        let columns = "account_id, name, email, ou_path, region, role_name, access_role_name, management_account_id, "
            + "tags, account_tags, enabled, disabled_reason, state, source, created_at, updated_at"
        try db.execute("""
            INSERT INTO accounts (\(unescaped: columns))
            SELECT \(unescaped: columns) FROM json_populate_recordset(NULL::accounts, \(json)::json)
            """)
    }

    static func disableRemoved(_ db: PostgresSession.Statements, _ accountIDs: [String], now: String) throws -> Int {
        guard !accountIDs.isEmpty else { return 0 }
        try db.execute("""
            UPDATE accounts SET enabled = FALSE, disabled_reason = \(DisabledReason.removed.rawValue), updated_at = \(now)
            WHERE account_id = ANY(\(accountIDs))
            """)
        return accountIDs.count
    }

    static func recordChange(_ db: PostgresSession.Statements, _ summary: InventoryImportSummary, source: AccountSource,
                             origin: String, now: String) throws {
        guard summary.added + summary.updated + summary.disabled > 0 else { return }
        try db.execute("""
            INSERT INTO inventory_changes (source, origin, added, updated, unchanged, disabled, changed_at)
            VALUES (\(source.rawValue), \(origin), \(summary.added), \(summary.updated), \(summary.unchanged),
                    \(summary.disabled), \(now))
            """)
    }
}
