import Foundation
import GRDB
import FleetformBasics
import Testing
import TestSupport
@testable import Inventory

/// One store with six accounts, and the steps the queue's tests are written in.
private struct QueueFixture {
    let opened: OpenedStore
    var db: any InventoryStore { opened.store }
    let accounts = (1...6).map { String(format: "0000000000%02d", $0) }
    let t0 = Date(timeIntervalSince1970: 2_000_000_000)
    let alive: (ProcessIdentity) -> Bool = { _ in true }

    init(_ kind: StoreKind) throws {
        opened = try kind.open()
        _ = try opened.store.importAccounts(
            accounts.map { AccountSpec(accountID: $0, name: "a\($0.suffix(2))", region: "us-east-1") },
            source: .file, origin: "test", prune: false)
    }

    @discardableResult
    func enqueue(_ runID: String = "r1", accounts: [String]? = nil, canary: [String] = [], allowedFailures: Int? = nil,
                 maxAttempts: Int = 3, open: Bool = true) throws -> [JobRecord] {
        let jobs = try db.enqueueRun(
            runID: runID, command: .apply, template: "t",
            jobs: (accounts ?? self.accounts).map { PlannedJob(accountID: $0, operation: .apply, template: "t") },
            templates: [StoredTemplate(name: "t", hash: "h", files: [.init(path: "main.tf", contents: Array("x".utf8))])],
            owner: .current, isAlive: alive, at: t0)
        try db.markCanary(jobs.filter { canary.contains($0.accountID) }.map(\.jobID))
        if open { try db.openQueuedRun(runID: runID, allowedFailures: allowedFailures, maxAttempts: maxAttempts, at: t0) }
        return jobs
    }

    func claim(_ worker: String = "w1", at seconds: Double = 0, lease: Duration = .seconds(10)) throws -> QueueClaim? {
        try db.claimJob(worker: worker, lease: lease, at: t0.addingTimeInterval(seconds))
    }

    func finish(_ claim: QueueClaim, _ status: JobStatus, at seconds: Double = 1) throws -> Bool {
        try db.startAttempt(jobID: claim.job.jobID, attempt: claim.job.attempts + 1, configHash: "c", logPath: "/l",
                            at: t0.addingTimeInterval(seconds))
        return try db.finishClaimedJob(
            claim, result: JobResult(status: status, roleARN: status == .succeeded ? "arn" : nil,
                                     error: status == .failed ? "AccessDenied" : nil),
            lastAttempt: LastAttempt(attempt: claim.job.attempts + 1, termination: .exited(status == .succeeded ? 0 : 1),
                                     transient: false),
            started: true, terraformExited: true, logTail: Array("log end".utf8), logHost: "host-a",
            at: t0.addingTimeInterval(seconds))
    }

    func outcome(_ runID: String = "r1") throws -> RunOutcome? {
        try db.queuedRunState(runID: runID).outcome
    }

    /// An attempt's `outcome`, `finished_at` and `error`, which no command reads back.
    func attempt(jobID: Int64, _ number: Int) throws -> (outcome: String?, finishedAt: String?, error: String?) {
        switch db {
        case let sqlite as SQLiteInventoryStore:
            let row = try sqlite.read { db in
                try Row.fetchOne(db, sql: "SELECT outcome, finished_at, error FROM job_attempts WHERE job_id = ? AND attempt = ?",
                                 arguments: [jobID, number])
            }
            return (row?["outcome"], row?["finished_at"], row?["error"])
        case let postgres as PostgresInventoryStore:
            let row = try postgres.session.run { db in
                try db.query("""
                    SELECT outcome, finished_at, error FROM job_attempts WHERE job_id = \(jobID) AND attempt = \(Int32(number))
                    """).first
            }
            return (try row?.optional("outcome"), try row?.optional("finished_at"), try row?.optional("error"))
        default:
            Issue.record("unknown store \(type(of: db))")
            return (nil, nil, nil)
        }
    }
}

/// The job queue as both stores keep it (`JobQueueStore`): claims, leases, their expiry
/// and requeue, the canary and the tolerance at claim time, cancellation, the fencing of
/// a worker whose lease ran out, and waking idle workers. Every test runs against SQLite
/// and PostgreSQL.
@Suite struct QueueTests {
    @Test(arguments: StoreKind.allCases)
    func aRunIsClaimableOnlyOnceOpenAndEveryJobOnce(_ kind: StoreKind) throws {
        let q = try QueueFixture(kind)
        try q.enqueue(open: false)
        #expect(try q.claim() == nil)
        try q.db.openQueuedRun(runID: "r1", allowedFailures: nil, maxAttempts: 3, at: q.t0)
        var claimed: [String] = []
        while let next = try q.claim() { claimed.append(next.job.accountID) }
        #expect(claimed == q.accounts)
        #expect(try q.db.runTemplates(runID: "r1") == [
            StoredTemplate(name: "t", hash: "h", files: [.init(path: "main.tf", contents: Array("x".utf8))])])
    }

    @Test(arguments: StoreKind.allCases)
    func twoClaimersInTwoConnectionsNeverGetTheSameJob(_ kind: StoreKind) async throws {
        let q = try QueueFixture(kind)
        // 60 jobs over 6 accounts would break UNIQUE (run_id, account_id): ten runs are
        // not allowed at once either, so one run of many accounts it is.
        let many = (1...60).map { String(format: "1000000000%02d", $0) }
        _ = try q.db.importAccounts(many.map { AccountSpec(accountID: $0, name: "m\($0.suffix(2))", region: "us-east-1") },
                                  source: .file, origin: "test", prune: false)
        try q.enqueue(accounts: many)
        // Two more stores: two connections (PostgreSQL) or two GRDB pools (SQLite), as two
        // machines' workers; three claimers on each, all claiming as fast as they can.
        let stores = try (0..<2).map { _ in try q.opened.reopen() }
        let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for (index, store) in stores.enumerated() {
                for slot in 0..<3 {
                    group.addTask {
                        var mine: [Int64] = []
                        while let next = try store.claimJob(worker: "w\(index).\(slot)", lease: .seconds(60)) {
                            mine.append(next.job.jobID)
                        }
                        return mine
                    }
                }
            }
            return try await group.reduce(into: [[Int64]]()) { $0.append($1) }
        }
        let all = claimed.flatMap { $0 }
        #expect(all.count == 60)
        #expect(Set(all).count == 60)
    }

    @Test(arguments: StoreKind.allCases)
    func anExpiredLeaseRequeuesTheJobWithAnInterruptedAttemptAndFencesTheOldWorker(_ kind: StoreKind) throws {
        let q = try QueueFixture(kind)
        try q.enqueue(accounts: [q.accounts[0]])
        let first = try #require(try q.claim("w1", at: 0, lease: .seconds(3)))
        try q.db.startAttempt(jobID: first.job.jobID, attempt: 1, configHash: "c", logPath: "/l", at: q.t0)
        #expect(try q.db.renewLease(first, lease: .seconds(3), at: q.t0.addingTimeInterval(2)) == .held)
        // Lease now runs to q.t0+5: not expired at 4.
        #expect(try q.claim("w2", at: 4) == nil)

        let second = try #require(try q.claim("w2", at: 6))
        #expect(second.job.jobID == first.job.jobID)
        #expect(second.job.attempts == 1)
        #expect(second.token > first.token)
        let attempt = try q.attempt(jobID: first.job.jobID, 1)
        #expect(attempt.outcome == "interrupted")
        #expect(attempt.finishedAt != nil)
        #expect(attempt.error?.contains("w1 stopped renewing its lease") == true)

        // The first worker comes back: its lease is gone, and nothing it says counts.
        #expect(try q.db.renewLease(first, lease: .seconds(3), at: q.t0.addingTimeInterval(7)) == .lost)
        #expect(try q.db.finishClaimedJob(first, result: JobResult(status: .failed, error: "late"), lastAttempt: nil,
                                        started: true, terraformExited: true, logTail: nil, logHost: nil) == false)
        #expect(try q.finish(second, .succeeded, at: 8))
        let job = try #require(try q.db.latestJob(accountID: q.accounts[0]))
        #expect(job.status == .succeeded)
        #expect(job.attempts == 2)
        #expect(try q.outcome() == .succeeded)
        #expect(try q.db.storedLogTail(jobID: job.jobID) == StoredLogTail(tail: Array("log end".utf8), host: "host-a"))
    }

    @Test(arguments: StoreKind.allCases)
    func theStateLockOfAClaimWhoseLeaseRanOutIsHandedToTheNextClaimOnly(_ kind: StoreKind) throws {
        let q = try QueueFixture(kind)
        try q.enqueue(accounts: [q.accounts[0]])
        let first = try #require(try q.claim("w1", at: 0, lease: .seconds(3)))
        #expect(first.deadOwnerLock == nil)
        try q.db.startAttempt(jobID: first.job.jobID, attempt: 1, configHash: "c", logPath: "/l", at: q.t0)
        let lock = RecordedStateLock(id: "6b0e9f3c-1111-2222-3333-444455556666", who: "root@host-a")
        #expect(try q.db.recordStateLock(first, lock: lock, at: q.t0.addingTimeInterval(1)))

        // Its lease runs out: the next claim gets the lock the dead owner's terraform took.
        let second = try #require(try q.claim("w2", at: 6))
        #expect(second.deadOwnerLock == lock)
        // The dead owner can no longer record one; the new owner replaces it with its own.
        #expect(try q.db.recordStateLock(first, lock: RecordedStateLock(id: "late", who: nil)) == false)
        let own = RecordedStateLock(id: "7c1f0a4d-aaaa-bbbb-cccc-ddddeeeeffff", who: "root@host-b")
        #expect(try q.db.recordStateLock(second, lock: own, at: q.t0.addingTimeInterval(7)))
        #expect(try q.db.releaseClaim(second, reason: "stopping", terraformExited: true, at: q.t0.addingTimeInterval(8)))
        let third = try #require(try q.claim("w3", at: 9))
        #expect(third.deadOwnerLock == own)
    }

    @Test(arguments: StoreKind.allCases)
    func aJobThatUsedItsAttemptsEndsInterruptedWhenItsLeaseRunsOut(_ kind: StoreKind) throws {
        let q = try QueueFixture(kind)
        try q.enqueue(accounts: [q.accounts[0]], maxAttempts: 1)
        let first = try #require(try q.claim("w1", lease: .seconds(1)))
        try q.db.startAttempt(jobID: first.job.jobID, attempt: 1, configHash: "c", logPath: "/l", at: q.t0)
        #expect(try q.claim("w2", at: 5) == nil)
        #expect(try q.db.latestJob(accountID: q.accounts[0])?.status == .interrupted)
        #expect(try q.outcome() == .interrupted)
    }

    @Test(arguments: StoreKind.allCases)
    func aFinishedJobIsNeverClaimedAgainAndTheLastOneClosesTheRun(_ kind: StoreKind) throws {
        let q = try QueueFixture(kind)
        try q.enqueue(accounts: Array(q.accounts.prefix(2)))
        let a = try #require(try q.claim("w1"))
        let b = try #require(try q.claim("w2"))
        #expect(try q.finish(a, .succeeded))
        #expect(try q.outcome() == nil)
        #expect(try q.finish(b, .failed))
        // Even long after every lease would have run out.
        #expect(try q.claim("w3", at: 3600) == nil)
        #expect(try q.outcome() == .failed)
        #expect(try q.db.latestJob(accountID: q.accounts[0])?.status == .succeeded)
    }

    @Test(arguments: StoreKind.allCases)
    func theCanaryGoesFirstAndAFailedCanarySkipsTheRest(_ kind: StoreKind) throws {
        let q = try QueueFixture(kind)
        try q.enqueue(canary: [q.accounts[3], q.accounts[4]])
        let first = try #require(try q.claim())
        let second = try #require(try q.claim())
        #expect(Set([first.job.accountID, second.job.accountID]) == [q.accounts[3], q.accounts[4]])
        // The rest wait for every canary to end.
        #expect(try q.claim() == nil)
        #expect(try q.finish(first, .succeeded))
        #expect(try q.claim() == nil)
        #expect(try q.finish(second, .failed))
        #expect(try q.claim() == nil)
        let jobs = try q.db.queuedRunState(runID: "r1").jobs
        #expect(jobs.filter { $0.status == .skipped }.count == 4)
        #expect(jobs.first { $0.status == .skipped }?.skipReason == .canaryFailed(accounts: [second.job.accountID]))
        #expect(try q.outcome() == .failed)
    }

    @Test(arguments: StoreKind.allCases)
    func aSucceededCanaryReleasesTheRest(_ kind: StoreKind) throws {
        let q = try QueueFixture(kind)
        try q.enqueue(canary: [q.accounts[5]])
        let canary = try #require(try q.claim())
        #expect(canary.job.accountID == q.accounts[5])
        #expect(try q.finish(canary, .succeeded))
        var rest: [String] = []
        while let next = try q.claim() { rest.append(next.job.accountID) }
        #expect(rest == Array(q.accounts.prefix(5)))
    }

    @Test(arguments: StoreKind.allCases)
    func failuresBeyondTheToleranceSkipThePendingJobs(_ kind: StoreKind) throws {
        let q = try QueueFixture(kind)
        try q.enqueue(allowedFailures: 1)
        let a = try #require(try q.claim())
        let b = try #require(try q.claim())
        #expect(try q.finish(a, .failed))
        #expect(try q.claim() != nil)  // one failure is within the tolerance
        #expect(try q.finish(b, .failed))
        #expect(try q.claim() == nil)
        let skipped = try q.db.queuedRunState(runID: "r1").jobs.filter { $0.status == .skipped }
        #expect(skipped.count == 3)
        #expect(skipped.allSatisfy { $0.skipReason == .toleranceExceeded })
    }

    @Test(arguments: StoreKind.allCases)
    func cancellingInterruptsPendingJobsAndTellsTheWorkers(_ kind: StoreKind) throws {
        let q = try QueueFixture(kind)
        try q.enqueue(accounts: Array(q.accounts.prefix(3)))
        let running = try #require(try q.claim())
        try q.db.startAttempt(jobID: running.job.jobID, attempt: 1, configHash: "c", logPath: "/l", at: q.t0)
        try q.db.requestCancel(runID: "r1", at: q.t0.addingTimeInterval(1))
        #expect(try q.claim() == nil)
        #expect(try q.db.renewLease(running, lease: .seconds(10), at: q.t0.addingTimeInterval(2)) == .cancelled)
        let state = try q.db.queuedRunState(runID: "r1")
        #expect(state.cancelRequested)
        #expect(state.outcome == nil)
        #expect(state.jobs.filter { $0.status == .interrupted }.count == 2)
        #expect(try q.db.finishClaimedJob(running, result: JobResult(status: .interrupted, error: "interrupted (signal 2)"),
                                        lastAttempt: LastAttempt(attempt: 1, termination: .signaled(2), transient: false),
                                        started: true, terraformExited: true, logTail: nil, logHost: nil))
        #expect(try q.outcome() == .interrupted)
    }

    @Test(arguments: StoreKind.allCases)
    func aReleasedClaimGoesBackToPendingAndAnOpenQueuedRunIsNotTakenForAbandoned(_ kind: StoreKind) throws {
        let q = try QueueFixture(kind)
        try q.enqueue(accounts: [q.accounts[0]])
        // The enqueuing process is gone: the run belongs to the queue, not to it.
        #expect(try q.db.recoverAbandonedRuns(isAlive: { _ in false }).isEmpty)
        let first = try #require(try q.claim("w1"))
        try q.db.startAttempt(jobID: first.job.jobID, attempt: 1, configHash: "c", logPath: "/l", at: q.t0)
        #expect(try q.db.releaseClaim(first, reason: "interrupted: worker w1 was stopped", terraformExited: true))
        let again = try #require(try q.claim("w2"))
        #expect(again.job.jobID == first.job.jobID)
        #expect(again.job.attempts == 1)
    }

    @Test(arguments: StoreKind.allCases)
    func aRunStillBeingPreparedIsClosedWhenItsEnqueuerIsGone(_ kind: StoreKind) throws {
        let q = try QueueFixture(kind)
        try q.enqueue(open: false)
        #expect(try q.db.recoverAbandonedRuns(isAlive: { _ in false }).count == 1)
        #expect(try q.outcome() == .interrupted)
    }

    @Test(arguments: StoreKind.allCases)
    func anIdleWorkerIsWokenWhenARunOpens(_ kind: StoreKind) async throws {
        let q = try QueueFixture(kind)
        try q.enqueue(open: false)
        let clock = ContinuousClock()
        switch kind {
        case .sqlite:
            // No notifications across processes: the worker sleeps its poll interval.
            let start = clock.now
            await q.db.waitForWork(timeout: .milliseconds(300))
            #expect(clock.now - start >= .milliseconds(300))
        case .postgres:
            let worker = try q.opened.reopen()
            // The first wait opens the listening connection and returns at once: what was
            // sent before it listened is unknown.
            await worker.waitForWork(timeout: .seconds(20))
            let start = clock.now
            let woken = Task { await worker.waitForWork(timeout: .seconds(20)) }
            try await Task.sleep(for: .milliseconds(300))
            try q.db.openQueuedRun(runID: "r1", allowedFailures: nil, maxAttempts: 3)
            await woken.value
            #expect(clock.now - start < .seconds(10))
            #expect(try worker.claimJob(worker: "w1", lease: .seconds(10), at: q.t0) != nil)
            // A notification nobody waited for is kept for the next wait.
            let claim = try #require(try q.claim("w2"))
            #expect(try q.db.releaseClaim(claim, reason: "stopped", terraformExited: true, at: q.t0))
            let again = clock.now
            await worker.waitForWork(timeout: .seconds(20))
            #expect(clock.now - again < .seconds(10))
        }
    }
}
