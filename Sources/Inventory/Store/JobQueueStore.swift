import FleetformBasics
import Foundation

/// The job queue of team mode: runs enqueued by `apply --enqueue` (and plan, retry,
/// destroy) whose jobs `fleetform worker` processes claim, run under a lease and record.
/// Part of every store (`InventoryStore` refines it); what each operation guarantees is
/// written once, here, and `QueueContractTests` holds both stores to it.
///
/// - Every operation is one transaction: its cost is one round trip
///   (`DatabaseRoundTrips`).
/// - A claim is atomic: two workers never hold the same job. SQLite takes the write lock
///   before its first read (`BEGIN IMMEDIATE`); PostgreSQL locks the open runs' rows
///   (`FOR UPDATE`: claimers of one run take turns for the milliseconds of a claim, which
///   keeps the canary and tolerance checks exact) and picks the job with
///   `FOR UPDATE SKIP LOCKED`, so a claimer never waits on a job row another holds.
/// - The run's rules are checked in the claim's transaction: a job whose lease ran out
///   goes back to `pending` with that attempt recorded `interrupted` (or ends
///   `interrupted` once it used the run's `--max-attempts`); canary jobs are handed out
///   first and the others only once every canary succeeded (if one did not, the others
///   are skipped naming it); once failures exceed the run's tolerance the pending jobs
///   are skipped. The up-to-date decision was made at enqueue.
/// - Writes under a claim are fenced by its token (`jobs.claims`): a worker that lost
///   its lease records nothing.
/// - The transaction that ends a run's last job closes the run.
public protocol JobQueueStore: Sendable {
    /// Creates a run for workers with its pending jobs and its templates, as `startRun`
    /// does (another open run is refused). Workers do not see it until `openQueuedRun`;
    /// until then the enqueuing process owns it, and its death closes it like any run's.
    func enqueueRun(runID: String, command: RunCommand, template: String, jobs: [PlannedJob], templates: [StoredTemplate],
                    owner: ProcessIdentity, isAlive: (ProcessIdentity) -> Bool, at date: Date) throws -> [JobRecord]
    /// Hands the run to workers with its limits; closes it at once when nothing is pending.
    func openQueuedRun(runID: String, allowedFailures: Int?, maxAttempts: Int, at date: Date) throws
    /// The templates stored with the run, for rendering its workspaces anywhere.
    func runTemplates(runID: String) throws -> [StoredTemplate]
    /// The next job a worker may run, held for `lease`; nil when none may start now.
    func claimJob(worker: String, lease: Duration, at date: Date) throws -> QueueClaim?
    /// Puts the jobs whose lease ran out back to pending (see above); how many.
    func requeueExpiredLeases(at date: Date) throws -> Int
    /// Extends the lease, or says that the run was cancelled or the claim was lost.
    func renewLease(_ claim: QueueClaim, lease: Duration, at date: Date) throws -> LeaseAnswer
    /// Records the S3 state lock the claimed job's terraform took, replacing any earlier
    /// one; false when the claim was lost. A later claim of the job gets it as
    /// `QueueClaim.deadOwnerLock`.
    func recordStateLock(_ claim: QueueClaim, lock: RecordedStateLock, at date: Date) throws -> Bool
    /// Records the job's end under the claim; false when the claim was lost.
    func finishClaimedJob(_ claim: QueueClaim, result: JobResult, lastAttempt: LastAttempt?, started: Bool,
                          terraformExited: Bool, logTail: [UInt8]?, logHost: String?, at date: Date) throws -> Bool
    /// Clears the lease of a job already recorded (a skip), and closes the run if done.
    func settleClaim(_ claim: QueueClaim, at date: Date) throws
    /// Gives the job back (its worker is stopping): pending again, the attempt
    /// `interrupted`; false when the claim was lost.
    func releaseClaim(_ claim: QueueClaim, reason: String, terraformExited: Bool, at date: Date) throws -> Bool
    /// Cancels the run: pending jobs end `interrupted`, running ones are told at their
    /// next heartbeat.
    func requestCancel(runID: String, at date: Date) throws
    /// The run's jobs in its account order, its outcome once closed, and whether it was cancelled.
    func queuedRunState(runID: String) throws -> QueuedRunState
    /// The end of the job's log as its worker stored it, and the host holding the whole file.
    func storedLogTail(jobID: Int64) throws -> StoredLogTail?
    /// Waits until a job may have become claimable, at most `timeout`; returns at once
    /// when the task is cancelled. An idle worker calls it between claims, so the way the
    /// store wakes workers stays behind the store: PostgreSQL wakes them with
    /// `LISTEN fleetform_jobs` (the poll interval is then only a fallback), SQLite, which
    /// has no notifications across processes, sleeps the whole `timeout`.
    func waitForWork(timeout: Duration) async
}

// MARK: Defaults (a protocol requirement cannot have default arguments)

extension JobQueueStore {
    public func enqueueRun(runID: String, command: RunCommand, template: String, jobs: [PlannedJob],
                           templates: [StoredTemplate], owner: ProcessIdentity = .current,
                           isAlive: (ProcessIdentity) -> Bool) throws -> [JobRecord] {
        try enqueueRun(runID: runID, command: command, template: template, jobs: jobs, templates: templates, owner: owner,
                       isAlive: isAlive, at: Date())
    }

    public func openQueuedRun(runID: String, allowedFailures: Int?, maxAttempts: Int) throws {
        try openQueuedRun(runID: runID, allowedFailures: allowedFailures, maxAttempts: maxAttempts, at: Date())
    }

    public func claimJob(worker: String, lease: Duration) throws -> QueueClaim? {
        try claimJob(worker: worker, lease: lease, at: Date())
    }

    @discardableResult
    public func requeueExpiredLeases() throws -> Int {
        try requeueExpiredLeases(at: Date())
    }

    public func renewLease(_ claim: QueueClaim, lease: Duration) throws -> LeaseAnswer {
        try renewLease(claim, lease: lease, at: Date())
    }

    @discardableResult
    public func recordStateLock(_ claim: QueueClaim, lock: RecordedStateLock) throws -> Bool {
        try recordStateLock(claim, lock: lock, at: Date())
    }

    public func finishClaimedJob(_ claim: QueueClaim, result: JobResult, lastAttempt: LastAttempt?, started: Bool,
                                 terraformExited: Bool, logTail: [UInt8]?, logHost: String?) throws -> Bool {
        try finishClaimedJob(claim, result: result, lastAttempt: lastAttempt, started: started,
                             terraformExited: terraformExited, logTail: logTail, logHost: logHost, at: Date())
    }

    public func settleClaim(_ claim: QueueClaim) throws {
        try settleClaim(claim, at: Date())
    }

    public func releaseClaim(_ claim: QueueClaim, reason: String, terraformExited: Bool) throws -> Bool {
        try releaseClaim(claim, reason: reason, terraformExited: terraformExited, at: Date())
    }

    public func requestCancel(runID: String) throws {
        try requestCancel(runID: runID, at: Date())
    }
}
