import FleetformBasics
import Foundation
import PostgresNIO

/// The job queue on PostgreSQL: the operations and guarantees of `JobQueueStore`, with
/// the meaning `SQLiteInventoryStore+Queue.swift` gives them (its comments say why each
/// rule exists). What differs, and why:
///
/// - Several machines write at once, and READ COMMITTED lets two transactions each miss
///   the other's uncommitted change. So every transaction that may close a run or hand
///   out its jobs first locks the run's row (`SELECT … FOR UPDATE`): the claim locks the
///   open runs while it requeues expired leases and checks the canary and the tolerance,
///   and the last two jobs finishing on two workers cannot both think the other is still
///   running (the run would never close). Locks are always taken run first, then jobs,
///   so these transactions cannot deadlock each other.
/// - The job is picked with `FOR UPDATE SKIP LOCKED LIMIT 1` and taken with
///   `UPDATE … claims = claims + 1 … RETURNING *`: the claim token comes back in the
///   same statement.
/// - Leases are read against the server's clock, not the worker's: two machines whose
///   clocks disagree by a minute would otherwise take each other's jobs or keep dead
///   leases. The `at date` of each operation is kept as an offset from the present
///   (zero in production, where the caller passes `Date()`), so the contract tests can
///   still move time forward.
/// - `openQueuedRun`, `releaseClaim`, the requeue of an expired lease and the end of a
///   canary job `NOTIFY fleetform_jobs`; workers wait on `LISTEN` (`waitForWork`)
///   instead of sleeping a whole poll interval.
extension PostgresInventoryStore {
    /// The channel workers listen on for claimable jobs.
    static let jobsChannel = "fleetform_jobs"

    /// The server's clock in UTC milliseconds, as SQL.
    private static let serverClock = "floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint"

    /// The caller's offset from the present, added to `serverClock` (see above).
    private static func clockShift(_ date: Date) -> Int64 {
        milliseconds(date) - milliseconds(Date())
    }

    private static func notify(_ db: Statements) throws {
        try db.execute(PostgresQuery(unsafeSQL: "NOTIFY \(jobsChannel)"))
    }

    // MARK: Enqueueing

    public func enqueueRun(runID: String, command: RunCommand, template: String, jobs: [PlannedJob],
                           templates: [StoredTemplate], owner: ProcessIdentity, isAlive: (ProcessIdentity) -> Bool,
                           at date: Date) throws -> [JobRecord] {
        let records = try startRun(runID: runID, command: command, template: template, parallel: 0, jobs: jobs,
                                   owner: owner, isAlive: isAlive, at: date)
        try session.transaction { db in
            try db.execute("UPDATE runs SET queue = 'preparing' WHERE run_id = \(runID)")
            for template in templates {
                for file in template.files {
                    try db.execute("""
                        INSERT INTO run_template_files (run_id, template, template_hash, path, contents)
                        VALUES (\(runID), \(template.name), \(template.hash), \(file.path), \(Data(file.contents)))
                        """)
                }
            }
        }
        return records
    }

    public func openQueuedRun(runID: String, allowedFailures: Int?, maxAttempts: Int, at date: Date) throws {
        let now = Timestamp.string(from: date)
        try session.transaction { db in
            try db.execute("""
                UPDATE runs SET queue = 'open', allowed_failures = \(allowedFailures.map(Int32.init)),
                    max_attempts = \(Int32(maxAttempts))
                WHERE run_id = \(runID)
                """)
            try Self.closeIfDone(db, runID: runID, now: now)
            try Self.notify(db)
        }
    }

    public func runTemplates(runID: String) throws -> [StoredTemplate] {
        try session.run { db in
            var byName: [String: StoredTemplate] = [:]
            for row in try db.query("""
                SELECT template, template_hash, path, contents FROM run_template_files WHERE run_id = \(runID)
                ORDER BY template, path
                """) {
                let name = try row.get("template", as: String.self)
                let contents = try row.get("contents", as: Data.self)
                let hash = try row.get("template_hash", as: String.self)
                let path = try row.get("path", as: String.self)
                byName[name, default: StoredTemplate(name: name, hash: hash, files: [])]
                    .files.append(.init(path: path, contents: [UInt8](contents)))
            }
            return byName.values.sorted { $0.name < $1.name }
        }
    }

    // MARK: Claiming

    public func claimJob(worker: String, lease: Duration, at date: Date) throws -> QueueClaim? {
        let now = Timestamp.string(from: date)
        let shift = Self.clockShift(date)
        return try session.transaction { db -> QueueClaim? in
            // Every open run, cancelled ones too (their expired leases end here), locked
            // in one order so that claimers and finishers never deadlock.
            let runs = try db.query("""
                SELECT run_id, command, allowed_failures, max_attempts, cancel_requested_at FROM runs
                WHERE queue = 'open' AND finished_at IS NULL ORDER BY run_seq FOR UPDATE
                """)
            guard !runs.isEmpty else { return nil }
            try Self.requeueExpiredLeases(db, shift: shift, now: now)
            for run in runs where try run.optional("cancel_requested_at", as: String.self) == nil {
                let runID = try run.get("run_id", as: String.self)
                // The run may have closed during the requeue (its last lease ran out).
                guard let jobID = try Self.claimableJob(
                    db, runID: runID, allowedFailures: try run.optional("allowed_failures", as: Int.self), now: now)
                else { continue }
                guard let row = try db.query("""
                    UPDATE jobs SET status = \(JobStatus.running.rawValue), worker = \(worker),
                        lease_expires_ms = \(unescaped: Self.serverClock) + \(shift + Self.milliseconds(lease)), claims = claims + 1,
                        updated_at = \(now)
                    WHERE job_id = \(jobID) RETURNING *
                    """).first
                else { continue }
                let command: RunCommand = try run.decoded("command", table: RunRecord.databaseTableName, key: runID)
                let lockID = try row.optional("state_lock_id", as: String.self)
                return QueueClaim(job: try JobRecord(postgres: row), command: command, worker: worker,
                                  token: try row.get("claims", as: Int64.self),
                                  maxAttempts: try run.optional("max_attempts", as: Int.self) ?? 3,
                                  deadOwnerLock: try lockID.map {
                                      RecordedStateLock(id: $0, who: try row.optional("state_lock_who", as: String.self))
                                  })
            }
            return nil
        }
    }

    /// The job of `runID` to hand out next, after skipping what the run's rules say no
    /// longer starts; nil when none may start now. The run's row is locked by the caller.
    private static func claimableJob(_ db: Statements, runID: String, allowedFailures: Int?, now: String) throws -> Int64? {
        var counts: [String: Int] = [:]  // "<status>/<canary>"
        for row in try db.query("""
            SELECT status, canary, count(*) AS n FROM jobs WHERE run_id = \(runID) GROUP BY status, canary
            """) {
            let status = try row.get("status", as: String.self)
            let canary = try row.get("canary", as: Bool.self)
            counts["\(status)/\(canary)"] = try row.get("n", as: Int.self)
        }
        func count(_ status: JobStatus, canary: Bool) -> Int { counts["\(status.rawValue)/\(canary)"] ?? 0 }
        guard count(.pending, canary: true) + count(.pending, canary: false) > 0 else { return nil }

        // Every canary is attempted, whatever the tolerance (see the SQLite store).
        if count(.pending, canary: true) > 0 {
            return try db.value("""
                SELECT job_id FROM jobs WHERE run_id = \(runID) AND status = \(JobStatus.pending.rawValue) AND canary
                ORDER BY job_id LIMIT 1 FOR UPDATE SKIP LOCKED
                """, as: Int64.self)
        }
        let canaries = JobStatus.allCases.reduce(0) { $0 + count($1, canary: true) }
        if canaries > 0 {
            if count(.running, canary: true) > 0 { return nil }
            let failed = try db.query("""
                SELECT j.account_id FROM jobs j JOIN accounts a ON a.account_id = j.account_id
                WHERE j.run_id = \(runID) AND j.canary
                  AND j.status IN (\(JobStatus.failed.rawValue), \(JobStatus.interrupted.rawValue))
                ORDER BY a.ou_path, a.name, a.account_id
                """).map { try $0.get("account_id", as: String.self) }
            if !failed.isEmpty {
                try skipPending(db, runID: runID, reason: .canaryFailed(accounts: failed), now: now)
                return nil
            }
        }
        if let allowedFailures, count(.failed, canary: false) > allowedFailures {
            try skipPending(db, runID: runID, reason: .toleranceExceeded, now: now)
            return nil
        }
        return try db.value("""
            SELECT job_id FROM jobs WHERE run_id = \(runID) AND status = \(JobStatus.pending.rawValue)
            ORDER BY job_id LIMIT 1 FOR UPDATE SKIP LOCKED
            """, as: Int64.self)
    }

    /// Skips every pending job of a run, as `skipJobs` does, and closes the run when
    /// nothing of it is left running.
    private static func skipPending(_ db: Statements, runID: String, reason: SkipReason, now: String) throws {
        let skipped = try db.query("""
            UPDATE jobs SET status = \(JobStatus.skipped.rawValue), skip_reason = \(reason.rawValue), finished_at = \(now),
                updated_at = \(now)
            WHERE run_id = \(runID) AND status = \(JobStatus.pending.rawValue) RETURNING job_id
            """).map { try $0.get("job_id", as: Int64.self) }
        if !skipped.isEmpty {
            try db.execute("""
                INSERT INTO account_state (account_id, status, last_run_id, last_job_id, error, updated_at)
                SELECT account_id, \(OnboardingStatus.skipped.rawValue), run_id, job_id, \(reason.rawValue), \(now)
                FROM jobs WHERE job_id = ANY(\(skipped)) AND operation != \(JobOperation.plan.rawValue)
                ON CONFLICT (account_id) DO NOTHING
                """)
        }
        try closeIfDone(db, runID: runID, now: now)
    }

    @discardableResult
    public func requeueExpiredLeases(at date: Date) throws -> Int {
        try session.transaction { db in
            try db.execute("SELECT 1 FROM runs WHERE queue = 'open' AND finished_at IS NULL ORDER BY run_seq FOR UPDATE")
            return try Self.requeueExpiredLeases(db, shift: Self.clockShift(date), now: Timestamp.string(from: date))
        }
    }

    /// The open runs' rows are locked by the caller. `FOR UPDATE OF j` waits for a
    /// heartbeat renewing the same job and then reads its new lease, so a job whose
    /// worker renewed in time is never requeued.
    @discardableResult
    private static func requeueExpiredLeases(_ db: Statements, shift: Int64, now: String) throws -> Int {
        let query: PostgresQuery = """
            SELECT j.job_id, j.run_id, j.attempts, j.worker, r.max_attempts, r.cancel_requested_at
            FROM jobs j JOIN runs r ON r.run_id = j.run_id
            WHERE r.queue = 'open' AND j.status = \(JobStatus.running.rawValue)
              AND j.lease_expires_ms < \(unescaped: serverClock) + \(shift)
            ORDER BY j.job_id FOR UPDATE OF j
            """
        let expired = try db.query(query)
        var requeued = false
        for row in expired {
            let jobID = try row.get("job_id", as: Int64.self)
            let runID = try row.get("run_id", as: String.self)
            let attempts = try row.get("attempts", as: Int.self)
            let worker = try row.optional("worker", as: String.self) ?? "?"
            let maxAttempts = try row.optional("max_attempts", as: Int.self) ?? 3
            let cancelled = try row.optional("cancel_requested_at", as: String.self) != nil
            let error = "interrupted: worker \(worker) stopped renewing its lease (killed, or its machine was lost)"
            try db.execute("""
                UPDATE job_attempts SET finished_at = \(now), outcome = 'interrupted', error = \(error)
                WHERE job_id = \(jobID) AND finished_at IS NULL
                """)
            if cancelled || attempts >= maxAttempts {
                try finishJob(db, jobID: jobID, result: JobResult(status: .interrupted, error: error), started: attempts > 0,
                              now: now)
                try db.execute("UPDATE jobs SET lease_expires_ms = NULL WHERE job_id = \(jobID)")
                try closeIfDone(db, runID: runID, now: now)
            } else {
                try db.execute("""
                    UPDATE jobs SET status = \(JobStatus.pending.rawValue), lease_expires_ms = NULL, updated_at = \(now)
                    WHERE job_id = \(jobID)
                    """)
                try db.execute("""
                    UPDATE account_state SET status = \(OnboardingStatus.pending.rawValue), updated_at = \(now)
                    WHERE last_job_id = \(jobID)
                    """)
                requeued = true
            }
        }
        if requeued { try notify(db) }
        return expired.count
    }

    // MARK: While a job runs

    /// Records the S3 state lock the claimed job's terraform took (see `QueueClaim.deadOwnerLock`).
    @discardableResult
    public func recordStateLock(_ claim: QueueClaim, lock: RecordedStateLock, at date: Date) throws -> Bool {
        try session.run { db in
            try db.execute("""
                UPDATE jobs SET state_lock_id = \(lock.id), state_lock_who = \(lock.who)
                WHERE job_id = \(claim.job.jobID) AND claims = \(claim.token) AND status = \(JobStatus.running.rawValue)
                  AND lease_expires_ms IS NOT NULL
                """) > 0
        }
    }

    public func renewLease(_ claim: QueueClaim, lease: Duration, at date: Date) throws -> LeaseAnswer {
        let shift = Self.clockShift(date)
        return try session.run { db in
            // One statement: the renewal and the run's cancel flag in one round trip.
            guard let row = try db.query("""
                UPDATE jobs SET lease_expires_ms = \(unescaped: Self.serverClock) + \(shift + Self.milliseconds(lease))
                WHERE job_id = \(claim.job.jobID) AND claims = \(claim.token) AND status = \(JobStatus.running.rawValue)
                  AND lease_expires_ms IS NOT NULL
                RETURNING (SELECT cancel_requested_at IS NOT NULL FROM runs WHERE runs.run_id = jobs.run_id) AS cancelled
                """).first
            else { return .lost }
            return try row.get("cancelled", as: Bool.self) ? .cancelled : .held
        }
    }

    // MARK: Ending a claim

    @discardableResult
    public func finishClaimedJob(_ claim: QueueClaim, result: JobResult, lastAttempt: LastAttempt?, started: Bool,
                                 terraformExited: Bool, logTail: [UInt8]?, logHost: String?, at date: Date) throws -> Bool {
        let now = Timestamp.string(from: date)
        return try session.transaction { db in
            try Self.lockRun(db, claim.job.runID)
            guard try Self.holds(db, claim) else { return false }
            let jobID = claim.job.jobID
            if terraformExited {
                try db.execute("UPDATE jobs SET terraform_pid = NULL WHERE job_id = \(jobID)")
            }
            if let lastAttempt {
                try Self.finishAttempt(db, jobID: jobID, lastAttempt, error: result.error, now: now)
            }
            try Self.finishJob(db, jobID: jobID, result: result, started: started, now: now)
            try db.execute("""
                UPDATE jobs SET lease_expires_ms = NULL, log_tail = \(logTail.map { Data($0) }),
                    log_host = \(logTail == nil ? nil : logHost)
                WHERE job_id = \(jobID)
                """)
            try Self.closeIfDone(db, runID: claim.job.runID, now: now)
            // The end of a canary may release the rest of the run to every idle worker.
            if claim.job.canary { try Self.notify(db) }
            return true
        }
    }

    public func settleClaim(_ claim: QueueClaim, at date: Date) throws {
        let now = Timestamp.string(from: date)
        try session.transaction { db in
            try Self.lockRun(db, claim.job.runID)
            try db.execute("""
                UPDATE jobs SET lease_expires_ms = NULL
                WHERE job_id = \(claim.job.jobID) AND claims = \(claim.token)
                  AND status NOT IN (\(JobStatus.pending.rawValue), \(JobStatus.running.rawValue))
                """)
            try Self.closeIfDone(db, runID: claim.job.runID, now: now)
        }
    }

    @discardableResult
    public func releaseClaim(_ claim: QueueClaim, reason: String, terraformExited: Bool, at date: Date) throws -> Bool {
        let now = Timestamp.string(from: date)
        return try session.transaction { db in
            try Self.lockRun(db, claim.job.runID)
            guard try Self.holds(db, claim) else { return false }
            let jobID = claim.job.jobID
            try db.execute("""
                UPDATE job_attempts SET finished_at = \(now), outcome = 'interrupted', error = \(reason)
                WHERE job_id = \(jobID) AND finished_at IS NULL
                """)
            try db.execute("""
                UPDATE jobs SET status = \(JobStatus.pending.rawValue), lease_expires_ms = NULL, updated_at = \(now),
                    terraform_pid = CASE WHEN \(terraformExited) THEN NULL ELSE terraform_pid END
                WHERE job_id = \(jobID)
                """)
            try db.execute("""
                UPDATE account_state SET status = \(OnboardingStatus.pending.rawValue), updated_at = \(now)
                WHERE last_job_id = \(jobID)
                """)
            try Self.notify(db)
            return true
        }
    }

    private static func lockRun(_ db: Statements, _ runID: String) throws {
        try db.execute("SELECT 1 FROM runs WHERE run_id = \(runID) FOR UPDATE")
    }

    private static func holds(_ db: Statements, _ claim: QueueClaim) throws -> Bool {
        try db.value("""
            SELECT TRUE FROM jobs WHERE job_id = \(claim.job.jobID) AND claims = \(claim.token)
              AND status = \(JobStatus.running.rawValue) AND lease_expires_ms IS NOT NULL
            FOR UPDATE
            """, as: Bool.self) ?? false
    }

    // MARK: Following and cancelling

    public func requestCancel(runID: String, at date: Date) throws {
        let now = Timestamp.string(from: date)
        try session.transaction { db in
            try db.execute("""
                UPDATE runs SET cancel_requested_at = coalesce(cancel_requested_at, \(now)) WHERE run_id = \(runID)
                """)
            for row in try db.query("""
                SELECT job_id, attempts FROM jobs WHERE run_id = \(runID) AND status = \(JobStatus.pending.rawValue)
                ORDER BY job_id
                """) {
                try Self.finishJob(db, jobID: try row.get("job_id"), result: JobResult(
                    status: .interrupted, error: "not started: the run was cancelled"),
                    started: try row.get("attempts", as: Int.self) > 0, now: now)
            }
            try Self.closeIfDone(db, runID: runID, now: now)
        }
    }

    public func queuedRunState(runID: String) throws -> QueuedRunState {
        try session.run { db in
            // The run first: an outcome read before the jobs is never newer than them.
            let run = try db.query("SELECT outcome, cancel_requested_at FROM runs WHERE run_id = \(runID)").first
            let outcome = try run?.optional("outcome", as: String.self).flatMap(RunOutcome.init(rawValue:))
            let cancelled = try run?.optional("cancel_requested_at", as: String.self) != nil
            let jobs = try db.query("""
                SELECT \(unescaped: JobRecord.selectList("j")) FROM jobs j JOIN accounts a ON a.account_id = j.account_id
                WHERE j.run_id = \(runID) ORDER BY a.ou_path, a.name, a.account_id
                """).map(JobRecord.init(postgres:))
            return QueuedRunState(jobs: jobs, outcome: outcome, cancelRequested: cancelled)
        }
    }

    public func storedLogTail(jobID: Int64) throws -> StoredLogTail? {
        try session.run { db in
            guard let row = try db.query("SELECT log_tail, log_host FROM jobs WHERE job_id = \(jobID)").first,
                  let tail = try row.optional("log_tail", as: Data.self)
            else { return nil }
            return StoredLogTail(tail: [UInt8](tail), host: try row.optional("log_host"))
        }
    }

    public func waitForWork(timeout: Duration) async {
        await notifications.wait(timeout: timeout)
    }

    /// Closes a queued run once none of its jobs is pending or running, with the outcome
    /// the local scheduler would give it. The caller holds the run's row lock.
    private static func closeIfDone(_ db: Statements, runID: String, now: String) throws {
        guard let run = try db.query("SELECT finished_at, cancel_requested_at FROM runs WHERE run_id = \(runID)").first,
              try run.optional("finished_at", as: String.self) == nil
        else { return }
        var interrupted = try run.optional("cancel_requested_at", as: String.self) != nil
        var failed = false
        for row in try db.query("SELECT status, skip_reason FROM jobs WHERE run_id = \(runID)") {
            let status = try row.get("status", as: String.self)
            if status == JobStatus.pending.rawValue || status == JobStatus.running.rawValue { return }
            if status == JobStatus.interrupted.rawValue { interrupted = true }
            if status == JobStatus.failed.rawValue { failed = true }
            if let reason = try row.optional("skip_reason", as: String.self).flatMap(SkipReason.init(rawValue:)),
               reason.failsTheRun { failed = true }
        }
        try closeRun(db, runID: runID, outcome: interrupted ? .interrupted : failed ? .failed : .succeeded, now: now)
    }

    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
