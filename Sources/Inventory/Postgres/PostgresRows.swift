import FleetformBasics
import PostgresNIO

/// Reading the record types from PostgreSQL rows, column by column as their GRDB
/// `init(row:)` reads SQLite's: one shape, two decoders.
extension PostgresRandomAccessRow {
    func get<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try self[column].decode(T.self)
    }

    func optional<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T? {
        let cell = self[column]
        return cell.bytes == nil ? nil : try cell.decode(T.self)
    }

    /// A stored enum value; one this binary does not know is an error naming the row,
    /// never a default (as `Row.decoded` on SQLite).
    func decoded<Value: RawRepresentable>(_ column: String, table: String, key: @autoclosure () -> String) throws -> Value
        where Value.RawValue == String {
        let text = try get(column, as: String.self)
        guard let value = Value(rawValue: text) else {
            throw InventoryRowError(table: table, key: key(), column: column, value: text)
        }
        return value
    }

    func decodedIfPresent<Value: RawRepresentable>(_ column: String, table: String, key: @autoclosure () -> String)
        throws -> Value? where Value.RawValue == String {
        guard let text = try optional(column, as: String.self) else { return nil }
        guard let value = Value(rawValue: text) else {
            throw InventoryRowError(table: table, key: key(), column: column, value: text)
        }
        return value
    }
}

extension AccountRecord {
    init(postgres row: PostgresRandomAccessRow) throws {
        let accountID = try row.get("account_id", as: String.self)
        self.init(
            spec: AccountSpec(
                accountID: accountID, name: try row.get("name"), email: try row.optional("email"),
                ouPath: try row.get("ou_path"), region: try row.get("region"), roleName: try row.get("role_name"),
                accessRoleName: try row.get("access_role_name"),
                managementAccountID: try row.optional("management_account_id"),
                tags: TagsColumn.decode(try row.get("tags")), accountTags: TagsColumn.decode(try row.get("account_tags")),
                enabled: try row.get("enabled")),
            disabledReason: try row.decodedIfPresent("disabled_reason", table: Self.databaseTableName, key: accountID),
            organizationState: try row.optional("state"),
            source: try row.decoded("source", table: Self.databaseTableName, key: accountID),
            createdAt: try row.get("created_at"), updatedAt: try row.get("updated_at"))
        // `init(spec:)` infers `user` for a disabled account without a reason; keep what is stored.
        self.disabledReason = try row.decodedIfPresent("disabled_reason", table: Self.databaseTableName, key: accountID)
    }
}

extension RunRecord {
    init(postgres row: PostgresRandomAccessRow) throws {
        let runID = try row.get("run_id", as: String.self)
        let started = try row.optional("pid_started", as: Int64.self)
        self.init(
            runID: runID, command: try row.decoded("command", table: Self.databaseTableName, key: runID),
            template: try row.get("template"),
            owner: ProcessIdentity(host: try row.optional("host"), pid: try row.get("pid", as: Int32.self),
                                   startTime: started.map { UInt64(bitPattern: $0) }),
            parallel: try row.get("parallel"), startedAt: try row.get("started_at"),
            finishedAt: try row.optional("finished_at"),
            outcome: try row.decodedIfPresent("outcome", table: Self.databaseTableName, key: runID))
    }
}

extension JobRecord {
    init(postgres row: PostgresRandomAccessRow) throws {
        let jobID = try row.get("job_id", as: Int64.self)
        let key = "\(jobID)"
        let table = Self.databaseTableName
        var planChanges: PlanChanges?
        if let add = try row.optional("plan_add", as: Int.self) {
            planChanges = PlanChanges(add: add, change: try row.optional("plan_change") ?? 0,
                                      destroy: try row.optional("plan_destroy") ?? 0,
                                      imports: try row.optional("plan_import") ?? 0)
        }
        self.init(
            jobID: jobID, runID: try row.get("run_id"), accountID: try row.get("account_id"),
            operation: try row.decoded("operation", table: table, key: key), template: try row.get("template"),
            status: try row.decoded("status", table: table, key: key),
            skipReason: try row.decodedIfPresent("skip_reason", table: table, key: key),
            canary: try row.get("canary"), attempts: try row.get("attempts"), configHash: try row.optional("config_hash"),
            terraformPID: try row.optional("terraform_pid"), roleARN: try row.optional("role_arn"),
            policyARN: try row.optional("policy_arn"), instanceProfileARN: try row.optional("instance_profile_arn"),
            planChanges: planChanges, adopted: AdoptedObjects.decode(try row.optional("adopted")),
            error: try row.optional("error"), logPath: try row.optional("log_path"),
            startedAt: try row.optional("started_at"), finishedAt: try row.optional("finished_at"),
            updatedAt: try row.get("updated_at"))
    }
}

extension AttemptRecord {
    init(postgres row: PostgresRandomAccessRow) throws {
        let jobID = try row.get("job_id", as: Int64.self)
        let attempt = try row.get("attempt", as: Int.self)
        var termination: ProcessTermination?
        if let text = try row.optional("termination", as: String.self), text != Self.legacyNotStarted {
            guard let parsed = ProcessTermination(storedText: text) else {
                throw InventoryRowError(table: Self.databaseTableName, key: "\(jobID)/\(attempt)", column: "termination",
                                        value: text)
            }
            termination = parsed
        }
        self.init(jobID: jobID, attempt: attempt, startedAt: try row.get("started_at"),
                  finishedAt: try row.optional("finished_at"), termination: termination,
                  transient: try row.get("transient"), error: try row.optional("error"))
    }
}

extension AkeylessRecord {
    init(postgres row: PostgresRandomAccessRow) throws {
        let accountID = try row.get("account_id", as: String.self)
        self.init(
            accountID: accountID, status: try row.decoded("status", table: "akeyless_state", key: accountID),
            apiURL: try row.get("api_url"), target: try row.get("target"), authMethod: try row.get("auth_method"),
            layout: try row.decoded("layout", table: "akeyless_state", key: accountID),
            accessID: try row.optional("access_id"), syncedAt: try row.optional("synced_at"),
            error: try row.optional("error"), updatedAt: try row.get("updated_at"))
    }
}
