import FleetformBasics
import Foundation
import GRDB

extension SQLiteInventoryStore {
    // MARK: Starting and ending runs

    /// Creates a run and its pending jobs, unless another live run holds the fleet.
    ///
    /// Check and insert happen in one IMMEDIATE transaction, so two fleetforms started
    /// at the same moment cannot both pass the check. Runs whose owner process is gone
    /// are closed on the way (see `recoverAbandonedRuns`).
    public func startRun(
        runID: String, command: RunCommand, template: String, parallel: Int, jobs: [PlannedJob],
        owner: ProcessIdentity, isAlive: (ProcessIdentity) -> Bool, at date: Date
    ) throws -> [JobRecord] {
        let now = Timestamp.string(from: date)
        return try writeImmediate { db in
            _ = try Self.recoverAbandonedRuns(db, isAlive: isAlive, now: now)
            if let other = try RunRecord.filter(RunRecord.Columns.finishedAt == nil)
                .order(RunRecord.Columns.startedAt).fetchOne(db) {
                throw RunInProgress(run: other)
            }
            try RunRecord(runID: runID, command: command, template: template, owner: owner, parallel: parallel,
                          startedAt: now).insert(db)
            let insert = try db.cachedStatement(sql: """
                INSERT INTO jobs (run_id, account_id, operation, template, status, updated_at) VALUES (?, ?, ?, ?, ?, ?)
                """)
            for job in jobs {
                try insert.execute(arguments: [runID, job.accountID, job.operation.rawValue, job.template,
                                               JobStatus.pending.rawValue, now])
            }
            return try JobRecord.filter(JobRecord.Columns.runID == runID).order(JobRecord.Columns.jobID).fetchAll(db)
        }
    }

    /// Closes the run. A job still pending or running here is one whose result could not
    /// be recorded (the database was locked too long): it becomes `interrupted`, so that
    /// `retry` runs it again, and the run is not reported as succeeded. Returns the outcome
    /// recorded.
    @discardableResult
    public func finishRun(runID: String, outcome: RunOutcome, at date: Date) throws -> RunOutcome {
        let now = Timestamp.string(from: date)
        return try write { db in
            let unfinished = try JobRecord
                .filter(JobRecord.Columns.runID == runID && Self.unfinishedStatuses.contains(JobRecord.Columns.status))
                .fetchAll(db).map(\.jobID)
            for jobID in unfinished {
                try Self.finishJob(db, jobID: jobID, result: JobResult(
                    status: .interrupted, error: "fleetform could not record this job's result; retry runs it again"),
                    started: true, now: now)
            }
            let recorded = unfinished.isEmpty || outcome != .succeeded ? outcome : .interrupted
            try Self.closeRun(db, runID: runID, outcome: recorded, now: now)
            return recorded
        }
    }

    /// Marks runs whose fleetform process is gone as interrupted, and their pending and
    /// running jobs too, so the next `retry` picks those accounts up. Every command calls
    /// this first: a crash must never leave an account `running` forever.
    @discardableResult
    public func recoverAbandonedRuns(isAlive: (ProcessIdentity) -> Bool, at date: Date) throws -> [AbandonedRun] {
        // Cheap read first: nearly always there is nothing to recover and no write is needed.
        let open = try read { db in try RunRecord.filter(RunRecord.Columns.finishedAt == nil).fetchCount(db) }
        guard open > 0 else { return [] }
        return try writeImmediate { db in
            try Self.recoverAbandonedRuns(db, isAlive: isAlive, now: Timestamp.string(from: date))
        }
    }

    private static func recoverAbandonedRuns(_ db: Database, isAlive: (ProcessIdentity) -> Bool, now: String) throws -> [AbandonedRun] {
        var recovered: [AbandonedRun] = []
        // A queued run's jobs are owned by workers under leases, not by the process that
        // enqueued it (see InventoryDatabase+Queue).
        let open = try RunRecord.filter(sql: "finished_at IS NULL AND (queue IS NULL OR queue != 'open')").fetchAll(db)
        for run in open {
            guard !isAlive(run.owner) else { continue }
            let pid = run.owner.pid
            let runID = run.runID
            let jobs = try JobRecord
                .filter(JobRecord.Columns.runID == runID && unfinishedStatuses.contains(JobRecord.Columns.status))
                .fetchAll(db)
            for job in jobs {
                let started = job.status == .running
                try finishJob(db, jobID: job.jobID, result: JobResult(
                    status: .interrupted,
                    error: started ? "fleetform (pid \(pid)) stopped before this job finished"
                                   : "not started: fleetform (pid \(pid)) stopped first"),
                    started: started, now: now)
            }
            try db.execute(sql: """
                UPDATE job_attempts SET finished_at = ?, error = ?
                WHERE finished_at IS NULL AND job_id IN (SELECT job_id FROM jobs WHERE run_id = ?)
                """, arguments: [now, "fleetform stopped during this attempt", runID])
            try closeRun(db, runID: runID, outcome: .interrupted, now: now)
            recovered.append(AbandonedRun(runID: runID, interruptedJobs: jobs.count))
        }
        return recovered
    }

    static let unfinishedStatuses = [JobStatus.pending.rawValue, JobStatus.running.rawValue]

    static func closeRun(_ db: Database, runID: String, outcome: RunOutcome, now: String) throws {
        try RunRecord.filter(RunRecord.Columns.runID == runID).updateAll(
            db, RunRecord.Columns.finishedAt.set(to: now), RunRecord.Columns.outcome.set(to: outcome.rawValue))
    }

    // MARK: Jobs

    /// A job's attempt starts: the job becomes `running` and the attempt is recorded.
    public func startAttempt(jobID: Int64, attempt: Int, configHash: String?, logPath: String, at date: Date) throws {
        let now = Timestamp.string(from: date)
        try write { db in
            try db.execute(sql: """
                UPDATE jobs SET status = ?, attempts = ?, config_hash = ?, log_path = ?,
                    started_at = coalesce(started_at, ?), terraform_pid = NULL, updated_at = ?
                WHERE job_id = ?
                """, arguments: [JobStatus.running.rawValue, attempt, configHash, logPath, now, now, jobID])
            try AttemptRecord(jobID: jobID, attempt: attempt, startedAt: now).save(db)
            try db.execute(sql: """
                INSERT INTO account_state (account_id, status, last_run_id, last_job_id, attempts, updated_at)
                SELECT account_id, ?, run_id, job_id, ?, ? FROM jobs WHERE job_id = ? AND operation != ?
                ON CONFLICT (account_id) DO UPDATE SET status = excluded.status, last_run_id = excluded.last_run_id,
                    last_job_id = excluded.last_job_id, attempts = excluded.attempts, updated_at = excluded.updated_at
                """, arguments: [OnboardingStatus.running.rawValue, attempt, now, jobID, JobOperation.plan.rawValue])
        }
    }

    /// Records the pid of the terraform now running for a job, with its start time so
    /// that a recycled pid is not mistaken for it.
    public func recordTerraformPID(jobID: Int64, pid: Int32, startTime: UInt64?) throws {
        _ = try write { db in
            try JobRecord.filter(key: jobID).updateAll(
                db, JobRecord.Columns.terraformPID.set(to: pid),
                JobRecord.Columns.terraformStarted.set(to: startTime.map { Int64(bitPattern: $0) }),
                JobRecord.Columns.terraformHost.set(to: ProcessProbe.hostName))
        }
    }

    /// The terraform recorded for a job is known to have ended (it exited, or was found
    /// gone or a zombie): no later run needs to look at it again.
    public func clearTerraformPID(jobID: Int64) throws {
        _ = try write { db in
            try JobRecord.filter(key: jobID).updateAll(db, JobRecord.Columns.terraformPID.set(to: nil))
        }
    }

    /// An attempt ended; `transient` says whether it will be retried.
    public func finishAttempt(jobID: Int64, _ attempt: LastAttempt, error: String?, at date: Date) throws {
        try write { db in
            try Self.finishAttempt(db, jobID: jobID, attempt, error: error, now: Timestamp.string(from: date))
        }
    }

    static func finishAttempt(_ db: Database, jobID: Int64, _ attempt: LastAttempt, error: String?, now: String) throws {
        try AttemptRecord.filter(AttemptRecord.Columns.jobID == jobID && AttemptRecord.Columns.attempt == attempt.attempt)
            .updateAll(db, AttemptRecord.Columns.finishedAt.set(to: now),
                       AttemptRecord.Columns.termination.set(to: attempt.termination?.description),
                       AttemptRecord.Columns.transient.set(to: attempt.transient),
                       AttemptRecord.Columns.error.set(to: error))
    }

    /// A job reached its final status; the account's state moves with it, and the last
    /// attempt is closed, in the same transaction. A job that never `started` (stopped
    /// before its turn) changes the state only of an account that has none: nothing
    /// happened to the others.
    public func finishJob(jobID: Int64, result: JobResult, lastAttempt: LastAttempt?,
                          started: Bool, terraformExited: Bool, at date: Date) throws {
        let now = Timestamp.string(from: date)
        try write { db in
            if terraformExited {
                // Its terraform was seen to exit: no later run needs to wait for that pid.
                try JobRecord.filter(key: jobID).updateAll(db, JobRecord.Columns.terraformPID.set(to: nil))
            }
            if let lastAttempt {
                try Self.finishAttempt(db, jobID: jobID, lastAttempt, error: result.error, now: now)
            }
            try Self.finishJob(db, jobID: jobID, result: result, started: started, now: now)
        }
    }

    /// Jobs that will not run, in one transaction: a no-op re-run of 5,000 up-to-date
    /// accounts is one commit, not 5,000.
    public func skipJobs(_ jobIDs: [Int64], reason: SkipReason, at date: Date) throws {
        guard !jobIDs.isEmpty else { return }
        let now = Timestamp.string(from: date)
        try write { db in
            let skip = try db.cachedStatement(sql: """
                UPDATE jobs SET status = ?, skip_reason = ?, finished_at = ?, updated_at = ? WHERE job_id = ?
                """)
            // An account that has never been run shows as skipped; one with a history keeps it.
            let state = try db.cachedStatement(sql: """
                INSERT INTO account_state (account_id, status, last_run_id, last_job_id, error, updated_at)
                SELECT account_id, ?, run_id, job_id, ?, ? FROM jobs WHERE job_id = ? AND operation != ?
                ON CONFLICT (account_id) DO NOTHING
                """)
            for jobID in jobIDs {
                try skip.execute(arguments: [JobStatus.skipped.rawValue, reason.rawValue, now, now, jobID])
                try state.execute(arguments: [OnboardingStatus.skipped.rawValue, reason.rawValue, now, jobID,
                                              JobOperation.plan.rawValue])
            }
        }
    }

    /// Marks the jobs a run starts first, before the others (`--canary`), in one
    /// transaction, before any of them starts: a run cut off during its canary still
    /// says which accounts were the canary.
    public func markCanary(_ jobIDs: [Int64]) throws {
        guard !jobIDs.isEmpty else { return }
        _ = try write { db in
            try JobRecord.filter(keys: jobIDs).updateAll(db, JobRecord.Columns.canary.set(to: true))
        }
    }

    static func finishJob(_ db: Database, jobID: Int64, result: JobResult, started: Bool = true, now: String) throws {
        try db.execute(sql: """
            UPDATE jobs SET status = ?, role_arn = ?, policy_arn = ?, instance_profile_arn = ?,
                plan_add = ?, plan_change = ?, plan_destroy = ?, plan_import = ?, adopted = ?, error = ?, finished_at = ?,
                updated_at = ?
            WHERE job_id = ?
            """, arguments: [
                result.status.rawValue, result.roleARN, result.policyARN, result.instanceProfileARN,
                result.planChanges?.add, result.planChanges?.change, result.planChanges?.destroy,
                result.planChanges?.imports, AdoptedObjects.encode(result.adopted),
                result.error, now, now, jobID,
            ])
        guard let job = try JobRecord.fetchOne(db, key: jobID) else { return }
        guard job.operation != .plan else { return }  // A plan changes nothing, so the account's state stays.
        let accountID = job.accountID
        guard started else {
            try db.execute(sql: """
                INSERT INTO account_state (account_id, status, last_run_id, last_job_id, error, updated_at)
                VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account_id) DO NOTHING
                """, arguments: [accountID, OnboardingStatus(result.status).rawValue, job.runID, jobID, result.error, now])
            return
        }

        let status: OnboardingStatus
        var arns: (String?, String?, String?)?
        var appliedHash: String?? = .none  // .none: keep; .some(x): set to x
        var adopted: [String]?  // nil: keep
        switch (job.operation, result.status) {
        case (.apply, .succeeded):
            status = .succeeded
            arns = (result.roleARN, result.policyARN, result.instanceProfileARN)
            appliedHash = .some(job.configHash)
            if !result.adopted.isEmpty {
                // Adopted once stays adopted until the account is destroyed: a later apply
                // that adopts nothing does not make the role fleetform's own creation.
                let before = AdoptedObjects.decode(
                    try String.fetchOne(db, sql: "SELECT adopted FROM account_state WHERE account_id = ?", arguments: [accountID]))
                adopted = before + result.adopted.filter { !before.contains($0) }
            }
        case (.destroy, .succeeded):
            status = .destroyed
            arns = (nil, nil, nil)
            appliedHash = .some(nil)
            adopted = []
        default:
            // Failed or interrupted: the ARNs of the last success stay, they may still be real.
            status = OnboardingStatus(result.status)
        }
        try db.execute(sql: """
            INSERT INTO account_state (account_id, status, last_run_id, last_job_id, attempts, error, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (account_id) DO UPDATE SET status = excluded.status, last_run_id = excluded.last_run_id,
                last_job_id = excluded.last_job_id, attempts = excluded.attempts, error = excluded.error,
                updated_at = excluded.updated_at
            """, arguments: [accountID, status.rawValue, job.runID, jobID, job.attempts, result.error, now])
        if let arns {
            try db.execute(sql: """
                UPDATE account_state SET role_arn = ?, policy_arn = ?, instance_profile_arn = ? WHERE account_id = ?
                """, arguments: [arns.0, arns.1, arns.2, accountID])
        }
        if let adopted {
            try db.execute(sql: "UPDATE account_state SET adopted = ? WHERE account_id = ?",
                           arguments: [AdoptedObjects.encode(adopted), accountID])
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
                WHERE applied_config_hash IS NOT NULL AND status = ?
                """, arguments: [OnboardingStatus.succeeded.rawValue])
            while let row = try rows.next() { hashes[row[0]] = row[1] }
            return hashes
        }
    }

    /// Accounts whose latest apply or destroy job (skipped ones aside) failed or was
    /// interrupted, with the operation and template of that job: what `retry` runs again.
    public func retryCandidates() throws -> [PlannedJob] {
        try read { db in
            try JobRecord.fetchAll(db, sql: """
                SELECT \(JobRecord.selectList("j"))
                FROM jobs j
                JOIN (SELECT max(job_id) AS job_id FROM jobs
                      WHERE operation != ? AND status != ? GROUP BY account_id) latest
                  ON latest.job_id = j.job_id
                JOIN accounts a ON a.account_id = j.account_id
                WHERE j.status IN (?, ?) AND a.enabled = 1
                ORDER BY a.ou_path, a.name, a.account_id
                """, arguments: [JobOperation.plan.rawValue, JobStatus.skipped.rawValue,
                                 JobStatus.failed.rawValue, JobStatus.interrupted.rawValue]).map { job in
                PlannedJob(accountID: job.accountID, operation: job.operation, template: job.template)
            }
        }
    }

    /// The template of each account's latest job that ran terraform (any operation): the
    /// one its workspace and state were last made with, which `state migrate` renders
    /// the workspace with (a destroyed account's empty state still has to move).
    public func lastUsedTemplates() throws -> [String: String] {
        try read { db in
            var templates: [String: String] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT j.account_id, j.template FROM jobs j
                JOIN (SELECT max(job_id) AS job_id FROM jobs WHERE attempts > 0 GROUP BY account_id) latest
                  ON latest.job_id = j.job_id
                """)
            while let row = try rows.next() { templates[row[0]] = row[1] }
            return templates
        }
    }

    /// The template of each account's last successful apply, unless a successful destroy
    /// came after it: what its state was made with.
    public func appliedTemplates() throws -> [String: String] {
        try read { db in
            var templates: [String: String] = [:]
            let jobs = try JobRecord.fetchCursor(db, sql: """
                SELECT \(JobRecord.selectList("j")) FROM jobs j
                JOIN (SELECT max(job_id) AS job_id FROM jobs
                      WHERE status = ? AND operation IN (?, ?) GROUP BY account_id) latest
                  ON latest.job_id = j.job_id
                """, arguments: [JobStatus.succeeded.rawValue, JobOperation.apply.rawValue, JobOperation.destroy.rawValue])
            while let job = try jobs.next() {
                if job.operation == .apply { templates[job.accountID] = job.template }
            }
            return templates
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
            var counts: [String: [JobStatus: Int]] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT run_id, status, count(*) FROM jobs GROUP BY run_id, status")
            while let row = try rows.next() {
                let runID: String = row[0]
                let status: JobStatus = try row.decoded("status", table: JobRecord.databaseTableName, key: "of run \(runID)")
                counts[runID, default: [:]][status] = row[2]
            }
            // In the order a run lists its accounts (`jobs(runID:)`).
            var canaries: [String: [String]] = [:]
            let canaryRows = try Row.fetchCursor(db, sql: """
                SELECT j.run_id, j.account_id FROM jobs j JOIN accounts a ON a.account_id = j.account_id
                WHERE j.canary = 1 ORDER BY a.ou_path, a.name, a.account_id
                """)
            while let row = try canaryRows.next() { canaries[row[0], default: []].append(row[1]) }
            return try RunRecord.fetchAll(db, sql: "SELECT * FROM runs ORDER BY started_at DESC, rowid DESC").map { run in
                RunSummary(run: run, counts: counts[run.runID] ?? [:], canary: canaries[run.runID] ?? [])
            }
        }
    }

    public func jobs(runID: String) throws -> [JobRecord] {
        try read { db in
            try JobRecord.fetchAll(db, sql: """
                SELECT \(JobRecord.selectList("j")) FROM jobs j JOIN accounts a ON a.account_id = j.account_id
                WHERE j.run_id = ? ORDER BY a.ou_path, a.name, a.account_id
                """, arguments: [runID])
        }
    }

    /// The newest job of an account, optionally within one run.
    public func latestJob(accountID: String, runID: String?) throws -> JobRecord? {
        try read { db in
            if let runID {
                return try JobRecord.filter(JobRecord.Columns.accountID == accountID && JobRecord.Columns.runID == runID)
                    .fetchOne(db)
            }
            return try JobRecord.filter(JobRecord.Columns.accountID == accountID)
                .order(JobRecord.Columns.jobID.desc).fetchOne(db)
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

extension SQLiteInventoryStore {
    /// An account's jobs that started terraform (they have a log path), newest first.
    public func jobsWithLogs(accountID: String) throws -> [JobRecord] {
        try read { db in
            try JobRecord.filter(JobRecord.Columns.accountID == accountID && JobRecord.Columns.logPath != nil)
                .order(JobRecord.Columns.jobID.desc).fetchAll(db)
        }
    }
}
