import FleetformBasics
import Foundation
import GRDB

extension InventoryDatabase {
    // MARK: Starting and ending runs

    /// Creates a run and its pending jobs, unless another live run holds the fleet.
    ///
    /// Check and insert happen in one IMMEDIATE transaction, so two fleetforms started
    /// at the same moment cannot both pass the check. Runs whose owner process is gone
    /// are closed on the way (see `recoverAbandonedRuns`).
    public func startRun(
        runID: String, command: RunCommand, template: String, parallel: Int, jobs: [PlannedJob],
        owner: ProcessIdentity = .current, isAlive: (ProcessIdentity) -> Bool, at date: Date = Date()
    ) throws -> [JobRecord] {
        let now = Timestamp.string(from: date)
        return try writeImmediate { db in
            _ = try Self.recoverAbandonedRuns(db, isAlive: isAlive, now: now)
            if let other = try Row.fetchOne(db, sql: """
                SELECT run_id, command, pid, host, pid_started, started_at FROM runs
                WHERE finished_at IS NULL ORDER BY started_at LIMIT 1
                """) {
                throw try RunInProgress(row: other)
            }
            try db.execute(sql: """
                INSERT INTO runs (run_id, command, template, pid, host, pid_started, parallel, started_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [runID, command.rawValue, template, owner.pid, owner.host,
                                 owner.startTime.map { Int64(bitPattern: $0) }, parallel, now])
            let insert = try db.cachedStatement(sql: """
                INSERT INTO jobs (run_id, account_id, operation, template, status, updated_at)
                VALUES (?, ?, ?, ?, 'pending', ?)
                """)
            for job in jobs {
                try insert.execute(arguments: [runID, job.accountID, job.operation.rawValue, job.template, now])
            }
            return try JobRecord.fetchAll(db, sql: "SELECT * FROM jobs WHERE run_id = ? ORDER BY job_id", arguments: [runID])
        }
    }

    /// Closes the run. A job still pending or running here is one whose result could not
    /// be recorded (the database was locked too long): it becomes `interrupted`, so that
    /// `retry` runs it again, and the run is not reported as succeeded. Returns the outcome
    /// recorded.
    @discardableResult
    public func finishRun(runID: String, outcome: RunOutcome, at date: Date = Date()) throws -> RunOutcome {
        let now = Timestamp.string(from: date)
        return try write { db in
            let unfinished = try Int64.fetchAll(db, sql: """
                SELECT job_id FROM jobs WHERE run_id = ? AND status IN ('pending', 'running')
                """, arguments: [runID])
            for jobID in unfinished {
                try Self.finishJob(db, jobID: jobID, result: JobResult(
                    status: .interrupted, error: "fleetform could not record this job's result; retry runs it again"),
                    started: true, now: now)
            }
            let recorded = unfinished.isEmpty || outcome != .succeeded ? outcome : .interrupted
            try db.execute(sql: "UPDATE runs SET finished_at = ?, outcome = ? WHERE run_id = ?",
                           arguments: [now, recorded.rawValue, runID])
            return recorded
        }
    }

    /// Marks runs whose fleetform process is gone as interrupted, and their pending and
    /// running jobs too, so the next `retry` picks those accounts up. Every command calls
    /// this first: a crash must never leave an account `running` forever.
    @discardableResult
    public func recoverAbandonedRuns(isAlive: (ProcessIdentity) -> Bool, at date: Date = Date()) throws -> [AbandonedRun] {
        // Cheap read first: nearly always there is nothing to recover and no write is needed.
        let open = try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM runs WHERE finished_at IS NULL") ?? 0 }
        guard open > 0 else { return [] }
        return try writeImmediate { db in
            try Self.recoverAbandonedRuns(db, isAlive: isAlive, now: Timestamp.string(from: date))
        }
    }

    private static func recoverAbandonedRuns(_ db: Database, isAlive: (ProcessIdentity) -> Bool, now: String) throws -> [AbandonedRun] {
        var recovered: [AbandonedRun] = []
        let open = try Row.fetchAll(db, sql: "SELECT run_id, pid, host, pid_started FROM runs WHERE finished_at IS NULL")
        for run in open {
            let owner = RunInProgress.owner(of: run)
            guard !isAlive(owner) else { continue }
            let pid = owner.pid
            let runID: String = run["run_id"]
            let jobs = try Row.fetchAll(db, sql: """
                SELECT job_id, status FROM jobs WHERE run_id = ? AND status IN ('pending', 'running')
                """, arguments: [runID])
            for job in jobs {
                let started = (job["status"] as String) == "running"
                try finishJob(db, jobID: job["job_id"], result: JobResult(
                    status: .interrupted,
                    error: started ? "fleetform (pid \(pid)) stopped before this job finished"
                                   : "not started: fleetform (pid \(pid)) stopped first"),
                    started: started, now: now)
            }
            let jobIDs = jobs.map { $0["job_id"] as Int64 }
            try db.execute(sql: """
                UPDATE job_attempts SET finished_at = ?, error = 'fleetform stopped during this attempt'
                WHERE finished_at IS NULL AND job_id IN (SELECT job_id FROM jobs WHERE run_id = ?)
                """, arguments: [now, runID])
            try db.execute(sql: "UPDATE runs SET finished_at = ?, outcome = 'interrupted' WHERE run_id = ?",
                           arguments: [now, runID])
            recovered.append(AbandonedRun(runID: runID, interruptedJobs: jobIDs.count))
        }
        return recovered
    }

    // MARK: Jobs

    /// A job's attempt starts: the job becomes `running` and the attempt is recorded.
    public func startAttempt(jobID: Int64, attempt: Int, configHash: String?, logPath: String, at date: Date = Date()) throws {
        let now = Timestamp.string(from: date)
        try write { db in
            try db.execute(sql: """
                UPDATE jobs SET status = 'running', attempts = ?, config_hash = ?, log_path = ?,
                    started_at = coalesce(started_at, ?), terraform_pid = NULL, updated_at = ?
                WHERE job_id = ?
                """, arguments: [attempt, configHash, logPath, now, now, jobID])
            try db.execute(sql: """
                INSERT OR REPLACE INTO job_attempts (job_id, attempt, started_at) VALUES (?, ?, ?)
                """, arguments: [jobID, attempt, now])
            try db.execute(sql: """
                INSERT INTO account_state (account_id, status, last_run_id, last_job_id, attempts, updated_at)
                SELECT account_id, 'running', run_id, job_id, ?, ? FROM jobs WHERE job_id = ? AND operation != 'plan'
                ON CONFLICT (account_id) DO UPDATE SET status = 'running', last_run_id = excluded.last_run_id,
                    last_job_id = excluded.last_job_id, attempts = excluded.attempts, updated_at = excluded.updated_at
                """, arguments: [attempt, now, jobID])
        }
    }

    /// Records the pid of the terraform now running for a job, with its start time so
    /// that a recycled pid is not mistaken for it.
    public func recordTerraformPID(jobID: Int64, pid: Int32, startTime: UInt64?) throws {
        try write { db in
            try db.execute(sql: """
                UPDATE jobs SET terraform_pid = ?, terraform_started = ?, terraform_host = ? WHERE job_id = ?
                """, arguments: [pid, startTime.map { Int64(bitPattern: $0) }, ProcessProbe.hostName, jobID])
        }
    }

    /// The terraform recorded for a job is known to have ended (it exited, or was found
    /// gone or a zombie): no later run needs to look at it again.
    public func clearTerraformPID(jobID: Int64) throws {
        try write { db in
            try db.execute(sql: "UPDATE jobs SET terraform_pid = NULL WHERE job_id = ?", arguments: [jobID])
        }
    }

    /// An attempt ended; `transient` says whether it will be retried.
    public func finishAttempt(jobID: Int64, attempt: Int, termination: String, transient: Bool, error: String?,
                              at date: Date = Date()) throws {
        try write { db in
            try db.execute(sql: """
                UPDATE job_attempts SET finished_at = ?, termination = ?, transient = ?, error = ?
                WHERE job_id = ? AND attempt = ?
                """, arguments: [Timestamp.string(from: date), termination, transient, error, jobID, attempt])
        }
    }

    /// A job reached its final status; the account's state moves with it, and the last
    /// attempt is closed, in the same transaction. A job that never `started` (stopped
    /// before its turn) changes the state only of an account that has none: nothing
    /// happened to the others.
    public func finishJob(jobID: Int64, result: JobResult, lastAttempt: (attempt: Int, termination: String, transient: Bool)? = nil,
                          started: Bool = true, terraformExited: Bool = false, at date: Date = Date()) throws {
        let now = Timestamp.string(from: date)
        try write { db in
            if terraformExited {
                // Its terraform was seen to exit: no later run needs to wait for that pid.
                try db.execute(sql: "UPDATE jobs SET terraform_pid = NULL WHERE job_id = ?", arguments: [jobID])
            }
            if let lastAttempt {
                try db.execute(sql: """
                    UPDATE job_attempts SET finished_at = ?, termination = ?, transient = ?, error = ?
                    WHERE job_id = ? AND attempt = ?
                    """, arguments: [now, lastAttempt.termination, lastAttempt.transient, result.error, jobID,
                                     lastAttempt.attempt])
            }
            try Self.finishJob(db, jobID: jobID, result: result, started: started, now: now)
        }
    }

    /// A job that will not run: up to date, or the failure tolerance was exceeded.
    public func skipJob(jobID: Int64, reason: String, at date: Date = Date()) throws {
        try skipJobs([jobID], reason: reason, at: date)
    }

    /// Jobs that will not run, in one transaction: a no-op re-run of 5,000 up-to-date
    /// accounts is one commit, not 5,000.
    public func skipJobs(_ jobIDs: [Int64], reason: String, at date: Date = Date()) throws {
        guard !jobIDs.isEmpty else { return }
        let now = Timestamp.string(from: date)
        try write { db in
            let skip = try db.cachedStatement(sql: """
                UPDATE jobs SET status = 'skipped', skip_reason = ?, finished_at = ?, updated_at = ? WHERE job_id = ?
                """)
            // An account that has never been run shows as skipped; one with a history keeps it.
            let state = try db.cachedStatement(sql: """
                INSERT INTO account_state (account_id, status, last_run_id, last_job_id, error, updated_at)
                SELECT account_id, 'skipped', run_id, job_id, ?, ? FROM jobs WHERE job_id = ? AND operation != 'plan'
                ON CONFLICT (account_id) DO NOTHING
                """)
            for jobID in jobIDs {
                try skip.execute(arguments: [reason, now, now, jobID])
                try state.execute(arguments: [reason, now, jobID])
            }
        }
    }

    private static func finishJob(_ db: Database, jobID: Int64, result: JobResult, started: Bool = true, now: String) throws {
        try db.execute(sql: """
            UPDATE jobs SET status = ?, role_arn = ?, policy_arn = ?, instance_profile_arn = ?,
                plan_add = ?, plan_change = ?, plan_destroy = ?, error = ?, finished_at = ?, updated_at = ?
            WHERE job_id = ?
            """, arguments: [
                result.status.rawValue, result.roleARN, result.policyARN, result.instanceProfileARN,
                result.planChanges?.add, result.planChanges?.change, result.planChanges?.destroy,
                result.error, now, now, jobID,
            ])
        guard let job = try Row.fetchOne(db, sql: """
            SELECT account_id, run_id, operation, attempts, config_hash FROM jobs WHERE job_id = ?
            """, arguments: [jobID]) else { return }
        let operation = JobOperation(rawValue: job["operation"]) ?? .plan
        guard operation != .plan else { return }  // A plan changes nothing, so the account's state stays.
        let accountID: String = job["account_id"]
        guard started else {
            try db.execute(sql: """
                INSERT INTO account_state (account_id, status, last_run_id, last_job_id, error, updated_at)
                VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account_id) DO NOTHING
                """, arguments: [accountID, result.status.rawValue, job["run_id"] as String, jobID, result.error, now])
            return
        }
        let attempts: Int = job["attempts"]
        let configHash: String? = job["config_hash"]

        let status: String
        var arns: (String?, String?, String?)?
        var appliedHash: String?? = .none  // .none: keep; .some(x): set to x
        switch (operation, result.status) {
        case (.apply, .succeeded):
            status = "succeeded"
            arns = (result.roleARN, result.policyARN, result.instanceProfileARN)
            appliedHash = .some(configHash)
        case (.destroy, .succeeded):
            status = "destroyed"
            arns = (nil, nil, nil)
            appliedHash = .some(nil)
        default:
            // Failed or interrupted: the ARNs of the last success stay, they may still be real.
            status = result.status.rawValue
        }
        try db.execute(sql: """
            INSERT INTO account_state (account_id, status, last_run_id, last_job_id, attempts, error, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (account_id) DO UPDATE SET status = excluded.status, last_run_id = excluded.last_run_id,
                last_job_id = excluded.last_job_id, attempts = excluded.attempts, error = excluded.error,
                updated_at = excluded.updated_at
            """, arguments: [accountID, status, job["run_id"] as String, jobID, attempts, result.error, now])
        if let arns {
            try db.execute(sql: """
                UPDATE account_state SET role_arn = ?, policy_arn = ?, instance_profile_arn = ? WHERE account_id = ?
                """, arguments: [arns.0, arns.1, arns.2, accountID])
        }
        if case .some(let hash) = appliedHash {
            try db.execute(sql: "UPDATE account_state SET applied_config_hash = ? WHERE account_id = ?",
                           arguments: [hash, accountID])
        }
    }

    // MARK: Queries for the scheduler

    /// The config hash of each account's last successful apply, for skipping up-to-date accounts.
    public func appliedConfigHashes() throws -> [String: String] {
        try read { db in
            var hashes: [String: String] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT account_id, applied_config_hash FROM account_state
                WHERE applied_config_hash IS NOT NULL AND status = 'succeeded'
                """)
            while let row = try rows.next() { hashes[row[0]] = row[1] }
            return hashes
        }
    }

    /// Accounts whose latest apply or destroy job (skipped ones aside) failed or was
    /// interrupted, with the operation and template of that job: what `retry` runs again.
    public func retryCandidates() throws -> [PlannedJob] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT j.account_id, j.operation, j.template
                FROM jobs j
                JOIN (SELECT max(job_id) AS job_id FROM jobs
                      WHERE operation != 'plan' AND status != 'skipped' GROUP BY account_id) latest
                  ON latest.job_id = j.job_id
                JOIN accounts a ON a.account_id = j.account_id
                WHERE j.status IN ('failed', 'interrupted') AND a.enabled = 1
                ORDER BY a.ou_path, a.name, a.account_id
                """).map { row in
                PlannedJob(accountID: row[0], operation: JobOperation(rawValue: row[1]) ?? .apply, template: row[2])
            }
        }
    }

    /// The template of each account's last successful apply, unless a successful destroy
    /// came after it: what its state was made with.
    public func appliedTemplates() throws -> [String: String] {
        try read { db in
            var templates: [String: String] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT j.account_id, j.template, j.operation FROM jobs j
                JOIN (SELECT max(job_id) AS job_id FROM jobs
                      WHERE status = 'succeeded' AND operation IN ('apply', 'destroy') GROUP BY account_id) latest
                  ON latest.job_id = j.job_id
                """)
            while let row = try rows.next() {
                let operation: String = row[2]
                if operation == "apply" { templates[row[0]] = row[1] }
            }
            return templates
        }
    }

    /// A terraform recorded by an earlier job: the job, and which process it was.
    public struct RecordedTerraform: Sendable, Equatable {
        public var jobID: Int64
        public var runID: String
        public var process: ProcessIdentity

        public init(jobID: Int64, runID: String, process: ProcessIdentity) {
            self.jobID = jobID
            self.runID = runID
            self.process = process
        }
    }

    /// Terraform processes recorded by earlier jobs of these accounts that may still be
    /// running (a killed fleetform's terraform keeps going), by account.
    public func recordedTerraformPIDs(accountIDs: [String]) throws -> [String: RecordedTerraform] {
        try read { db in
            var recorded: [String: RecordedTerraform] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT account_id, terraform_pid, terraform_started, terraform_host, job_id, run_id FROM jobs
                WHERE job_id IN (SELECT max(job_id) FROM jobs WHERE terraform_pid IS NOT NULL GROUP BY account_id)
                """)
            let wanted = Set(accountIDs)
            while let row = try rows.next() {
                let accountID: String = row[0]
                let started: Int64? = row[2]
                if wanted.contains(accountID) {
                    recorded[accountID] = RecordedTerraform(
                        jobID: row[4], runID: row[5],
                        process: ProcessIdentity(host: row[3], pid: row[1], startTime: started.map { UInt64(bitPattern: $0) }))
                }
            }
            return recorded
        }
    }

    // MARK: Queries for the command line

    /// Every run, newest first, with job counts.
    public func runSummaries() throws -> [RunSummary] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT r.*, count(j.job_id) AS selected,
                    sum(j.status = 'succeeded') AS succeeded, sum(j.status = 'failed') AS failed,
                    sum(j.status = 'skipped') AS skipped, sum(j.status = 'interrupted') AS interrupted
                FROM runs r LEFT JOIN jobs j ON j.run_id = r.run_id
                GROUP BY r.run_id ORDER BY r.started_at DESC, r.rowid DESC
                """).map { row in
                RunSummary(
                    runID: row["run_id"], command: RunCommand(rawValue: row["command"]) ?? .apply,
                    template: row["template"], pid: row["pid"], parallel: row["parallel"],
                    startedAt: row["started_at"], finishedAt: row["finished_at"],
                    outcome: (row["outcome"] as String?).flatMap(RunOutcome.init(rawValue:)),
                    selected: row["selected"], succeeded: row["succeeded"] ?? 0, failed: row["failed"] ?? 0,
                    skipped: row["skipped"] ?? 0, interrupted: row["interrupted"] ?? 0)
            }
        }
    }

    public func jobs(runID: String) throws -> [JobRecord] {
        try read { db in
            try JobRecord.fetchAll(db, sql: """
                SELECT j.* FROM jobs j JOIN accounts a ON a.account_id = j.account_id
                WHERE j.run_id = ? ORDER BY a.ou_path, a.name, a.account_id
                """, arguments: [runID])
        }
    }

    /// The newest job of an account, optionally within one run.
    public func latestJob(accountID: String, runID: String? = nil) throws -> JobRecord? {
        try read { db in
            if let runID {
                return try JobRecord.fetchOne(db, sql: "SELECT * FROM jobs WHERE account_id = ? AND run_id = ?",
                                              arguments: [accountID, runID])
            }
            return try JobRecord.fetchOne(db, sql: "SELECT * FROM jobs WHERE account_id = ? ORDER BY job_id DESC LIMIT 1",
                                          arguments: [accountID])
        }
    }

    /// One account, enabled or not.
    public func account(id: String) throws -> AccountRecord? {
        try read { db in try AccountRecord.fetchOne(db, key: id) }
    }

    /// Runs `body` in an IMMEDIATE transaction: the write lock is taken before the first
    /// read, so a check-then-insert cannot interleave with another process.
    func writeImmediate<T>(_ body: (Database) throws -> T) throws -> T {
        try writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(db)
                return .commit
            }
            return result!
        }
    }
}

extension JobRecord: FetchableRecord {
    public init(row: Row) throws {
        jobID = row["job_id"]
        runID = row["run_id"]
        accountID = row["account_id"]
        operation = JobOperation(rawValue: row["operation"]) ?? .apply
        template = row["template"]
        status = JobStatus(rawValue: row["status"]) ?? .pending
        skipReason = row["skip_reason"]
        attempts = row["attempts"]
        configHash = row["config_hash"]
        terraformPID = row["terraform_pid"]
        roleARN = row["role_arn"]
        policyARN = row["policy_arn"]
        instanceProfileARN = row["instance_profile_arn"]
        planAdd = row["plan_add"]
        planChange = row["plan_change"]
        planDestroy = row["plan_destroy"]
        error = row["error"]
        logPath = row["log_path"]
        startedAt = row["started_at"]
        finishedAt = row["finished_at"]
    }
}

extension InventoryDatabase {
    /// An account's jobs that started terraform (they have a log path), newest first.
    public func jobsWithLogs(accountID: String) throws -> [JobRecord] {
        try read { db in
            try JobRecord.fetchAll(db, sql: """
                SELECT * FROM jobs WHERE account_id = ? AND log_path IS NOT NULL ORDER BY job_id DESC
                """, arguments: [accountID])
        }
    }
}
