import Foundation
import GRDB
import FleetformBasics
import Testing
@testable import Inventory

/// The job state machine as the database records it, and the run lock.
@Suite struct RunsTests {
    private let db: SQLiteInventoryStore
    private let alive: (ProcessIdentity) -> Bool = { _ in true }
    private let dead: (ProcessIdentity) -> Bool = { _ in false }

    init() throws {
        db = try SQLiteInventoryStore.inMemory()
        _ = try db.importAccounts(
            ["000000000001", "000000000002", "000000000003"].map {
                AccountSpec(accountID: $0, name: "a\($0.suffix(1))", region: "us-east-1")
            },
            source: .file, origin: "test", prune: false)
    }

    private func start(_ runID: String, _ command: RunCommand = .apply, operation: JobOperation = .apply,
                       accounts: [String] = ["000000000001", "000000000002", "000000000003"],
                       pid: Int32 = 4242, host: String? = ProcessProbe.hostName,
                       isAlive: ((ProcessIdentity) -> Bool)? = nil) throws -> [JobRecord] {
        try db.startRun(runID: runID, command: command, template: "t", parallel: 2,
                        jobs: accounts.map { PlannedJob(accountID: $0, operation: operation, template: "t") },
                        owner: ProcessIdentity(host: host, pid: pid, startTime: nil), isAlive: isAlive ?? alive)
    }

    private func status(_ id: String) throws -> AccountStanding? {
        try db.accountStandings().first { $0.accountID == id }
    }

    @Test func applySuccessRecordsARNsAndHashAndFailureKeepsThem() throws {
        let jobs = try start("r1", accounts: ["000000000001"])
        try db.startAttempt(jobID: jobs[0].jobID, attempt: 1, configHash: "h1", logPath: "/l")
        #expect(try status("000000000001")?.status == .running)
        try db.finishJob(jobID: jobs[0].jobID, result: JobResult(
            status: .succeeded, roleARN: "arn:aws:iam::000000000001:role/r", policyARN: "p", instanceProfileARN: "i"))
        try db.finishRun(runID: "r1", outcome: .succeeded)
        #expect(try status("000000000001")?.status == .succeeded)
        #expect(try status("000000000001")?.roleARN == "arn:aws:iam::000000000001:role/r")
        #expect(try status("000000000001")?.lastRunID == "r1")
        #expect(try db.appliedConfigHashes() == ["000000000001": "h1"])

        let second = try start("r2", accounts: ["000000000001"])
        try db.startAttempt(jobID: second[0].jobID, attempt: 1, configHash: "h2", logPath: "/l")
        try db.finishJob(jobID: second[0].jobID, result: JobResult(status: .failed, error: "AccessDenied: no"))
        try db.finishRun(runID: "r2", outcome: .failed)
        let failed = try #require(try status("000000000001"))
        #expect(failed.status == .failed)
        #expect(failed.error == "AccessDenied: no")
        // The role from the earlier success may still exist, so its ARN stays visible.
        #expect(failed.roleARN == "arn:aws:iam::000000000001:role/r")
        #expect(try db.appliedConfigHashes().isEmpty)
        #expect(try db.retryCandidates() == [PlannedJob(accountID: "000000000001", operation: .apply, template: "t")])
    }

    @Test func destroyClearsTheRoleAndPlansChangeNothing() throws {
        let jobs = try start("r1", accounts: ["000000000001"])
        try db.startAttempt(jobID: jobs[0].jobID, attempt: 1, configHash: "h", logPath: "/l")
        try db.finishJob(jobID: jobs[0].jobID, result: JobResult(status: .succeeded, roleARN: "arn"))
        try db.finishRun(runID: "r1", outcome: .succeeded)

        let plan = try start("r2", .plan, operation: .plan, accounts: ["000000000001"])
        try db.startAttempt(jobID: plan[0].jobID, attempt: 1, configHash: "h", logPath: "/l")
        try db.finishJob(jobID: plan[0].jobID, result: JobResult(status: .failed, error: "plan failed"))
        try db.finishRun(runID: "r2", outcome: .failed)
        #expect(try status("000000000001")?.status == .succeeded)
        #expect(try db.retryCandidates().isEmpty)

        let destroy = try start("r3", .destroy, operation: .destroy, accounts: ["000000000001"])
        try db.startAttempt(jobID: destroy[0].jobID, attempt: 1, configHash: "h", logPath: "/l")
        try db.finishJob(jobID: destroy[0].jobID, result: JobResult(status: .succeeded))
        try db.finishRun(runID: "r3", outcome: .succeeded)
        #expect(try status("000000000001")?.status == .destroyed)
        #expect(try status("000000000001")?.roleARN == nil)
        #expect(try db.appliedConfigHashes().isEmpty)
    }

    @Test func aSecondRunIsRefusedWhileTheFirstOwnerLives() throws {
        _ = try start("r1", pid: 111)
        #expect(throws: RunInProgress.self) { _ = try start("r2", pid: 222) }
        #expect(try db.runSummaries().map(\.runID) == ["r1"])
    }

    @Test func aDeadOwnersRunIsInterruptedByTheNextCommand() throws {
        let jobs = try start("r1", pid: 111)
        try db.startAttempt(jobID: jobs[0].jobID, attempt: 1, configHash: "h", logPath: "/l")
        try db.recordTerraformPID(jobID: jobs[0].jobID, pid: 999, startTime: 123_456)
        let recovered = try db.recoverAbandonedRuns(isAlive: dead)
        #expect(recovered == [AbandonedRun(runID: "r1", interruptedJobs: 3)])
        #expect(try db.jobs(runID: "r1").allSatisfy { $0.status == .interrupted })
        #expect(try status("000000000001")?.status == .interrupted)
        #expect(try db.runSummaries().first?.outcome == .interrupted)
        #expect(try db.retryCandidates().map(\.accountID) == ["000000000001", "000000000002", "000000000003"])
        #expect(try db.recordedTerraformPIDs(accountIDs: ["000000000001"])
            == ["000000000001": .init(jobID: jobs[0].jobID, runID: "r1",
                                      process: ProcessIdentity(host: ProcessProbe.hostName, pid: 999, startTime: 123_456))])
        try db.clearTerraformPID(jobID: jobs[0].jobID)
        #expect(try db.recordedTerraformPIDs(accountIDs: ["000000000001"]).isEmpty)
        // A new run may start now.
        _ = try start("r2", pid: 222, isAlive: dead)
    }

    /// A run recorded by another machine sharing the home is never judged by a local pid:
    /// a run command holding the lock here refuses and names that host.
    @Test func aRunOfAnotherHostIsReportedNotRecovered() throws {
        _ = try start("r1", pid: 111, host: "build-7")
        let error = try #require(throws: RunInProgress.self) {
            _ = try start("r2", pid: 222, isAlive: RunOwnership.aliveForLockHolder)
        }
        #expect(error.description.contains("is held by fleetform pid 111 on host build-7"))
        #expect(try db.recoverAbandonedRuns(isAlive: RunOwnership.aliveForReader).isEmpty)
        #expect(try db.runSummaries().first?.outcome == nil)
    }

    /// Readers close a run only when its owner process is gone; they never take the lock.
    @Test func aReaderRecoversOnlyRunsWhoseOwnerIsGone() throws {
        _ = try start("live", pid: getpid(), isAlive: dead)
        #expect(try db.recoverAbandonedRuns(isAlive: RunOwnership.aliveForReader).isEmpty)
        try db.finishRun(runID: "live", outcome: .succeeded)
        // A pid that cannot exist: its owner is gone.
        _ = try start("dead", pid: Int32.max - 1, isAlive: dead)
        #expect(try db.recoverAbandonedRuns(isAlive: RunOwnership.aliveForReader).map(\.runID) == ["dead"])
    }

    @Test func theRunLockIsExclusiveAndReleasedWithItsHolder() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fleetform-lock-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var first = try RunLock.acquire(directory: directory)
        #expect(first != nil)
        #expect(try RunLock.acquire(directory: directory) == nil)
        first = nil
        #expect(try RunLock.acquire(directory: directory) != nil)
        let mode = try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent("run.lock").path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func jobsThatNeverStartedLeaveAnAccountsStateAlone() throws {
        let first = try start("r1", accounts: ["000000000001"])
        try db.startAttempt(jobID: first[0].jobID, attempt: 1, configHash: "h", logPath: "/l")
        try db.finishJob(jobID: first[0].jobID, result: JobResult(status: .succeeded, roleARN: "arn"))
        try db.finishRun(runID: "r1", outcome: .succeeded)
        let second = try start("r2", accounts: ["000000000001", "000000000002"])
        for job in second {
            try db.finishJob(jobID: job.jobID, result: JobResult(status: .interrupted, error: "not started"), started: false)
        }
        #expect(try db.finishRun(runID: "r2", outcome: .interrupted) == .interrupted)
        // The onboarded account is still onboarded; the new one shows what happened to it.
        #expect(try status("000000000001")?.status == .succeeded)
        #expect(try status("000000000001")?.roleARN == "arn")
        #expect(try status("000000000002")?.status == .interrupted)
        // Both are retried: their latest jobs were interrupted.
        #expect(try db.retryCandidates().map(\.accountID) == ["000000000001", "000000000002"])
        #expect(try db.onboardedAccounts(includeDrifted: false).map(\.account.accountID) == ["000000000001"])
    }

    @Test func closingARunInterruptsJobsWhoseResultWasNeverRecorded() throws {
        let jobs = try start("r1", accounts: ["000000000001", "000000000002"])
        try db.startAttempt(jobID: jobs[0].jobID, attempt: 1, configHash: "h", logPath: "/l")
        try db.finishJob(jobID: jobs[1].jobID, result: JobResult(status: .succeeded, roleARN: "arn"))
        // The first job's result could not be written: closing the run must not leave it running.
        #expect(try db.finishRun(runID: "r1", outcome: .succeeded) == .interrupted)
        #expect(try status("000000000001")?.status == .interrupted)
        #expect(try db.retryCandidates().map(\.accountID) == ["000000000001"])
    }

    @Test func attemptsAreRecordedEachOnce() throws {
        let jobs = try start("r1", accounts: ["000000000001"])
        for attempt in 1...3 {
            try db.startAttempt(jobID: jobs[0].jobID, attempt: attempt, configHash: "h", logPath: "/l")
            try db.finishAttempt(jobID: jobs[0].jobID,
                                 LastAttempt(attempt: attempt, termination: attempt < 3 ? .exited(1) : nil, transient: attempt < 3),
                                 error: "Throttling")
        }
        let attempts = try db.read { try AttemptRecord.order(AttemptRecord.Columns.attempt).fetchAll($0) }
        #expect(attempts.map(\.attempt) == [1, 2, 3])
        #expect(attempts.map(\.transient) == [true, true, false])
        // Stored as terraform's exit, read back typed; an attempt without terraform has none.
        #expect(attempts.map(\.termination) == [.exited(1), .exited(1), nil])
        let stored = try db.read { try String.fetchAll($0, sql: "SELECT coalesce(termination, 'NULL') FROM job_attempts ORDER BY attempt") }
        #expect(stored == ["exit 1", "exit 1", "NULL"])
        #expect(try db.latestJob(accountID: "000000000001")?.attempts == 3)
    }

    /// A value a newer fleetform (or a hand edit) wrote is an error naming the row, never
    /// a guess: reading `apply` for an unknown operation would onboard an account.
    @Test func unknownStoredValuesAreErrorsNamingTheRow() throws {
        let jobs = try start("r1", accounts: ["000000000001"])
        try db.write { db in
            try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
            try db.execute(sql: "UPDATE jobs SET skip_reason = 'cosmic rays' WHERE job_id = ?", arguments: [jobs[0].jobID])
            try db.execute(sql: "UPDATE runs SET outcome = 'exploded' WHERE run_id = 'r1'")
        }
        #expect {
            _ = try db.latestJob(accountID: "000000000001")
        } throws: { error in
            "\(error)" == "the inventory database has an unknown skip_reason 'cosmic rays' in jobs row \(jobs[0].jobID); upgrade fleetform"
        }
        #expect {
            _ = try db.runSummaries()
        } throws: { error in
            "\(error)".contains("unknown outcome 'exploded' in runs row r1")
        }
        try db.write { db in
            try db.execute(sql: "UPDATE job_attempts SET termination = 'vanished'")
            try db.execute(sql: "INSERT INTO job_attempts (job_id, attempt, started_at, termination) VALUES (?, 1, 'now', 'vanished')",
                           arguments: [jobs[0].jobID])
        }
        #expect(throws: InventoryRowError.self) { _ = try db.read { try AttemptRecord.fetchAll($0) } }
    }

    @Test func skippedNeverRunAccountsShowAsSkippedButHistoryWins() throws {
        let first = try start("r1", accounts: ["000000000001"])
        try db.startAttempt(jobID: first[0].jobID, attempt: 1, configHash: "h", logPath: "/l")
        try db.finishJob(jobID: first[0].jobID, result: JobResult(status: .succeeded, roleARN: "arn"))
        try db.finishRun(runID: "r1", outcome: .succeeded)
        let second = try start("r2", accounts: ["000000000001", "000000000002"])
        try db.skipJobs([second[0].jobID], reason: .upToDate)
        try db.skipJobs([second[1].jobID], reason: .toleranceExceeded)
        #expect(try status("000000000001")?.status == .succeeded)
        #expect(try status("000000000002")?.status == .skipped)
        #expect(try status("000000000003")?.status == .neverRun)
        #expect(try db.runSummaries().first?.skipped == 2)
        #expect(try db.latestJob(accountID: "000000000002")?.skipReason == .toleranceExceeded)
    }

    /// The canary is recorded per job and read back per run, in the run's account order;
    /// a run without one lists none.
    @Test func canaryJobsAreRecordedAndListedPerRun() throws {
        let jobs = try start("r1")
        try db.markCanary([jobs[2].jobID, jobs[0].jobID])
        #expect(try db.jobs(runID: "r1").map(\.canary) == [true, false, true])
        try db.skipJobs([jobs[1].jobID], reason: .canaryFailed(accounts: ["000000000003"]))
        try db.finishRun(runID: "r1", outcome: .failed)
        _ = try start("r2", accounts: ["000000000002"])
        let runs = try db.runSummaries()
        #expect(runs.map(\.runID) == ["r2", "r1"])
        #expect(runs.map(\.canary) == [[], ["000000000001", "000000000003"]])
        // The reason names the failed canaries, and reads back as it was written.
        let skipped = try #require(try db.latestJob(accountID: "000000000002", runID: "r1"))
        #expect(skipped.skipReason == .canaryFailed(accounts: ["000000000003"]))
        #expect(try db.read { try String.fetchOne($0, sql: "SELECT skip_reason FROM jobs WHERE job_id = ?",
                                                   arguments: [jobs[1].jobID]) } == "canary failed: 000000000003")
        #expect(SkipReason(rawValue: "canary failed: 1, 2")?.rawValue == "canary failed: 1, 2")
        #expect(SkipReason(rawValue: "canary failed: ") == nil)
    }
}
