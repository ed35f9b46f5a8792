import Foundation
import GRDB
import FleetformBasics
import Testing
import TestSupport
@testable import Inventory

/// The job queue as the store keeps it: claims, leases, their expiry and requeue, the
/// canary and the tolerance at claim time, cancellation, and the fencing of a worker
/// whose lease ran out. What the PostgreSQL store must do the same way.
@Suite struct QueueTests {
    private let db: SQLiteInventoryStore
    private let directory: TemporaryDirectory
    private let accounts = (1...6).map { String(format: "0000000000%02d", $0) }
    private let t0 = Date(timeIntervalSince1970: 2_000_000_000)
    private let alive: (ProcessIdentity) -> Bool = { _ in true }

    init() throws {
        directory = try TemporaryDirectory("fleetform-queue")
        db = try SQLiteInventoryStore(path: directory.url.appendingPathComponent("fleetform.sqlite").path)
        _ = try db.importAccounts(
            accounts.map { AccountSpec(accountID: $0, name: "a\($0.suffix(2))", region: "us-east-1") },
            source: .file, origin: "test", prune: false)
    }

    @discardableResult
    private func enqueue(_ runID: String = "r1", accounts: [String]? = nil, canary: [String] = [], allowedFailures: Int? = nil,
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

    private func claim(_ worker: String = "w1", at seconds: Double = 0, lease: Duration = .seconds(10)) throws -> QueueClaim? {
        try db.claimJob(worker: worker, lease: lease, at: t0.addingTimeInterval(seconds))
    }

    private func finish(_ claim: QueueClaim, _ status: JobStatus, at seconds: Double = 1) throws -> Bool {
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

    private func outcome(_ runID: String = "r1") throws -> RunOutcome? {
        try db.queuedRunState(runID: runID).outcome
    }

    @Test func aRunIsClaimableOnlyOnceOpenAndEveryJobOnce() throws {
        try enqueue(open: false)
        #expect(try claim() == nil)
        try db.openQueuedRun(runID: "r1", allowedFailures: nil, maxAttempts: 3, at: t0)
        var claimed: [String] = []
        while let next = try claim() { claimed.append(next.job.accountID) }
        #expect(claimed == accounts)
        #expect(try db.runTemplates(runID: "r1") == [
            StoredTemplate(name: "t", hash: "h", files: [.init(path: "main.tf", contents: Array("x".utf8))])])
    }

    @Test func twoClaimersInTwoConnectionsNeverGetTheSameJob() async throws {
        // 60 jobs over 6 accounts would break UNIQUE (run_id, account_id): ten runs are
        // not allowed at once either, so one run of many accounts it is.
        let many = (1...60).map { String(format: "1000000000%02d", $0) }
        _ = try db.importAccounts(many.map { AccountSpec(accountID: $0, name: "m\($0.suffix(2))", region: "us-east-1") },
                                  source: .file, origin: "test", prune: false)
        try enqueue(accounts: many)
        let path = directory.url.appendingPathComponent("fleetform.sqlite").path
        let stores = try (0..<2).map { _ in try SQLiteInventoryStore(path: path) }
        let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for (index, store) in stores.enumerated() {
                group.addTask {
                    var mine: [Int64] = []
                    while let next = try store.claimJob(worker: "w\(index)", lease: .seconds(60)) { mine.append(next.job.jobID) }
                    return mine
                }
            }
            return try await group.reduce(into: [[Int64]]()) { $0.append($1) }
        }
        let all = claimed.flatMap { $0 }
        #expect(all.count == 60)
        #expect(Set(all).count == 60)
    }

    @Test func anExpiredLeaseRequeuesTheJobWithAnInterruptedAttemptAndFencesTheOldWorker() throws {
        try enqueue(accounts: [accounts[0]])
        let first = try #require(try claim("w1", at: 0, lease: .seconds(3)))
        try db.startAttempt(jobID: first.job.jobID, attempt: 1, configHash: "c", logPath: "/l", at: t0)
        #expect(try db.renewLease(first, lease: .seconds(3), at: t0.addingTimeInterval(2)) == .held)
        // Lease now runs to t0+5: not expired at 4.
        #expect(try claim("w2", at: 4) == nil)

        let second = try #require(try claim("w2", at: 6))
        #expect(second.job.jobID == first.job.jobID)
        #expect(second.job.attempts == 1)
        #expect(second.token > first.token)
        let attempt = try db.read { db in
            try Row.fetchOne(db, sql: "SELECT outcome, finished_at, error FROM job_attempts WHERE job_id = ? AND attempt = 1",
                             arguments: [first.job.jobID])
        }
        #expect((attempt?["outcome"] as String?) == "interrupted")
        #expect((attempt?["finished_at"] as String?) != nil)
        #expect((attempt?["error"] as String?)?.contains("w1 stopped renewing its lease") == true)

        // The first worker comes back: its lease is gone, and nothing it says counts.
        #expect(try db.renewLease(first, lease: .seconds(3), at: t0.addingTimeInterval(7)) == .lost)
        #expect(try db.finishClaimedJob(first, result: JobResult(status: .failed, error: "late"), lastAttempt: nil,
                                        started: true, terraformExited: true, logTail: nil, logHost: nil) == false)
        #expect(try finish(second, .succeeded, at: 8))
        let job = try #require(try db.latestJob(accountID: accounts[0]))
        #expect(job.status == .succeeded)
        #expect(job.attempts == 2)
        #expect(try outcome() == .succeeded)
        #expect(try db.storedLogTail(jobID: job.jobID) == StoredLogTail(tail: Array("log end".utf8), host: "host-a"))
    }

    @Test func aJobThatUsedItsAttemptsEndsInterruptedWhenItsLeaseRunsOut() throws {
        try enqueue(accounts: [accounts[0]], maxAttempts: 1)
        let first = try #require(try claim("w1", lease: .seconds(1)))
        try db.startAttempt(jobID: first.job.jobID, attempt: 1, configHash: "c", logPath: "/l", at: t0)
        #expect(try claim("w2", at: 5) == nil)
        #expect(try db.latestJob(accountID: accounts[0])?.status == .interrupted)
        #expect(try outcome() == .interrupted)
    }

    @Test func aFinishedJobIsNeverClaimedAgainAndTheLastOneClosesTheRun() throws {
        try enqueue(accounts: Array(accounts.prefix(2)))
        let a = try #require(try claim("w1"))
        let b = try #require(try claim("w2"))
        #expect(try finish(a, .succeeded))
        #expect(try outcome() == nil)
        #expect(try finish(b, .failed))
        // Even long after every lease would have run out.
        #expect(try claim("w3", at: 3600) == nil)
        #expect(try outcome() == .failed)
        #expect(try db.latestJob(accountID: accounts[0])?.status == .succeeded)
    }

    @Test func theCanaryGoesFirstAndAFailedCanarySkipsTheRest() throws {
        try enqueue(canary: [accounts[3], accounts[4]])
        let first = try #require(try claim())
        let second = try #require(try claim())
        #expect(Set([first.job.accountID, second.job.accountID]) == [accounts[3], accounts[4]])
        // The rest wait for every canary to end.
        #expect(try claim() == nil)
        #expect(try finish(first, .succeeded))
        #expect(try claim() == nil)
        #expect(try finish(second, .failed))
        #expect(try claim() == nil)
        let jobs = try db.queuedRunState(runID: "r1").jobs
        #expect(jobs.filter { $0.status == .skipped }.count == 4)
        #expect(jobs.first { $0.status == .skipped }?.skipReason == .canaryFailed(accounts: [second.job.accountID]))
        #expect(try outcome() == .failed)
    }

    @Test func aSucceededCanaryReleasesTheRest() throws {
        try enqueue(canary: [accounts[5]])
        let canary = try #require(try claim())
        #expect(canary.job.accountID == accounts[5])
        #expect(try finish(canary, .succeeded))
        var rest: [String] = []
        while let next = try claim() { rest.append(next.job.accountID) }
        #expect(rest == Array(accounts.prefix(5)))
    }

    @Test func failuresBeyondTheToleranceSkipThePendingJobs() throws {
        try enqueue(allowedFailures: 1)
        let a = try #require(try claim())
        let b = try #require(try claim())
        #expect(try finish(a, .failed))
        #expect(try claim() != nil)  // one failure is within the tolerance
        #expect(try finish(b, .failed))
        #expect(try claim() == nil)
        let skipped = try db.queuedRunState(runID: "r1").jobs.filter { $0.status == .skipped }
        #expect(skipped.count == 3)
        #expect(skipped.allSatisfy { $0.skipReason == .toleranceExceeded })
    }

    @Test func cancellingInterruptsPendingJobsAndTellsTheWorkers() throws {
        try enqueue(accounts: Array(accounts.prefix(3)))
        let running = try #require(try claim())
        try db.startAttempt(jobID: running.job.jobID, attempt: 1, configHash: "c", logPath: "/l", at: t0)
        try db.requestCancel(runID: "r1", at: t0.addingTimeInterval(1))
        #expect(try claim() == nil)
        #expect(try db.renewLease(running, lease: .seconds(10), at: t0.addingTimeInterval(2)) == .cancelled)
        let state = try db.queuedRunState(runID: "r1")
        #expect(state.cancelRequested)
        #expect(state.outcome == nil)
        #expect(state.jobs.filter { $0.status == .interrupted }.count == 2)
        #expect(try db.finishClaimedJob(running, result: JobResult(status: .interrupted, error: "interrupted (signal 2)"),
                                        lastAttempt: LastAttempt(attempt: 1, termination: .signaled(2), transient: false),
                                        started: true, terraformExited: true, logTail: nil, logHost: nil))
        #expect(try outcome() == .interrupted)
    }

    @Test func aReleasedClaimGoesBackToPendingAndAnOpenQueuedRunIsNotTakenForAbandoned() throws {
        try enqueue(accounts: [accounts[0]])
        // The enqueuing process is gone: the run belongs to the queue, not to it.
        #expect(try db.recoverAbandonedRuns(isAlive: { _ in false }).isEmpty)
        let first = try #require(try claim("w1"))
        try db.startAttempt(jobID: first.job.jobID, attempt: 1, configHash: "c", logPath: "/l", at: t0)
        #expect(try db.releaseClaim(first, reason: "interrupted: worker w1 was stopped", terraformExited: true))
        let again = try #require(try claim("w2"))
        #expect(again.job.jobID == first.job.jobID)
        #expect(again.job.attempts == 1)
    }

    @Test func aRunStillBeingPreparedIsClosedWhenItsEnqueuerIsGone() throws {
        try enqueue(open: false)
        #expect(try db.recoverAbandonedRuns(isAlive: { _ in false }).count == 1)
        #expect(try outcome() == .interrupted)
    }
}
