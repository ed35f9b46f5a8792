import FleetformBasics
import Foundation

/// The job queue is not on PostgreSQL yet: `--enqueue` and `fleetform worker` need the
/// SQLite store for now, and say so in one line instead of half-working.
extension PostgresInventoryStore {
    private func notYet() -> InventoryDatabaseError {
        .queueUnsupported(location: location)
    }

    public func enqueueRun(runID: String, command: RunCommand, template: String, jobs: [PlannedJob],
                           templates: [StoredTemplate], owner: ProcessIdentity, isAlive: (ProcessIdentity) -> Bool,
                           at date: Date) throws -> [JobRecord] { throw notYet() }
    public func openQueuedRun(runID: String, allowedFailures: Int?, maxAttempts: Int, at date: Date) throws { throw notYet() }
    public func runTemplates(runID: String) throws -> [StoredTemplate] { throw notYet() }
    public func claimJob(worker: String, lease: Duration, at date: Date) throws -> QueueClaim? { throw notYet() }
    public func requeueExpiredLeases(at date: Date) throws -> Int { throw notYet() }
    public func renewLease(_ claim: QueueClaim, lease: Duration, at date: Date) throws -> LeaseAnswer { throw notYet() }
    public func finishClaimedJob(_ claim: QueueClaim, result: JobResult, lastAttempt: LastAttempt?, started: Bool,
                                 terraformExited: Bool, logTail: [UInt8]?, logHost: String?, at date: Date) throws -> Bool {
        throw notYet()
    }
    public func settleClaim(_ claim: QueueClaim, at date: Date) throws { throw notYet() }
    public func releaseClaim(_ claim: QueueClaim, reason: String, terraformExited: Bool, at date: Date) throws -> Bool {
        throw notYet()
    }
    public func requestCancel(runID: String, at date: Date) throws { throw notYet() }
    public func queuedRunState(runID: String) throws -> QueuedRunState { throw notYet() }
    public func storedLogTail(jobID: Int64) throws -> StoredLogTail? { nil }
}
