import FleetformBasics
import Foundation
import GRDB
@testable import Inventory
import Terraform
import Testing
import TestSupport
@testable import Onboarding

/// The scheduler with real terraform and the provider-free `scripted` fixture template.
@Suite(.serialized) struct SchedulerTests {
    // Not private: SchedulerTests+Canary.swift runs the scheduler the same way.
    let home: TemporaryDirectory
    let control: FixtureControl
    let database: SQLiteInventoryStore
    let layout: HomeLayout
    private let template = FixtureControl.scriptedTemplate.standardizedFileURL.path

    init() throws {
        home = try TemporaryDirectory("fleetform-scheduler")
        control = try FixtureControl()
        layout = HomeLayout(home: home.url)
        database = try SQLiteInventoryStore(path: home.url.appendingPathComponent("fleetform.sqlite").path)
    }

    func accounts(_ count: Int) throws -> [String] {
        let ids = (1...count).map { String(format: "1000000000%02d", $0) }
        _ = try database.importAccounts(
            ids.map { AccountSpec(accountID: $0, name: "acct-\($0.suffix(2))", ouPath: "Root/Test", region: "us-east-1") },
            source: .file, origin: "test", prune: false)
        return ids
    }

    private func scheduler(terraformPath: String? = nil) async throws -> RunScheduler {
        var environment = ProcessInfo.processInfo.environment
        environment.merge(control.environment) { _, new in new }
        do {
            let terraform = try await TerraformSetup.runner(
                explicitPath: terraformPath, layout: layout, environment: environment, debugLog: false)
            var runner = terraform.runner
            runner.environment["FLEETFORM_FIXTURE_CONTROL"] = control.directory.path
            return RunScheduler(database: database, layout: layout, runner: runner,
                                terraformVersion: terraform.version.description)
        } catch {
            // Terraform missing is a failure with a reason, never a silent pass.
            Issue.record("these tests need terraform 1.5 or later on PATH: \(error)")
            throw error
        }
    }

    func run(
        _ command: RunCommand = .apply, ids: [String], parallel: Int = 2, tolerance: FailureTolerance? = nil,
        maxAttempts: Int = 3, force: Bool = false, canary: Int? = nil, stop: StopController = StopController(),
        preflight: (@Sendable ([AccountRecord]) async -> [String: String])? = nil, terraformPath: String? = nil,
        release: (@Sendable ([AccountRecord]) async -> [String: String])? = nil
    ) async throws -> (RunReport, [OnboardingEvent]) {
        let events = EventLog()
        let lock = try #require(try RunLock.acquire(directory: home.url), "the run lock is free in a new home")
        let operation: JobOperation = command == .destroy ? .destroy : command == .plan ? .plan : .apply
        let report = try await scheduler(terraformPath: terraformPath).run(
            RunRequest(command: command, jobs: ids.map { PlannedJob(accountID: $0, operation: operation, template: template) },
                       templates: [template: try TemplateCatalog.load(template)],
                       options: OnboardingOptions(parallel: parallel, failureTolerance: tolerance, maxAttempts: maxAttempts,
                                                  force: force, retryBaseDelay: .milliseconds(20), canary: canary),
                       preflight: preflight, release: release),
            lock: lock, stop: stop, events: { events.append($0) })
        return (report, events.all)
    }

    @Test func recordsEveryRoleARNAndNeverExceedsParallelism() async throws {
        let ids = try accounts(6)
        try control.sleepAll(seconds: 0.6)
        let (report, _) = try await run(ids: ids, parallel: 3)
        #expect(report.outcome == .succeeded)
        #expect(report.count(.succeeded) == 6)
        let maximum = control.maximumConcurrency()
        #expect(maximum <= 3, "\(maximum) terraform applies ran at once with --parallel 3")
        #expect(maximum >= 2, "jobs did not run in parallel")
        let statuses = try database.accountStandings()
        #expect(statuses.allSatisfy { $0.status == .succeeded })
        for status in statuses {
            #expect(status.roleARN == "arn:aws:iam::\(status.accountID):role/terraform-akeyless-role")
            #expect(status.policyARN == "arn:aws:iam::\(status.accountID):policy/terraform-akeyless-role-policy")
            let state = layout.stateFile(accountID: status.accountID)
            #expect(FileManager.default.fileExists(atPath: state.path))
        }
    }

    @Test func upToDateAccountsAreSkippedWithoutTerraform() async throws {
        let ids = try accounts(3)
        _ = try await run(ids: ids)
        let before = control.executions().count
        let (again, _) = try await run(ids: ids)
        #expect(again.outcome == .succeeded)
        #expect(again.jobs.allSatisfy { $0.status == .skipped && $0.skipReason == .upToDate })
        #expect(control.executions().count == before)
        let logs = layout.logDirectory(runID: again.runID)
        #expect(!FileManager.default.fileExists(atPath: logs.path), "no terraform should have run")
        // --force runs them anyway (terraform finds nothing to change).
        let (forced, _) = try await run(ids: ids, force: true)
        #expect(forced.count(.succeeded) == 3)
    }

    @Test func failureToleranceStopsNewJobs() async throws {
        let ids = try accounts(6)
        for id in ids.prefix(3) { try control.fail(id) }
        let (report, events) = try await run(ids: ids, parallel: 1, tolerance: .count(1))
        #expect(report.outcome == .failed)
        #expect(report.count(.failed) == 2)
        #expect(report.count(.skipped) == 4)
        #expect(report.jobs.filter { $0.status == .skipped }.allSatisfy { $0.skipReason == .toleranceExceeded })
        // Only the two failing accounts ever started terraform's apply.
        #expect(Set(control.executions().map(\.account)) == Set(ids.prefix(2)))
        #expect(events.contains { if case .toleranceExceeded(2, 1) = $0 { true } else { false } })
    }

    @Test func transientFailuresAreRetriedAndPermanentOnesAreNot() async throws {
        let ids = try accounts(2)
        try control.failTransiently(ids[0], times: 2)
        try control.fail(ids[1])
        let (report, events) = try await run(ids: ids, maxAttempts: 3)
        let transient = try #require(report.jobs.first { $0.accountID == ids[0] })
        #expect(transient.status == .succeeded)
        #expect(transient.attempts == 3)
        let permanent = try #require(report.jobs.first { $0.accountID == ids[1] })
        #expect(permanent.status == .failed)
        #expect(permanent.attempts == 1)
        #expect(permanent.error?.contains("AccessDenied: injected failure for \(ids[1])") == true)
        let retries = events.filter { if case .attemptFailed = $0 { true } else { false } }
        #expect(retries.count == 2)
        let attempts = try database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT a.attempt, a.transient, a.termination FROM job_attempts a JOIN jobs j USING (job_id)
                WHERE j.account_id = ? ORDER BY a.attempt
                """, arguments: [ids[0]])
        }
        #expect(attempts.map { $0["transient"] as Bool } == [true, true, false])
        #expect(attempts.map { $0["termination"] as String } == ["exit 1", "exit 1", "exit 0"])
        #expect(control.executions().filter { $0.account == ids[1] }.count == 1)
    }

    @Test func aStopInterruptsRunningJobsAndStartsNoMore() async throws {
        let ids = try accounts(4)
        try control.sleepAll(seconds: 30)
        let stop = StopController()
        let control = self.control
        let clock = ContinuousClock()
        let stopper = Task.detached { () -> ContinuousClock.Instant in
            _ = control.waitForStarts(2)
            stop.requestStop()
            return clock.now
        }
        let (report, _) = try await run(ids: ids, parallel: 2, stop: stop)
        let stoppedAt = await stopper.value
        // The applies sleep 30 s; SIGINT to their process groups ends them at once.
        #expect(clock.now - stoppedAt < .seconds(15), "the stop took \(clock.now - stoppedAt)")
        #expect(report.outcome == .interrupted)
        #expect(report.count(.interrupted) == 4)
        #expect(control.executions().count == 2)
        let statuses = try database.accountStandings()
        #expect(statuses.allSatisfy { $0.status == .interrupted })
        // Every terraform recorded for these accounts is gone.
        for job in try database.jobs(runID: report.runID) {
            if let pid = job.terraformPID { #expect(!ProcessGroup.isAlive(pid), "terraform \(pid) outlived the stop") }
        }
        #expect(try database.retryCandidates().count == 4)
    }

    /// Jobs waiting at the first-init gate, and a job whose init ends after the stop,
    /// must start no terraform once a stop was requested.
    @Test func afterAStopNoTerraformStarts() async throws {
        let ids = try accounts(4)
        let real = try TerraformLocator.locate(explicit: nil, environment: ProcessInfo.processInfo.environment)
        let calls = control.directory.url.appendingPathComponent("terraform-calls").path
        // A terraform whose init takes a while, and which logs every command it is given.
        let wrapper = try control.directory.write("terraform-wrapper", """
            #!/bin/sh
            [ "$1" = version ] || echo "$1" >> '\(calls)'
            if [ "$1" = init ]; then sleep 3; fi
            exec '\(real)' "$@"
            """)
        chmod(wrapper, 0o755)
        let stop = StopController()
        let control = self.control
        let stopper = Task.detached {
            // Stop while the first init (alone) runs and the others wait at the gate.
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline, !FileManager.default.fileExists(atPath: calls) {
                try? await Task.sleep(for: .milliseconds(50))
            }
            try? await Task.sleep(for: .milliseconds(500))
            stop.requestStop()
        }
        let (report, _) = try await run(ids: ids, parallel: 3, stop: stop, terraformPath: wrapper)
        await stopper.value
        #expect(report.outcome == .interrupted)
        #expect(report.count(.interrupted) == 4)
        let commands = (try? String(contentsOfFile: calls, encoding: .utf8))?.split(separator: "\n") ?? []
        #expect(commands == ["init"], "terraform started after the stop: \(commands)")
        #expect(control.executions().isEmpty)
    }

    /// The first init of a template runs alone (InitGate): terraform's plugin cache is not
    /// safe for concurrent installs. A wrapper logs each init's start and end, with a
    /// pause so that overlapping inits would be seen; the first must end before any
    /// other starts, and the rest then run in parallel.
    @Test func theFirstInitRunsAloneAndTheOthersTogether() async throws {
        let ids = try accounts(4)
        let real = try TerraformLocator.locate(explicit: nil, environment: ProcessInfo.processInfo.environment)
        let events = control.directory.url.appendingPathComponent("inits.log").path
        let wrapper = try control.directory.write("terraform-logging-inits", """
            #!/bin/sh
            if [ "$1" = init ]; then
              echo "start $$" >> '\(events)'; sleep 0.5
              '\(real)' "$@"; code=$?
              echo "end $$" >> '\(events)'; exit $code
            fi
            exec '\(real)' "$@"
            """)
        chmod(wrapper, 0o755)
        let (report, _) = try await run(ids: ids, parallel: 4, terraformPath: wrapper)
        #expect(report.count(.succeeded) == 4)
        let lines = try String(contentsOfFile: events, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.count == 8, "one init per account: \(lines)")
        let first = try #require(lines.first?.split(separator: " ").last)
        #expect(lines.dropFirst().first == "end \(first)", "another init started while the first ran: \(lines)")
        // After the first, the others overlap: all three start before the first of them ends.
        let rest = Array(lines.dropFirst(2))
        #expect(rest.prefix(3).allSatisfy { $0.hasPrefix("start") }, "the later inits ran one at a time: \(lines)")
    }

    /// A Go runtime crash also exits 2; without a change summary, a plan failed.
    @Test func aPlanThatCrashesIsAFailureNotChanges() async throws {
        let ids = try accounts(1)
        let real = try TerraformLocator.locate(explicit: nil, environment: ProcessInfo.processInfo.environment)
        let wrapper = try control.directory.write("terraform-crashing-plan", """
            #!/bin/sh
            if [ "$1" = plan ]; then echo 'fatal error: concurrent map writes'; exit 2; fi
            exec '\(real)' "$@"
            """)
        chmod(wrapper, 0o755)
        let (report, _) = try await run(.plan, ids: ids, terraformPath: wrapper)
        #expect(report.outcome == .failed)
        let job = try #require(report.jobs.first)
        #expect(job.status == .failed)
        #expect(job.error == "terraform plan exit 2 without a change summary (did it crash? see the log)")
        #expect(try database.jobs(runID: report.runID).first?.planChanges == nil)
    }

    /// `destroy` must wait for a survivor of a killed run before deciding there is no
    /// state: the survivor may be about to write it.
    @Test func destroyWaitsForASurvivorBeforeDecidingThereIsNoState() async throws {
        let ids = try accounts(1)
        let (applied, _) = try await run(ids: ids)
        #expect(applied.outcome == .succeeded)
        let state = layout.stateFile(accountID: ids[0])
        let hidden = state.deletingLastPathComponent().appendingPathComponent("hidden.tfstate")
        try FileManager.default.moveItem(at: state, to: hidden)
        // A terraform left by a killed run, which writes the state as it ends.
        let survivor = Process()
        survivor.executableURL = URL(fileURLWithPath: "/bin/sh")
        survivor.arguments = ["-c", "sleep 1.5; mv '\(hidden.path)' '\(state.path)'"]
        try survivor.run()
        let old = try database.startRun(
            runID: "killed", command: .apply, template: template, parallel: 1,
            jobs: [PlannedJob(accountID: ids[0], operation: .apply, template: template)],
            owner: ProcessIdentity(host: ProcessProbe.hostName, pid: Int32.max - 1, startTime: nil), isAlive: { _ in false })
        try database.startAttempt(jobID: old[0].jobID, attempt: 1, configHash: nil, logPath: "/dev/null")
        try database.recordTerraformPID(jobID: old[0].jobID, pid: survivor.processIdentifier,
                                        startTime: ProcessGroup.startTime(of: survivor.processIdentifier))

        let (destroyed, events) = try await run(.destroy, ids: ids)
        #expect(events.contains { if case .waitingForSurvivor = $0 { true } else { false } })
        #expect(destroyed.jobs.first?.status == .succeeded, "\(destroyed.jobs)")
        #expect(destroyed.jobs.first?.skipReason == nil)
        #expect(try database.accountStandings().first?.status == .destroyed)
        #expect(try database.recordedTerraformPIDs(accountIDs: ids).isEmpty, "the settled survivor's pid is cleared")
    }

    @Test func preflightFailuresFailBeforeTerraformAndCountAgainstTheTolerance() async throws {
        let ids = try accounts(4)
        let denied = ids[0]
        let (report, _) = try await run(ids: ids, parallel: 1, tolerance: .count(0)) { accounts in
            #expect(accounts.map(\.accountID) == ids)
            return [denied: "cannot assume arn:aws:iam::\(denied):role/OrganizationAccountAccessRole: AccessDenied: no"]
        }
        #expect(report.jobs.first { $0.accountID == denied }?.status == .failed)
        #expect(report.jobs.first { $0.accountID == denied }?.attempts == 0)
        // Tolerance 0 is already exceeded: nothing else starts.
        #expect(report.count(.skipped) == 3)
        #expect(control.executions().isEmpty)
    }

    @Test func aStopDuringPreflightEndsItAtOnce() async throws {
        let ids = try accounts(3)
        let stop = StopController()
        Task.detached {
            try? await Task.sleep(for: .milliseconds(300))
            stop.requestStop()
        }
        let clock = ContinuousClock()
        let started = clock.now
        let (report, _) = try await run(ids: ids, stop: stop) { _ in
            try? await Task.sleep(for: .seconds(30))  // a preflight stuck on throttling
            return [:]
        }
        #expect(clock.now - started < .seconds(10))
        #expect(report.outcome == .interrupted)
        #expect(report.count(.interrupted) == 3)
        #expect(report.jobs.allSatisfy { $0.error == "not started: the run was interrupted" })
        #expect(control.executions().isEmpty)
    }

    @Test func planRecordsChangesAndChangesNothing() async throws {
        let ids = try accounts(2)
        let (plan, _) = try await run(.plan, ids: ids)
        #expect(plan.outcome == .succeeded)
        #expect(plan.jobs.allSatisfy { $0.changes?.add == 1 })
        #expect(try database.accountStandings().allSatisfy { $0.status == .neverRun })
        #expect(control.executions().isEmpty)
        let job = try #require(try database.latestJob(accountID: ids[0]))
        #expect(job.planChanges == PlanChanges(add: 1, change: 0, destroy: 0))
        #expect(plan.hasChanges)
    }

    @Test func destroyMarksAccountsDestroyed() async throws {
        let ids = try accounts(2)
        _ = try await run(ids: ids)
        let (destroy, _) = try await run(.destroy, ids: ids)
        #expect(destroy.count(.succeeded) == 2)
        #expect(try database.accountStandings().allSatisfy { $0.status == .destroyed && $0.roleARN == nil })
    }
}

/// Collects events from the scheduler's tasks.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [OnboardingEvent] = []

    func append(_ event: OnboardingEvent) {
        lock.withLock { events.append(event) }
    }

    var all: [OnboardingEvent] { lock.withLock { events } }
}
