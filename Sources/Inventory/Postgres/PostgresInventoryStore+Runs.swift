import FleetformBasics
import Foundation
import PostgresNIO

/// Runs, jobs and attempts in PostgreSQL; the rules are those of
/// `SQLiteInventoryStore+Runs.swift`, whose doc comments say why.
extension PostgresInventoryStore {
    typealias Statements = PostgresSession.Statements
    private static let unfinished = [JobStatus.pending.rawValue, JobStatus.running.rawValue]

    // MARK: Starting and ending runs

    public func startRun(runID: String, command: RunCommand, template: String, parallel: Int, jobs: [PlannedJob],
                         owner: ProcessIdentity, isAlive: (ProcessIdentity) -> Bool, at date: Date) throws -> [JobRecord] {
        let now = Timestamp.string(from: date)
        return try session.transaction { db in
            // SQLite's IMMEDIATE transaction: two fleetforms (here: on two machines)
            // starting at once must not both pass the check below.
            try db.execute("LOCK TABLE runs IN SHARE ROW EXCLUSIVE MODE")
            _ = try Self.recoverAbandonedRuns(db, isAlive: isAlive, now: now)
            if let other = try db.query(
                "SELECT * FROM runs WHERE finished_at IS NULL ORDER BY started_at, run_seq LIMIT 1").first {
                throw RunInProgress(run: try RunRecord(postgres: other)).shared()
            }
            try db.execute("""
                INSERT INTO runs (run_id, command, template, pid, host, pid_started, parallel, started_at)
                VALUES (\(runID), \(command.rawValue), \(template), \(owner.pid), \(owner.host),
                        \(owner.startTime.map { Int64(bitPattern: $0) }), \(parallel), \(now))
                """)
            if !jobs.isEmpty {
                try db.execute("""
                    INSERT INTO jobs (run_id, account_id, operation, template, status, updated_at)
                    SELECT \(runID), account_id, operation, template, \(JobStatus.pending.rawValue), \(now)
                    FROM unnest(\(jobs.map(\.accountID)), \(jobs.map(\.operation.rawValue)), \(jobs.map(\.template)))
                         WITH ORDINALITY AS planned (account_id, operation, template, position)
                    ORDER BY position
                    """)
            }
            return try db.query("SELECT \(unescaped: JobRecord.selectList()) FROM jobs WHERE run_id = \(runID) ORDER BY job_id").map(JobRecord.init(postgres:))
        }
    }

    @discardableResult
    public func finishRun(runID: String, outcome: RunOutcome, at date: Date) throws -> RunOutcome {
        let now = Timestamp.string(from: date)
        return try session.transaction { db in
            let unfinished = try db.query("""
                SELECT job_id FROM jobs WHERE run_id = \(runID) AND status = ANY(\(Self.unfinished)) ORDER BY job_id
                """).map { try $0.get("job_id", as: Int64.self) }
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

    @discardableResult
    public func recoverAbandonedRuns(isAlive: (ProcessIdentity) -> Bool, at date: Date) throws -> [AbandonedRun] {
        let open = try session.run { db in
            try db.value("SELECT count(*) FROM runs WHERE finished_at IS NULL", as: Int.self) ?? 0
        }
        guard open > 0 else { return [] }
        return try session.transaction { db in
            try db.execute("LOCK TABLE runs IN SHARE ROW EXCLUSIVE MODE")
            return try Self.recoverAbandonedRuns(db, isAlive: isAlive, now: Timestamp.string(from: date))
        }
    }

    /// Only an owner on this host can be checked for a live pid; `isAlive` answers for
    /// the others (a run held elsewhere stays open, as on SQLite).
    private static func recoverAbandonedRuns(_ db: Statements, isAlive: (ProcessIdentity) -> Bool, now: String) throws
        -> [AbandonedRun] {
        var recovered: [AbandonedRun] = []
        // A queued run's jobs are owned by workers under leases, not by the process that
        // enqueued it (see PostgresInventoryStore+Queue), as on SQLite.
        let open = try db.query("""
            SELECT * FROM runs WHERE finished_at IS NULL AND (queue IS NULL OR queue != 'open') ORDER BY run_seq
            """).map(RunRecord.init(postgres:))
        for run in open {
            guard !isAlive(run.owner) else { continue }
            let pid = run.owner.pid
            let runID = run.runID
            let jobs = try db.query("""
                SELECT \(unescaped: JobRecord.selectList()) FROM jobs WHERE run_id = \(runID) AND status = ANY(\(Self.unfinished)) ORDER BY job_id
                """).map(JobRecord.init(postgres:))
            for job in jobs {
                let started = job.status == .running
                try finishJob(db, jobID: job.jobID, result: JobResult(
                    status: .interrupted,
                    error: started ? "fleetform (pid \(pid)) stopped before this job finished"
                                   : "not started: fleetform (pid \(pid)) stopped first"),
                    started: started, now: now)
            }
            try db.execute("""
                UPDATE job_attempts SET finished_at = \(now), error = \("fleetform stopped during this attempt")
                WHERE finished_at IS NULL AND job_id IN (SELECT job_id FROM jobs WHERE run_id = \(runID))
                """)
            try closeRun(db, runID: runID, outcome: .interrupted, now: now)
            recovered.append(AbandonedRun(runID: runID, interruptedJobs: jobs.count))
        }
        return recovered
    }

    static func closeRun(_ db: Statements, runID: String, outcome: RunOutcome, now: String) throws {
        try db.execute("UPDATE runs SET finished_at = \(now), outcome = \(outcome.rawValue) WHERE run_id = \(runID)")
    }

    // MARK: Jobs

    public func startAttempt(jobID: Int64, attempt: Int, configHash: String?, logPath: String, at date: Date) throws {
        let now = Timestamp.string(from: date)
        try session.transaction { db in
            try db.execute("""
                UPDATE jobs SET status = \(JobStatus.running.rawValue), attempts = \(attempt), config_hash = \(configHash),
                    log_path = \(logPath), started_at = coalesce(started_at, \(now)), terraform_pid = NULL,
                    updated_at = \(now)
                WHERE job_id = \(jobID)
                """)
            try db.execute("""
                INSERT INTO job_attempts (job_id, attempt, started_at) VALUES (\(jobID), \(attempt), \(now))
                ON CONFLICT (job_id, attempt) DO UPDATE SET started_at = excluded.started_at, finished_at = NULL,
                    termination = NULL, transient = FALSE, error = NULL
                """)
            try db.execute("""
                INSERT INTO account_state (account_id, status, last_run_id, last_job_id, attempts, updated_at)
                SELECT account_id, \(OnboardingStatus.running.rawValue), run_id, job_id, \(attempt), \(now)
                FROM jobs WHERE job_id = \(jobID) AND operation != \(JobOperation.plan.rawValue)
                ON CONFLICT (account_id) DO UPDATE SET status = excluded.status, last_run_id = excluded.last_run_id,
                    last_job_id = excluded.last_job_id, attempts = excluded.attempts, updated_at = excluded.updated_at
                """)
        }
    }

    public func recordTerraformPID(jobID: Int64, pid: Int32, startTime: UInt64?) throws {
        try session.transaction { db in
            try db.execute("""
                UPDATE jobs SET terraform_pid = \(pid), terraform_started = \(startTime.map { Int64(bitPattern: $0) }),
                    terraform_host = \(ProcessProbe.hostName)
                WHERE job_id = \(jobID)
                """)
        }
    }

    public func clearTerraformPID(jobID: Int64) throws {
        try session.transaction { db in
            try db.execute("UPDATE jobs SET terraform_pid = NULL WHERE job_id = \(jobID)")
        }
    }

    public func finishAttempt(jobID: Int64, _ attempt: LastAttempt, error: String?, at date: Date) throws {
        try session.transaction { db in
            try Self.finishAttempt(db, jobID: jobID, attempt, error: error, now: Timestamp.string(from: date))
        }
    }

    static func finishAttempt(_ db: Statements, jobID: Int64, _ attempt: LastAttempt, error: String?,
                                      now: String) throws {
        try db.execute("""
            UPDATE job_attempts SET finished_at = \(now), termination = \(attempt.termination?.description),
                transient = \(attempt.transient), error = \(error)
            WHERE job_id = \(jobID) AND attempt = \(attempt.attempt)
            """)
    }

    public func finishJob(jobID: Int64, result: JobResult, lastAttempt: LastAttempt?, started: Bool,
                          terraformExited: Bool, at date: Date) throws {
        let now = Timestamp.string(from: date)
        try session.transaction { db in
            if terraformExited {
                try db.execute("UPDATE jobs SET terraform_pid = NULL WHERE job_id = \(jobID)")
            }
            if let lastAttempt {
                try Self.finishAttempt(db, jobID: jobID, lastAttempt, error: result.error, now: now)
            }
            try Self.finishJob(db, jobID: jobID, result: result, started: started, now: now)
        }
    }

    public func skipJobs(_ jobIDs: [Int64], reason: SkipReason, at date: Date) throws {
        guard !jobIDs.isEmpty else { return }
        let now = Timestamp.string(from: date)
        try session.transaction { db in
            try db.execute("""
                UPDATE jobs SET status = \(JobStatus.skipped.rawValue), skip_reason = \(reason.rawValue),
                    finished_at = \(now), updated_at = \(now)
                WHERE job_id = ANY(\(jobIDs))
                """)
            try db.execute("""
                INSERT INTO account_state (account_id, status, last_run_id, last_job_id, error, updated_at)
                SELECT account_id, \(OnboardingStatus.skipped.rawValue), run_id, job_id, \(reason.rawValue), \(now)
                FROM jobs WHERE job_id = ANY(\(jobIDs)) AND operation != \(JobOperation.plan.rawValue)
                ON CONFLICT (account_id) DO NOTHING
                """)
        }
    }

    public func markCanary(_ jobIDs: [Int64]) throws {
        guard !jobIDs.isEmpty else { return }
        try session.transaction { db in
            try db.execute("UPDATE jobs SET canary = TRUE WHERE job_id = ANY(\(jobIDs))")
        }
    }

    static func finishJob(_ db: Statements, jobID: Int64, result: JobResult, started: Bool, now: String) throws {
        let plan = result.planChanges
        try db.execute("""
            UPDATE jobs SET status = \(result.status.rawValue), role_arn = \(result.roleARN),
                policy_arn = \(result.policyARN), instance_profile_arn = \(result.instanceProfileARN),
                plan_add = \(plan.map { Int32($0.add) }), plan_change = \(plan.map { Int32($0.change) }),
                plan_destroy = \(plan.map { Int32($0.destroy) }), plan_import = \(plan.map { Int32($0.imports) }),
                adopted = \(AdoptedObjects.encode(result.adopted)), error = \(result.error), finished_at = \(now),
                updated_at = \(now)
            WHERE job_id = \(jobID)
            """)
        guard let job = try db.query("SELECT \(unescaped: JobRecord.selectList()) FROM jobs WHERE job_id = \(jobID)").first.map(JobRecord.init(postgres:))
        else { return }
        guard job.operation != .plan else { return }
        let accountID = job.accountID
        guard started else {
            try db.execute("""
                INSERT INTO account_state (account_id, status, last_run_id, last_job_id, error, updated_at)
                VALUES (\(accountID), \(OnboardingStatus(result.status).rawValue), \(job.runID), \(jobID), \(result.error),
                        \(now))
                ON CONFLICT (account_id) DO NOTHING
                """)
            return
        }

        let status: OnboardingStatus
        var arns: (String?, String?, String?)?
        var appliedHash: String?? = .none
        var adopted: [String]?
        switch (job.operation, result.status) {
        case (.apply, .succeeded):
            status = .succeeded
            arns = (result.roleARN, result.policyARN, result.instanceProfileARN)
            appliedHash = .some(job.configHash)
            if !result.adopted.isEmpty {
                let before = AdoptedObjects.decode(
                    try db.value("SELECT adopted FROM account_state WHERE account_id = \(accountID)", as: String.self))
                adopted = before + result.adopted.filter { !before.contains($0) }
            }
        case (.destroy, .succeeded):
            status = .destroyed
            arns = (nil, nil, nil)
            appliedHash = .some(nil)
            adopted = []
        default:
            status = OnboardingStatus(result.status)
        }
        try db.execute("""
            INSERT INTO account_state (account_id, status, last_run_id, last_job_id, attempts, error, updated_at)
            VALUES (\(accountID), \(status.rawValue), \(job.runID), \(jobID), \(job.attempts), \(result.error), \(now))
            ON CONFLICT (account_id) DO UPDATE SET status = excluded.status, last_run_id = excluded.last_run_id,
                last_job_id = excluded.last_job_id, attempts = excluded.attempts, error = excluded.error,
                updated_at = excluded.updated_at
            """)
        if let arns {
            try db.execute("""
                UPDATE account_state SET role_arn = \(arns.0), policy_arn = \(arns.1), instance_profile_arn = \(arns.2)
                WHERE account_id = \(accountID)
                """)
        }
        if let adopted {
            try db.execute("UPDATE account_state SET adopted = \(AdoptedObjects.encode(adopted)) WHERE account_id = \(accountID)")
        }
        if case .some(let hash) = appliedHash {
            try db.execute("UPDATE account_state SET applied_config_hash = \(hash) WHERE account_id = \(accountID)")
        }
    }

    // MARK: Queries for the scheduler

    public func appliedConfigHashes() throws -> [String: String] {
        try session.run { db in
            var hashes: [String: String] = [:]
            for row in try db.query("""
                SELECT account_id, applied_config_hash FROM account_state
                WHERE applied_config_hash IS NOT NULL AND status = \(OnboardingStatus.succeeded.rawValue)
                """) {
                hashes[try row.get("account_id")] = try row.get("applied_config_hash")
            }
            return hashes
        }
    }

    public func retryCandidates() throws -> [PlannedJob] {
        try session.run { db in
            try db.query("""
                SELECT \(unescaped: JobRecord.selectList("j"))
                FROM jobs j
                JOIN (SELECT max(job_id) AS job_id FROM jobs
                      WHERE operation != \(JobOperation.plan.rawValue) AND status != \(JobStatus.skipped.rawValue)
                      GROUP BY account_id) latest
                  ON latest.job_id = j.job_id
                JOIN accounts a ON a.account_id = j.account_id
                WHERE j.status IN (\(JobStatus.failed.rawValue), \(JobStatus.interrupted.rawValue)) AND a.enabled
                ORDER BY a.ou_path, a.name, a.account_id
                """).map { row in
                let job = try JobRecord(postgres: row)
                return PlannedJob(accountID: job.accountID, operation: job.operation, template: job.template)
            }
        }
    }

    public func lastUsedTemplates() throws -> [String: String] {
        try session.run { db in
            var templates: [String: String] = [:]
            for row in try db.query("""
                SELECT j.account_id, j.template FROM jobs j
                JOIN (SELECT max(job_id) AS job_id FROM jobs WHERE attempts > 0 GROUP BY account_id) latest
                  ON latest.job_id = j.job_id
                """) {
                templates[try row.get("account_id")] = try row.get("template")
            }
            return templates
        }
    }

    public func appliedTemplates() throws -> [String: String] {
        try session.run { db in
            var templates: [String: String] = [:]
            for row in try db.query("""
                SELECT \(unescaped: JobRecord.selectList("j")) FROM jobs j
                JOIN (SELECT max(job_id) AS job_id FROM jobs
                      WHERE status = \(JobStatus.succeeded.rawValue)
                        AND operation IN (\(JobOperation.apply.rawValue), \(JobOperation.destroy.rawValue))
                      GROUP BY account_id) latest
                  ON latest.job_id = j.job_id
                """) {
                let job = try JobRecord(postgres: row)
                if job.operation == .apply { templates[job.accountID] = job.template }
            }
            return templates
        }
    }

    public func recordedTerraformPIDs(accountIDs: [String]) throws -> [String: RecordedTerraform] {
        try session.run { db in
            var recorded: [String: RecordedTerraform] = [:]
            let wanted = Set(accountIDs)
            for row in try db.query("""
                SELECT account_id, terraform_pid, terraform_started, terraform_host, job_id, run_id FROM jobs
                WHERE job_id IN (SELECT max(job_id) FROM jobs WHERE terraform_pid IS NOT NULL GROUP BY account_id)
                """) {
                let accountID = try row.get("account_id", as: String.self)
                guard wanted.contains(accountID) else { continue }
                let started = try row.optional("terraform_started", as: Int64.self)
                recorded[accountID] = RecordedTerraform(
                    jobID: try row.get("job_id"), runID: try row.get("run_id"),
                    process: ProcessIdentity(host: try row.optional("terraform_host"),
                                             pid: try row.get("terraform_pid", as: Int32.self),
                                             startTime: started.map { UInt64(bitPattern: $0) }))
            }
            return recorded
        }
    }

    // MARK: Queries for the command line

    public func runSummaries() throws -> [RunSummary] {
        try session.run { db in
            var counts: [String: [JobStatus: Int]] = [:]
            for row in try db.query("SELECT run_id, status, count(*) AS n FROM jobs GROUP BY run_id, status") {
                let runID = try row.get("run_id", as: String.self)
                let status: JobStatus = try row.decoded("status", table: "jobs", key: "of run \(runID)")
                counts[runID, default: [:]][status] = try row.get("n", as: Int.self)
            }
            var canaries: [String: [String]] = [:]
            for row in try db.query("""
                SELECT j.run_id, j.account_id FROM jobs j JOIN accounts a ON a.account_id = j.account_id
                WHERE j.canary ORDER BY a.ou_path, a.name, a.account_id
                """) {
                canaries[try row.get("run_id"), default: []].append(try row.get("account_id"))
            }
            return try db.query("SELECT * FROM runs ORDER BY started_at DESC, run_seq DESC").map { row in
                let run = try RunRecord(postgres: row)
                return RunSummary(run: run, counts: counts[run.runID] ?? [:], canary: canaries[run.runID] ?? [])
            }
        }
    }

    public func jobs(runID: String) throws -> [JobRecord] {
        try session.run { db in
            try db.query("""
                SELECT \(unescaped: JobRecord.selectList("j")) FROM jobs j JOIN accounts a ON a.account_id = j.account_id
                WHERE j.run_id = \(runID) ORDER BY a.ou_path, a.name, a.account_id
                """).map(JobRecord.init(postgres:))
        }
    }

    public func latestJob(accountID: String, runID: String?) throws -> JobRecord? {
        try session.run { db in
            if let runID {
                return try db.query("SELECT \(unescaped: JobRecord.selectList()) FROM jobs WHERE account_id = \(accountID) AND run_id = \(runID)")
                    .first.map(JobRecord.init(postgres:))
            }
            return try db.query("SELECT \(unescaped: JobRecord.selectList()) FROM jobs WHERE account_id = \(accountID) ORDER BY job_id DESC LIMIT 1")
                .first.map(JobRecord.init(postgres:))
        }
    }

    public func jobsWithLogs(accountID: String) throws -> [JobRecord] {
        try session.run { db in
            try db.query("""
                SELECT \(unescaped: JobRecord.selectList()) FROM jobs WHERE account_id = \(accountID) AND log_path IS NOT NULL ORDER BY job_id DESC
                """).map(JobRecord.init(postgres:))
        }
    }
}
