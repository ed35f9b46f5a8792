import FleetformBasics
import GRDB

/// A row of `jobs`: one account's part in one run.
public struct JobRecord: Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "jobs"

    /// The columns a `JobRecord` is read from. Never `*`: a job row also holds the tail
    /// of its log (up to 64 KiB, for `logs` on another machine), which every status
    /// poll of a queued run and every run summary would otherwise read for each job.
    static let selectedColumnNames = [
        "job_id", "run_id", "account_id", "operation", "template", "status", "skip_reason", "canary", "attempts",
        "config_hash", "terraform_pid", "terraform_started", "terraform_host", "role_arn", "policy_arn",
        "instance_profile_arn", "plan_add", "plan_change", "plan_destroy", "plan_import", "adopted", "error", "log_path",
        "started_at", "finished_at", "updated_at",
    ]

    /// What GRDB's query interface selects for a `JobRecord`.
    public static var databaseSelection: [any SQLSelectable] { selectedColumnNames.map { Column($0) } }

    /// The select list for raw SQL, each column qualified with `table` when given (`j.job_id, …`).
    static func selectList(_ table: String? = nil) -> String {
        selectedColumnNames.map { column in table.map { "\($0).\(column)" } ?? column }.joined(separator: ", ")
    }

    public var jobID: Int64
    public var runID: String
    public var accountID: String
    public var operation: JobOperation
    public var template: String
    public var status: JobStatus
    public var skipReason: SkipReason?
    /// Whether the job was one of its run's canary, started before the others (`--canary`).
    public var canary: Bool
    public var attempts: Int
    public var configHash: String?
    public var terraformPID: Int32?
    public var roleARN: String?
    public var policyARN: String?
    public var instanceProfileARN: String?
    /// What a plan job found to change; nil for other jobs and unfinished plans.
    public var planChanges: PlanChanges?
    /// What the job took over with `--adopt`, by kind; empty for none.
    public var adopted: [String]
    public var error: String?
    public var logPath: String?
    public var startedAt: String?
    public var finishedAt: String?
    public var updatedAt: String

    public enum Columns {
        public static let jobID = Column("job_id")
        public static let runID = Column("run_id")
        public static let accountID = Column("account_id")
        public static let operation = Column("operation")
        public static let template = Column("template")
        public static let status = Column("status")
        public static let skipReason = Column("skip_reason")
        public static let canary = Column("canary")
        public static let attempts = Column("attempts")
        public static let configHash = Column("config_hash")
        public static let terraformPID = Column("terraform_pid")
        public static let terraformStarted = Column("terraform_started")
        public static let terraformHost = Column("terraform_host")
        public static let roleARN = Column("role_arn")
        public static let policyARN = Column("policy_arn")
        public static let instanceProfileARN = Column("instance_profile_arn")
        public static let planAdd = Column("plan_add")
        public static let planChange = Column("plan_change")
        public static let planDestroy = Column("plan_destroy")
        public static let planImport = Column("plan_import")
        public static let adopted = Column("adopted")
        public static let error = Column("error")
        public static let logPath = Column("log_path")
        public static let startedAt = Column("started_at")
        public static let finishedAt = Column("finished_at")
        public static let updatedAt = Column("updated_at")
    }

    /// Every field; for the PostgreSQL store, which reads rows without GRDB.
    init(jobID: Int64, runID: String, accountID: String, operation: JobOperation, template: String, status: JobStatus,
         skipReason: SkipReason?, canary: Bool, attempts: Int, configHash: String?, terraformPID: Int32?,
         roleARN: String?, policyARN: String?, instanceProfileARN: String?, planChanges: PlanChanges?,
         adopted: [String], error: String?, logPath: String?, startedAt: String?, finishedAt: String?,
         updatedAt: String) {
        self.jobID = jobID
        self.runID = runID
        self.accountID = accountID
        self.operation = operation
        self.template = template
        self.status = status
        self.skipReason = skipReason
        self.canary = canary
        self.attempts = attempts
        self.configHash = configHash
        self.terraformPID = terraformPID
        self.roleARN = roleARN
        self.policyARN = policyARN
        self.instanceProfileARN = instanceProfileARN
        self.planChanges = planChanges
        self.adopted = adopted
        self.error = error
        self.logPath = logPath
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.updatedAt = updatedAt
    }

    public init(row: Row) throws {
        jobID = row[Columns.jobID.name]
        runID = row[Columns.runID.name]
        accountID = row[Columns.accountID.name]
        let key = "\(jobID)"
        operation = try row.decoded(Columns.operation.name, table: Self.databaseTableName, key: key)
        template = row[Columns.template.name]
        status = try row.decoded(Columns.status.name, table: Self.databaseTableName, key: key)
        skipReason = try row.decodedIfPresent(Columns.skipReason.name, table: Self.databaseTableName, key: key)
        canary = row[Columns.canary.name]
        attempts = row[Columns.attempts.name]
        configHash = row[Columns.configHash.name]
        terraformPID = row[Columns.terraformPID.name]
        roleARN = row[Columns.roleARN.name]
        policyARN = row[Columns.policyARN.name]
        instanceProfileARN = row[Columns.instanceProfileARN.name]
        if let add: Int = row[Columns.planAdd.name] {
            planChanges = PlanChanges(add: add, change: row[Columns.planChange.name] ?? 0,
                                      destroy: row[Columns.planDestroy.name] ?? 0, imports: row[Columns.planImport.name] ?? 0)
        }
        adopted = AdoptedObjects.decode(row[Columns.adopted.name])
        error = row[Columns.error.name]
        logPath = row[Columns.logPath.name]
        startedAt = row[Columns.startedAt.name]
        finishedAt = row[Columns.finishedAt.name]
        updatedAt = row[Columns.updatedAt.name]
    }

    /// Every column but `terraform_started` and `terraform_host`, which only the
    /// statement recording a terraform's pid writes.
    public func encode(to container: inout PersistenceContainer) throws {
        container[Columns.jobID] = jobID
        container[Columns.runID] = runID
        container[Columns.accountID] = accountID
        container[Columns.operation] = operation.rawValue
        container[Columns.template] = template
        container[Columns.status] = status.rawValue
        container[Columns.skipReason] = skipReason?.rawValue
        container[Columns.canary] = canary
        container[Columns.attempts] = attempts
        container[Columns.configHash] = configHash
        container[Columns.terraformPID] = terraformPID
        container[Columns.roleARN] = roleARN
        container[Columns.policyARN] = policyARN
        container[Columns.instanceProfileARN] = instanceProfileARN
        container[Columns.planAdd] = planChanges?.add
        container[Columns.planChange] = planChanges?.change
        container[Columns.planDestroy] = planChanges?.destroy
        container[Columns.planImport] = planChanges?.imports
        container[Columns.adopted] = AdoptedObjects.encode(adopted)
        container[Columns.error] = error
        container[Columns.logPath] = logPath
        container[Columns.startedAt] = startedAt
        container[Columns.finishedAt] = finishedAt
        container[Columns.updatedAt] = updatedAt
    }
}
