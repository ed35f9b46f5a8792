import FleetformBasics
import Foundation
import GRDB

/// The job queue: runs enqueued by `apply --enqueue` (and plan, retry, destroy) whose
/// jobs `fleetform worker` processes claim, run under a lease and record.
///
/// Every operation is one transaction, so that its cost is one round trip to the store.
/// On SQLite the claim's atomicity is `BEGIN IMMEDIATE`: the write lock is taken before
/// the first read, so two workers (processes sharing the home's database) cannot pick
/// the same job. The PostgreSQL store implements the same operations with the same
/// meaning:
///
/// - `claimJob`: `SELECT … FROM jobs … FOR UPDATE SKIP LOCKED LIMIT 1` in a
///   transaction that also locks the run's row (`SELECT … FROM runs … FOR UPDATE`) while
///   it checks the tolerance and the canary, then `UPDATE jobs SET status = 'running',
///   worker, lease_expires_ms, claims = claims + 1 … RETURNING`; leases are compared with
///   the server's clock (`now()`), not the worker's.
/// - Workers wait for work with `LISTEN fleetform_jobs`, and `openQueuedRun`,
///   `releaseClaim` and the requeue of an expired lease `NOTIFY` it; SQLite workers poll.
/// - Everything else is plain `UPDATE … WHERE job_id = ? AND claims = ?` (the fencing
///   token) in one transaction, as here.
///
/// Where the run's rules are checked (all at claim time, in the claim's transaction):
/// a job whose lease ran out goes back to pending with that attempt recorded
/// `interrupted` (or ends `interrupted` when it has used the run's `--max-attempts`); the
/// canary's jobs are handed out first and the others only once every canary succeeded
/// (if one did not, the others are skipped naming it); once failures exceed the run's
/// tolerance the pending jobs are skipped. The up-to-date decision was made at enqueue.
/// The transaction that ends a run's last job closes the run.
extension SQLiteInventoryStore {
    // MARK: Enqueueing

    /// Creates a run for workers, with its pending jobs and its templates, as `startRun`
    /// does (one run at a time: another open run is refused). Workers do not see it until
    /// `openQueuedRun`: until then the enqueuing process owns it, and its death closes it
    /// like any run's.
    public func enqueueRun(
        runID: String, command: RunCommand, template: String, jobs: [PlannedJob], templates: [StoredTemplate],
        owner: ProcessIdentity, isAlive: (ProcessIdentity) -> Bool, at date: Date
    ) throws -> [JobRecord] {
        let records = try startRun(runID: runID, command: command, template: template, parallel: 0, jobs: jobs,
                                   owner: owner, isAlive: isAlive, at: date)
        try write { db in
            try db.execute(sql: "UPDATE runs SET queue = 'preparing' WHERE run_id = ?", arguments: [runID])
            let insert = try db.cachedStatement(sql: """
                INSERT INTO run_template_files (run_id, template, template_hash, path, contents) VALUES (?, ?, ?, ?, ?)
                """)
            for template in templates {
                for file in template.files {
                    try insert.execute(arguments: [runID, template.name, template.hash, file.path, Data(file.contents)])
                }
            }
        }
        return records
    }

    /// Hands a prepared run to the workers: from now on its jobs are claimed, and leases,
    /// not the enqueuing process, say whether they are being worked on. A run with no
    /// pending job (every account up to date) is closed at once.
    ///
    /// - Parameter allowedFailures: failed jobs accepted before the rest are skipped;
    ///   nil attempts every job.
    public func openQueuedRun(runID: String, allowedFailures: Int?, maxAttempts: Int, at date: Date) throws {
        let now = Timestamp.string(from: date)
        try writeImmediate { db in
            try db.execute(sql: """
                UPDATE runs SET queue = 'open', allowed_failures = ?, max_attempts = ? WHERE run_id = ?
                """, arguments: [allowedFailures, maxAttempts, runID])
            try Self.closeIfDone(db, runID: runID, now: now)
        }
    }

    /// The templates stored with a run.
    public func runTemplates(runID: String) throws -> [StoredTemplate] {
        try read { db in
            var byName: [String: StoredTemplate] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT template, template_hash, path, contents FROM run_template_files WHERE run_id = ? ORDER BY template, path
                """, arguments: [runID])
            while let row = try rows.next() {
                let name: String = row[0]
                let data: Data = row[3]
                byName[name, default: StoredTemplate(name: name, hash: row[1], files: [])]
                    .files.append(.init(path: row[2], contents: [UInt8](data)))
            }
            return byName.values.sorted { $0.name < $1.name }
        }
    }

    // MARK: Claiming

    /// Claims the next job any open queued run may start, or nil when none may: in one
    /// IMMEDIATE transaction, first requeues jobs whose lease ran out, then applies each
    /// run's canary and failure tolerance (see the type's comment), then marks the job
    /// `running` under `worker`'s lease.
    public func claimJob(worker: String, lease: Duration, at date: Date) throws -> QueueClaim? {
        let now = Timestamp.string(from: date)
        let nowMs = Self.milliseconds(date)
        return try writeImmediate { db -> QueueClaim? in
            try Self.requeueExpiredLeases(db, nowMs: nowMs, now: now)
            let runs = try Row.fetchAll(db, sql: """
                SELECT run_id, command, allowed_failures, max_attempts FROM runs
                WHERE queue = 'open' AND finished_at IS NULL AND cancel_requested_at IS NULL
                ORDER BY started_at, rowid
                """)
            for run in runs {
                let runID: String = run[0]
                guard let jobID = try Self.claimableJob(db, runID: runID, allowedFailures: run[2], now: now) else { continue }
                try db.execute(sql: """
                    UPDATE jobs SET status = ?, worker = ?, lease_expires_ms = ?, claims = claims + 1, updated_at = ?
                    WHERE job_id = ?
                    """, arguments: [JobStatus.running.rawValue, worker, nowMs + Self.milliseconds(lease), now, jobID])
                guard let job = try JobRecord.fetchOne(db, key: jobID),
                      let fence = try Row.fetchOne(db, sql: "SELECT claims, state_lock_id, state_lock_who FROM jobs WHERE job_id = ?",
                                                   arguments: [jobID])
                else { continue }
                let token: Int64 = fence[0]
                let lockID: String? = fence[1]
                let command: RunCommand = try run.decoded("command", table: RunRecord.databaseTableName, key: runID)
                let maxAttempts: Int? = run[3]
                return QueueClaim(job: job, command: command, worker: worker, token: token, maxAttempts: maxAttempts ?? 3,
                                  deadOwnerLock: lockID.map { RecordedStateLock(id: $0, who: fence[2]) })
            }
            return nil
        }
    }

    /// The job of `runID` to hand out next, after skipping what the run's rules say no
    /// longer starts; nil when none may start now.
    private static func claimableJob(_ db: Database, runID: String, allowedFailures: Int?, now: String) throws -> Int64? {
        var counts: [String: Int] = [:]  // "<status>/<canary>"
        let rows = try Row.fetchCursor(db, sql: "SELECT status, canary, count(*) FROM jobs WHERE run_id = ? GROUP BY status, canary",
                                       arguments: [runID])
        while let row = try rows.next() {
            let status: String = row[0]
            let canary: Bool = row[1]
            counts["\(status)/\(canary)"] = row[2]
        }
        func count(_ status: JobStatus, canary: Bool) -> Int { counts["\(status.rawValue)/\(canary)"] ?? 0 }
        let pendingCanary = count(.pending, canary: true)
        let pendingRest = count(.pending, canary: false)
        guard pendingCanary + pendingRest > 0 else { return nil }

        // Every canary is attempted, whatever the tolerance: each is the one look at its
        // OU before the rest, and the rest wait for all of them anyway.
        if pendingCanary > 0 {
            return try Int64.fetchOne(db, sql: """
                SELECT job_id FROM jobs WHERE run_id = ? AND status = ? AND canary = 1 ORDER BY job_id LIMIT 1
                """, arguments: [runID, JobStatus.pending.rawValue])
        }
        let canaries = JobStatus.allCases.reduce(0) { $0 + count($1, canary: true) }
        if canaries > 0 {
            if count(.running, canary: true) > 0 { return nil }
            let failed = try String.fetchAll(db, sql: """
                SELECT j.account_id FROM jobs j JOIN accounts a ON a.account_id = j.account_id
                WHERE j.run_id = ? AND j.canary = 1 AND j.status IN (?, ?) ORDER BY a.ou_path, a.name, a.account_id
                """, arguments: [runID, JobStatus.failed.rawValue, JobStatus.interrupted.rawValue])
            if !failed.isEmpty {
                try skipPending(db, runID: runID, reason: .canaryFailed(accounts: failed), now: now)
                return nil
            }
        }
        let failures = count(.failed, canary: false)
        if let allowedFailures, failures > allowedFailures {
            try skipPending(db, runID: runID, reason: .toleranceExceeded, now: now)
            return nil
        }
        return try Int64.fetchOne(db, sql: """
            SELECT job_id FROM jobs WHERE run_id = ? AND status = ? ORDER BY job_id LIMIT 1
            """, arguments: [runID, JobStatus.pending.rawValue])
    }

    /// Skips every pending job of a run, as `skipJobs` does, and closes the run when
    /// nothing of it is left running.
    private static func skipPending(_ db: Database, runID: String, reason: SkipReason, now: String) throws {
        let jobIDs = try Int64.fetchAll(db, sql: "SELECT job_id FROM jobs WHERE run_id = ? AND status = ?",
                                        arguments: [runID, JobStatus.pending.rawValue])
        for jobID in jobIDs {
            try db.execute(sql: """
                UPDATE jobs SET status = ?, skip_reason = ?, finished_at = ?, updated_at = ? WHERE job_id = ?
                """, arguments: [JobStatus.skipped.rawValue, reason.rawValue, now, now, jobID])
            try db.execute(sql: """
                INSERT INTO account_state (account_id, status, last_run_id, last_job_id, error, updated_at)
                SELECT account_id, ?, run_id, job_id, ?, ? FROM jobs WHERE job_id = ? AND operation != ?
                ON CONFLICT (account_id) DO NOTHING
                """, arguments: [OnboardingStatus.skipped.rawValue, reason.rawValue, now, jobID, JobOperation.plan.rawValue])
        }
        try closeIfDone(db, runID: runID, now: now)
    }

    /// Jobs whose worker stopped renewing its lease (killed, machine lost) go back to
    /// pending, their open attempt recorded `interrupted`; a job that has used its run's
    /// `--max-attempts`, or whose run was cancelled, ends `interrupted` instead. The
    /// terraform pid stays on the job: the next worker waits for that terraform if it
    /// still runs. Answers how many jobs were affected.
    @discardableResult
    public func requeueExpiredLeases(at date: Date) throws -> Int {
        try writeImmediate { db in
            try Self.requeueExpiredLeases(db, nowMs: Self.milliseconds(date), now: Timestamp.string(from: date))
        }
    }

    @discardableResult
    private static func requeueExpiredLeases(_ db: Database, nowMs: Int64, now: String) throws -> Int {
        let expired = try Row.fetchAll(db, sql: """
            SELECT j.job_id, j.run_id, j.attempts, j.worker, r.max_attempts, r.cancel_requested_at
            FROM jobs j JOIN runs r ON r.run_id = j.run_id
            WHERE r.queue = 'open' AND j.status = ? AND j.lease_expires_ms < ?
            """, arguments: [JobStatus.running.rawValue, nowMs])
        for row in expired {
            let jobID: Int64 = row[0]
            let runID: String = row[1]
            let attempts: Int = row[2]
            let worker: String = row[3] ?? "?"
            let maxAttempts: Int = row[4] ?? 3
            let cancelled = (row[5] as String?) != nil
            let error = "interrupted: worker \(worker) stopped renewing its lease (killed, or its machine was lost)"
            try db.execute(sql: """
                UPDATE job_attempts SET finished_at = ?, outcome = 'interrupted', error = ? WHERE job_id = ? AND finished_at IS NULL
                """, arguments: [now, error, jobID])
            if cancelled || attempts >= maxAttempts {
                try finishJob(db, jobID: jobID, result: JobResult(status: .interrupted, error: error), started: attempts > 0,
                              now: now)
                try db.execute(sql: "UPDATE jobs SET lease_expires_ms = NULL WHERE job_id = ?", arguments: [jobID])
                try closeIfDone(db, runID: runID, now: now)
            } else {
                try db.execute(sql: """
                    UPDATE jobs SET status = ?, lease_expires_ms = NULL, updated_at = ? WHERE job_id = ?
                    """, arguments: [JobStatus.pending.rawValue, now, jobID])
                try db.execute(sql: "UPDATE account_state SET status = ?, updated_at = ? WHERE last_job_id = ?",
                               arguments: [OnboardingStatus.pending.rawValue, now, jobID])
            }
        }
        return expired.count
    }

    // MARK: While a job runs

    /// The worker's heartbeat: extends the lease while the job is still this claim's,
    /// and says whether its run was cancelled.
    public func renewLease(_ claim: QueueClaim, lease: Duration, at date: Date) throws -> LeaseAnswer {
        try write { db in
            try db.execute(sql: """
                UPDATE jobs SET lease_expires_ms = ? WHERE job_id = ? AND claims = ? AND status = ? AND lease_expires_ms IS NOT NULL
                """, arguments: [Self.milliseconds(date) + Self.milliseconds(lease), claim.job.jobID, claim.token,
                                 JobStatus.running.rawValue])
            guard db.changesCount > 0 else { return .lost }
            let cancelled = try Bool.fetchOne(db, sql: "SELECT cancel_requested_at IS NOT NULL FROM runs WHERE run_id = ?",
                                              arguments: [claim.job.runID]) ?? false
            return cancelled ? .cancelled : .held
        }
    }

    /// Records the S3 state lock the claimed job's terraform took (see `QueueClaim.deadOwnerLock`).
    @discardableResult
    public func recordStateLock(_ claim: QueueClaim, lock: RecordedStateLock, at date: Date) throws -> Bool {
        try write { db in
            try db.execute(sql: """
                UPDATE jobs SET state_lock_id = ?, state_lock_who = ?
                WHERE job_id = ? AND claims = ? AND status = ? AND lease_expires_ms IS NOT NULL
                """, arguments: [lock.id, lock.who, claim.job.jobID, claim.token, JobStatus.running.rawValue])
            return db.changesCount > 0
        }
    }

    // MARK: Ending a claim

    /// Records a claimed job's final result (as `finishJob` does) with the end of its
    /// log, and closes the run when it was the last job. Records nothing and answers
    /// false when the claim is no longer held (its lease ran out and the job was
    /// requeued or ended): that result is not this job's any more.
    @discardableResult
    public func finishClaimedJob(
        _ claim: QueueClaim, result: JobResult, lastAttempt: LastAttempt?, started: Bool, terraformExited: Bool,
        logTail: [UInt8]?, logHost: String?, at date: Date
    ) throws -> Bool {
        let now = Timestamp.string(from: date)
        return try writeImmediate { db in
            guard try Self.holds(db, claim) else { return false }
            let jobID = claim.job.jobID
            if terraformExited {
                try db.execute(sql: "UPDATE jobs SET terraform_pid = NULL WHERE job_id = ?", arguments: [jobID])
            }
            if let lastAttempt {
                try Self.finishAttempt(db, jobID: jobID, lastAttempt, error: result.error, now: now)
            }
            try Self.finishJob(db, jobID: jobID, result: result, started: started, now: now)
            try db.execute(sql: "UPDATE jobs SET lease_expires_ms = NULL, log_tail = ?, log_host = ? WHERE job_id = ?",
                           arguments: [logTail.map { Data($0) }, logTail == nil ? nil : logHost, jobID])
            try Self.closeIfDone(db, runID: claim.job.runID, now: now)
            return true
        }
    }

    /// A claimed job ended without `finishClaimedJob` (it was skipped: a destroy found no
    /// state): its lease is dropped and its run closed when it was the last job.
    public func settleClaim(_ claim: QueueClaim, at date: Date) throws {
        let now = Timestamp.string(from: date)
        try writeImmediate { db in
            try db.execute(sql: """
                UPDATE jobs SET lease_expires_ms = NULL WHERE job_id = ? AND claims = ? AND status NOT IN (?, ?)
                """, arguments: [claim.job.jobID, claim.token, JobStatus.pending.rawValue, JobStatus.running.rawValue])
            try Self.closeIfDone(db, runID: claim.job.runID, now: now)
        }
    }

    /// Gives a job back to the queue (its worker is shutting down and stopped its
    /// terraform): pending again, its open attempt recorded `interrupted` with `reason`.
    /// Nothing happens when the claim is no longer held.
    @discardableResult
    public func releaseClaim(_ claim: QueueClaim, reason: String, terraformExited: Bool, at date: Date) throws -> Bool {
        let now = Timestamp.string(from: date)
        return try writeImmediate { db in
            guard try Self.holds(db, claim) else { return false }
            let jobID = claim.job.jobID
            try db.execute(sql: """
                UPDATE job_attempts SET finished_at = ?, outcome = 'interrupted', error = ? WHERE job_id = ? AND finished_at IS NULL
                """, arguments: [now, reason, jobID])
            try db.execute(sql: """
                UPDATE jobs SET status = ?, lease_expires_ms = NULL, updated_at = ?,
                    terraform_pid = CASE WHEN ? THEN NULL ELSE terraform_pid END
                WHERE job_id = ?
                """, arguments: [JobStatus.pending.rawValue, now, terraformExited, jobID])
            try db.execute(sql: "UPDATE account_state SET status = ?, updated_at = ? WHERE last_job_id = ?",
                           arguments: [OnboardingStatus.pending.rawValue, now, jobID])
            return true
        }
    }

    private static func holds(_ db: Database, _ claim: QueueClaim) throws -> Bool {
        try Bool.fetchOne(db, sql: """
            SELECT 1 FROM jobs WHERE job_id = ? AND claims = ? AND status = ? AND lease_expires_ms IS NOT NULL
            """, arguments: [claim.job.jobID, claim.token, JobStatus.running.rawValue]) ?? false
    }

    // MARK: Following and cancelling

    /// Cancels a queued run (Ctrl-C on the command that enqueued it): its pending jobs
    /// end `interrupted` at once; workers see the cancel at their next heartbeat and stop
    /// their terraform. The run closes when the last running job has ended.
    public func requestCancel(runID: String, at date: Date) throws {
        let now = Timestamp.string(from: date)
        try writeImmediate { db in
            try db.execute(sql: "UPDATE runs SET cancel_requested_at = coalesce(cancel_requested_at, ?) WHERE run_id = ?",
                           arguments: [now, runID])
            let pending = try Row.fetchAll(db, sql: "SELECT job_id, attempts FROM jobs WHERE run_id = ? AND status = ?",
                                           arguments: [runID, JobStatus.pending.rawValue])
            for row in pending {
                let attempts: Int = row[1]
                try Self.finishJob(db, jobID: row[0], result: JobResult(
                    status: .interrupted, error: "not started: the run was cancelled"), started: attempts > 0, now: now)
            }
            try Self.closeIfDone(db, runID: runID, now: now)
        }
    }

    /// A queued run's jobs (in the run's account order) and, once closed, its outcome.
    public func queuedRunState(runID: String) throws -> QueuedRunState {
        try read { db in
            let jobs = try JobRecord.fetchAll(db, sql: """
                SELECT \(JobRecord.selectList("j")) FROM jobs j JOIN accounts a ON a.account_id = j.account_id
                WHERE j.run_id = ? ORDER BY a.ou_path, a.name, a.account_id
                """, arguments: [runID])
            let row = try Row.fetchOne(db, sql: "SELECT outcome, cancel_requested_at FROM runs WHERE run_id = ?",
                                       arguments: [runID])
            let outcome = (row?[0] as String?).flatMap(RunOutcome.init(rawValue:))
            return QueuedRunState(jobs: jobs, outcome: outcome, cancelRequested: (row?[1] as String?) != nil)
        }
    }

    /// The stored end of a job's log, if its worker stored one.
    public func storedLogTail(jobID: Int64) throws -> StoredLogTail? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT log_tail, log_host FROM jobs WHERE job_id = ?", arguments: [jobID]),
                  let data = row[0] as Data?
            else { return nil }
            return StoredLogTail(tail: [UInt8](data), host: row[1])
        }
    }

    /// SQLite cannot tell another process that a job became claimable: an idle worker
    /// polls, sleeping the whole interval.
    public func waitForWork(timeout: Duration) async {
        try? await Task.sleep(for: timeout)
    }

    /// Closes a queued run once none of its jobs is pending or running, with the outcome
    /// the local scheduler would give it.
    private static func closeIfDone(_ db: Database, runID: String, now: String) throws {
        guard let run = try Row.fetchOne(db, sql: "SELECT finished_at, cancel_requested_at FROM runs WHERE run_id = ?",
                                         arguments: [runID]),
              (run[0] as String?) == nil
        else { return }
        var interrupted = (run[1] as String?) != nil
        var failed = false
        let rows = try Row.fetchCursor(db, sql: "SELECT status, skip_reason FROM jobs WHERE run_id = ?", arguments: [runID])
        while let row = try rows.next() {
            let status: String = row[0]
            if unfinishedStatuses.contains(status) { return }
            if status == JobStatus.interrupted.rawValue { interrupted = true }
            if status == JobStatus.failed.rawValue { failed = true }
            if let reason = (row[1] as String?).flatMap(SkipReason.init(rawValue:)), reason.failsTheRun { failed = true }
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
