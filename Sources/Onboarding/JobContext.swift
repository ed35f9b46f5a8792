import Crypto
import FleetformBasics
import Foundation
import Inventory
import Synchronization
import Terraform

/// Everything a worker needs to run one job through its attempts.
struct JobContext: Sendable {
    var runID: String
    var database: InventoryDatabase
    var layout: HomeLayout
    var runner: TerraformRunner
    var renderer: WorkspaceRenderer
    var options: OnboardingOptions
    var stop: StopController
    var gate: InitGate
    var events: @Sendable (OnboardingEvent) -> Void
    /// Terraform processes recorded for these accounts by earlier runs.
    var survivors: [String: InventoryDatabase.RecordedTerraform]

    /// Runs the job to a final status. Never throws: whatever goes wrong becomes the
    /// job's error, so one broken account cannot stop the other 499.
    func execute(_ job: RunScheduler.PreparedJob) async -> JobSummary {
        let accountID = job.account.accountID
        let logPath = layout.logFile(runID: runID, accountID: accountID)
        if let blocked = await waitForSurvivor(job) {
            return finish(job, attempts: 0, logPath: logPath.path, result: blocked, started: blocked.status == .failed)
        }
        // Whether there is anything to destroy is decided only now: a survivor of a killed
        // run may just have written the state.
        if job.record.operation == .destroy,
           !FileManager.default.fileExists(atPath: layout.stateFile(accountID: accountID).path) {
            let reason = RunScheduler.noStateReason
            try? database.skipJobs([job.record.jobID], reason: reason)
            return RunScheduler.summary(job, status: .skipped, skipReason: reason)
        }

        var attempt = 0
        while true {
            attempt += 1
            if stop.isStopRequested {
                return finish(job, attempts: attempt - 1, logPath: logPath.path,
                              result: JobResult(status: .interrupted, error: "not started: the run was interrupted"),
                              started: attempt > 1)
            }
            do {
                try database.startAttempt(jobID: job.record.jobID, attempt: attempt,
                                          configHash: job.rendering.configHash, logPath: logPath.path)
            } catch {
                return finish(job, attempts: attempt, logPath: logPath.path,
                              result: JobResult(status: .failed, error: "cannot record the job: \(error)"))
            }
            events(.jobStarted(accountID: accountID, attempt: attempt))

            let outcome = await runAttempt(job, log: logPath)
            let termination = outcome.termination.map(Self.describe) ?? "not started"
            switch outcome.result.status {
            case .failed where !stop.isStopRequested && attempt < options.maxAttempts && outcome.transient:
                let delay = backoff(attempt: attempt)
                try? database.finishAttempt(jobID: job.record.jobID, attempt: attempt, termination: termination,
                                            transient: true, error: outcome.result.error)
                events(.attemptFailed(accountID: accountID, attempt: attempt,
                                      error: outcome.result.error ?? "failed", delay: delay))
                await sleep(delay)
                continue
            default:
                var summary = finish(job, attempts: attempt, logPath: logPath.path, result: outcome.result,
                                     lastAttempt: (attempt, termination, outcome.transient))
                summary.changes = outcome.changes
                return summary
            }
        }
    }

    private struct AttemptOutcome {
        var result: JobResult
        var termination: TerraformRunner.Termination?
        var transient: Bool
        var changes: TerraformReport.ChangeSummary?
    }

    /// One attempt: render, init if needed, then the job's terraform command.
    private func runAttempt(_ job: RunScheduler.PreparedJob, log: URL) async -> AttemptOutcome {
        let workspace: URL
        do {
            workspace = try renderer.write(job.rendering)
        } catch {
            return AttemptOutcome(result: JobResult(status: .failed, error: "\(error)"), transient: false)
        }

        if let failure = await initialise(job, workspace: workspace, log: log) {
            return failure
        }

        let outcome: TerraformRunner.Outcome
        do {
            switch job.record.operation {
            case .apply: outcome = try await runTerraform(ApplyInvocation(), job: job, workspace: workspace, log: log)
            case .plan: outcome = try await runTerraform(PlanInvocation(), job: job, workspace: workspace, log: log)
            case .destroy: outcome = try await runTerraform(DestroyInvocation(), job: job, workspace: workspace, log: log)
            }
        } catch let stopped as StoppedBeforeStart {
            return stopped.outcome
        } catch {
            return AttemptOutcome(result: JobResult(status: .failed, error: "\(error)"), transient: false)
        }
        return evaluate(outcome, operation: job.record.operation)
    }

    /// A stop was requested before a terraform could start: none may start after a stop.
    private struct StoppedBeforeStart: Error {
        var command: String
        var outcome: AttemptOutcome {
            AttemptOutcome(result: JobResult(status: .interrupted, error: "interrupted before terraform \(command) started"),
                           transient: false)
        }
    }

    /// `terraform init`, unless the workspace is already initialised for the same
    /// template, backend and lock file. The first init of a template runs alone.
    private func initialise(_ job: RunScheduler.PreparedJob, workspace: URL, log: URL) async -> AttemptOutcome? {
        let marker = workspace.appendingPathComponent(".terraform/fleetform-init")
        let fingerprint = initFingerprint(job, workspace: workspace)
        if let existing = try? String(contentsOf: marker, encoding: .utf8), existing == fingerprint,
           Self.providersResolve(in: workspace) {
            return nil
        }
        let template = job.record.template
        let lockPath = workspace.appendingPathComponent(".terraform.lock.hcl")
        let admission = await gate.enter(template)
        if case .shared(let lockFile?) = admission, !FileManager.default.fileExists(atPath: lockPath.path) {
            // With the checksums recorded, this init links the provider from the cache
            // instead of installing it into the cache beside others doing the same.
            try? lockFile.write(to: lockPath, options: .atomic)
        }
        let outcome: TerraformRunner.Outcome
        do {
            outcome = try await runTerraform(InitInvocation(), job: job, workspace: workspace, log: log)
        } catch {
            if admission == .alone { await gate.leave(template, succeeded: false, lockFile: nil) }
            if let stopped = error as? StoppedBeforeStart { return stopped.outcome }
            return AttemptOutcome(result: JobResult(status: .failed, error: "\(error)"), transient: false)
        }
        let succeeded = outcome.termination.succeeded
        if admission == .alone {
            await gate.leave(template, succeeded: succeeded,
                             lockFile: succeeded ? FileManager.default.contents(atPath: lockPath.path) : nil)
        }
        guard succeeded else {
            var failure = evaluate(outcome, operation: job.record.operation)
            failure.result.error = "terraform init: " + (failure.result.error ?? "failed")
            return failure
        }
        // The lock file may have just been written by init; fingerprint what is there now.
        try? initFingerprint(job, workspace: workspace).write(to: marker, atomically: true, encoding: .utf8)
        return nil
    }

    private func initFingerprint(_ job: RunScheduler.PreparedJob, workspace: URL) -> String {
        var hasher = SHA256()
        for file in job.rendering.template.files {
            hasher.update(data: Array(file.path.utf8))
            hasher.update(data: file.contents)
        }
        hasher.update(data: Array(job.rendering.backendJSON.utf8))
        hasher.update(data: Array(renderer.terraformVersion.utf8))
        // Provider links in .terraform point into the plugin cache by absolute path: a
        // moved home or another cache needs a new init.
        hasher.update(data: Array(layout.home.path.utf8))
        hasher.update(data: Array(((runner.environment["TF_PLUGIN_CACHE_DIR"] ?? nil) ?? "").utf8))
        if let lock = FileManager.default.contents(atPath: workspace.appendingPathComponent(".terraform.lock.hcl").path) {
            hasher.update(data: lock)
        }
        return Hex.lowercase(hasher.finalize())
    }

    /// Whether every provider link under `.terraform/providers` still leads somewhere
    /// (a cleaned plugin cache leaves them dangling, and terraform then refuses to run).
    static func providersResolve(in workspace: URL) -> Bool {
        let providers = workspace.appendingPathComponent(".terraform/providers")
        guard let enumerator = FileManager.default.enumerator(atPath: providers.path) else { return true }
        for case let relative as String in enumerator {
            let path = providers.appendingPathComponent(relative).path
            let isLink = (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeSymbolicLink
            if isLink && !FileManager.default.fileExists(atPath: path) { return false }
        }
        return true
    }

    private func runTerraform(
        _ invocation: some TerraformInvocation, job: RunScheduler.PreparedJob, workspace: URL, log: URL
    ) async throws -> TerraformRunner.Outcome {
        guard !stop.isStopRequested else { throw StoppedBeforeStart(command: invocation.arguments.first ?? "") }
        let started = Mutex<Int32?>(nil)
        let database = self.database
        let stop = self.stop
        let jobID = job.record.jobID
        let outcome = try await runner.run(invocation, in: workspace, log: log) { pid in
            started.withLock { $0 = pid }
            stop.register(pid)
            try? database.recordTerraformPID(jobID: jobID, pid: pid, startTime: ProcessGroup.startTime(of: pid))
        }
        if let pid = started.withLock({ $0 }) { stop.unregister(pid) }
        return outcome
    }

    /// Turns terraform's exit and report into a job result.
    private func evaluate(_ outcome: TerraformRunner.Outcome, operation: JobOperation) -> AttemptOutcome {
        let report = outcome.report
        let succeeded = outcome.termination.succeeded || (operation == .plan && outcome.termination == .exited(2))
        if succeeded {
            switch operation {
            case .apply:
                guard let roleARN = report.outputs["role_arn"], !roleARN.isEmpty else {
                    return AttemptOutcome(
                        result: JobResult(status: .failed, error: "terraform apply succeeded but the template's output role_arn is empty"),
                        termination: outcome.termination, transient: false, changes: report.changes)
                }
                return AttemptOutcome(
                    result: JobResult(status: .succeeded, roleARN: roleARN, policyARN: report.outputs["policy_arn"],
                                      instanceProfileARN: report.outputs["instance_profile_arn"]),
                    termination: outcome.termination, transient: false, changes: report.changes)
            case .plan:
                // A plan that ends without its change summary did not finish: a Go runtime
                // crash exits 2 as well, which would otherwise read as "has changes".
                guard let changes = report.changes else {
                    return AttemptOutcome(
                        result: JobResult(status: .failed, error: report.firstError?.oneLine
                            ?? "terraform plan \(Self.describe(outcome.termination)) without a change summary (did it crash? see the log)"),
                        termination: outcome.termination, transient: false)
                }
                return AttemptOutcome(
                    result: JobResult(status: .succeeded, planChanges: (changes.add, changes.change, changes.remove)),
                    termination: outcome.termination, transient: false, changes: changes)
            case .destroy:
                return AttemptOutcome(result: JobResult(status: .succeeded), termination: outcome.termination,
                                      transient: false, changes: report.changes)
            }
        }
        if stop.isStopRequested {
            return AttemptOutcome(
                result: JobResult(status: .interrupted, error: "interrupted (\(Self.describe(outcome.termination)))"),
                termination: outcome.termination, transient: false)
        }
        let message = report.firstError?.oneLine ?? "terraform \(Self.describe(outcome.termination)) without an error message"
        return AttemptOutcome(
            result: JobResult(status: .failed, error: message), termination: outcome.termination,
            transient: TransientErrors.isTransient(report: report), changes: report.changes)
    }

    private func finish(
        _ job: RunScheduler.PreparedJob, attempts: Int, logPath: String, result: JobResult,
        lastAttempt: (attempt: Int, termination: String, transient: Bool)? = nil, started: Bool = true
    ) -> JobSummary {
        // Each try waits out the database's busy timeout; if every one fails, closing
        // the run marks the job interrupted, so the account is not lost as `running`.
        for _ in 1...3 {
            do {
                try database.finishJob(jobID: job.record.jobID, result: result, lastAttempt: lastAttempt, started: started,
                                       terraformExited: true)
                break
            } catch {
                continue
            }
        }
        return JobSummary(
            accountID: job.account.accountID, accountName: job.account.name, operation: job.record.operation,
            status: result.status, attempts: attempts, roleARN: result.roleARN, changes: nil, error: result.error,
            skipReason: nil, logPath: logPath)
    }

    /// Exponential backoff with equal jitter: half the delay is fixed, half random, so
    /// throttled accounts do not retry in lockstep.
    func backoff(attempt: Int) -> Duration {
        let exponential = options.retryBaseDelay * (1 << min(attempt - 1, 16))
        let capped = min(exponential, options.retryMaximumDelay)
        return capped / 2 + capped / 2 * Double.random(in: 0...1)
    }

    /// Sleeps, waking early when a stop is requested.
    private func sleep(_ duration: Duration) async {
        let clock = ContinuousClock()
        let deadline = clock.now + duration
        while clock.now < deadline, !stop.isStopRequested {
            try? await Task.sleep(for: min(.milliseconds(200), deadline - clock.now))
        }
    }

    /// A terraform from a killed fleetform may still hold the account's state lock and
    /// be creating resources; racing it would fail on the lock or, worse, duplicate them.
    /// Waits for it to end (a zombie has ended), at most `survivorTimeout`; returns why
    /// the job cannot go on, or nil when it can. Once the survivor is seen gone its pid
    /// is cleared, so no later run looks at it again.
    private func waitForSurvivor(_ job: RunScheduler.PreparedJob) async -> JobResult? {
        let accountID = job.account.accountID
        guard let survivor = survivors[accountID] else { return nil }
        let process = survivor.process
        switch ProcessGroup.liveness(of: process) {
        case .gone:
            try? database.clearTerraformPID(jobID: survivor.jobID)
            return nil
        case .elsewhere(let host):
            return JobResult(status: .failed, error: """
                terraform of run \(survivor.runID) (pid \(process.pid) on host \(host)) may still be working on this \
                account; a home must not be shared between machines: run fleetform on \(host) to settle it
                """)
        case .running:
            break
        }
        events(.waitingForSurvivor(accountID: accountID, pid: process.pid))
        let clock = ContinuousClock()
        let deadline = clock.now + options.survivorTimeout
        while ProcessGroup.liveness(of: process) == .running {
            if stop.isStopRequested {
                return JobResult(status: .interrupted, error: "not started: the run was interrupted")
            }
            if clock.now >= deadline {
                return JobResult(status: .failed, error: """
                    terraform of run \(survivor.runID) still running after \(options.survivorTimeout.components.seconds) s \
                    (pid \(process.pid), --survivor-timeout); wait for it, or stop it with kill -INT -- -\(process.pid)
                    """)
            }
            try? await Task.sleep(for: min(.milliseconds(250), deadline - clock.now))
        }
        try? database.clearTerraformPID(jobID: survivor.jobID)
        return nil
    }

    static func describe(_ termination: TerraformRunner.Termination) -> String {
        switch termination {
        case .exited(let code): "exit \(code)"
        case .signaled(let signal): "signal \(signal)"
        }
    }
}
