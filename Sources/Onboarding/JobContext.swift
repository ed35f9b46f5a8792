import FleetformBasics
import Foundation
import Inventory
import Synchronization
import Terraform

/// Everything a worker needs to run one job through its attempts.
struct JobContext: Sendable {
    var runID: String
    var database: any InventoryStore
    var layout: HomeLayout
    var runner: TerraformRunner
    var renderer: WorkspaceRenderer
    var options: OnboardingOptions
    var stop: StopController
    var gate: InitGate
    var events: @Sendable (OnboardingEvent) -> Void
    /// Terraform processes recorded for these accounts by earlier runs.
    var survivors: [String: RecordedTerraform]
    /// Set with `--adopt`: looks up existing objects to import before an apply or plan.
    var adoption: AdoptionSurvey?
    /// Records a job's end instead of `finishJob`: a worker records it under its claim
    /// (see `FleetWorker`). Nil for the local scheduler.
    var recordFinish: (@Sendable (FinishedJob) -> Void)? = nil
    /// Set by a worker for a job whose state is in S3: records the lock the job's
    /// terraform takes, and releases the lock of the claim's dead owner (see
    /// `StateLockGuard`). Nil for the local scheduler and local state.
    var stateLock: StateLockGuard? = nil

    /// A job's end, as `finish` would record it.
    struct FinishedJob: Sendable {
        var jobID: Int64
        var result: JobResult
        var lastAttempt: LastAttempt?
        var started: Bool
        var logPath: String
    }

    /// Runs the job to a final status. Never throws: whatever goes wrong becomes the
    /// job's error, so one broken account cannot stop the other 499.
    func execute(_ job: RunScheduler.PreparedJob) async -> JobSummary {
        var job = job
        let accountID = job.account.accountID
        let logPath = layout.logFile(runID: runID, accountID: accountID)
        if let blocked = await waitForSurvivor(job) {
            return finish(job, attempts: 0, logPath: logPath.path, result: blocked, started: blocked.status == .failed)
        }
        // Whether there is anything to destroy is decided only now: a survivor of a killed
        // run may just have written the state.
        if job.record.operation == .destroy {
            let hasState: Bool
            if renderer.backend.location == .local {
                hasState = FileManager.default.fileExists(atPath: layout.stateFile(accountID: accountID).path)
            } else {
                switch await pulledState(job, log: logPath) {
                // An empty state (what a destroy leaves) has nothing to destroy either.
                case .success(let state): hasState = state.map { !$0.isEmpty } ?? false
                case .failure(let failure):
                    return finish(job, attempts: 0, logPath: logPath.path, result: failure.result, started: false)
                }
            }
            if !hasState {
                try? database.skipJobs([job.record.jobID], reason: .nothingToDestroy)
                return RunScheduler.summary(job, status: .skipped, skipReason: .nothingToDestroy)
            }
        }

        var adopted: [String] = []
        if let adoption, job.record.operation != .destroy, let manifest = job.rendering.template.adoption {
            do throws(AdoptionSurvey.Refusal) {
                let finding = try await survey(adoption, job: job, manifest: manifest, log: logPath)
                job.rendering.imports = finding.imports
                adopted = finding.kinds.map(\.rawValue)
            } catch {
                return finish(job, attempts: 0, logPath: logPath.path,
                              result: JobResult(status: .failed, error: error.description))
            }
        }

        // Attempts go on from the job's record: a job a worker took over after another
        // worker's lease ran out has used some already.
        var attempt = job.record.attempts
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
            switch outcome.result.status {
            case .failed where !stop.isStopRequested && attempt < options.maxAttempts && outcome.transient:
                let delay = backoff(attempt: attempt)
                try? database.finishAttempt(
                    jobID: job.record.jobID, LastAttempt(attempt: attempt, termination: outcome.termination, transient: true),
                    error: outcome.result.error)
                events(.attemptFailed(accountID: accountID, attempt: attempt,
                                      error: outcome.result.error ?? "failed", delay: delay))
                // A stop during the wait is seen by the check at the top of the loop.
                _ = await stop.sleep(for: delay)
                continue
            default:
                var result = outcome.result
                // Imports happen only when the apply (or the plan that shows them) succeeds.
                if result.status == .succeeded { result.adopted = adopted }
                var summary = finish(job, attempts: attempt, logPath: logPath.path, result: result,
                                     lastAttempt: LastAttempt(attempt: attempt, termination: outcome.termination,
                                                              transient: outcome.transient))
                summary.changes = outcome.changes
                return summary
            }
        }
    }

    /// The objects to import, after reading which ones the state already manages.
    private func survey(
        _ adoption: AdoptionSurvey, job: RunScheduler.PreparedJob, manifest: AdoptionManifest, log: URL
    ) async throws(AdoptionSurvey.Refusal) -> AdoptionSurvey.Finding {
        let managed: Set<String>
        if renderer.backend.location == .local {
            do {
                managed = try StateAddresses.read(stateFile: layout.stateFile(accountID: job.account.accountID))
            } catch {
                throw AdoptionSurvey.Refusal(description: "cannot adopt: \(error)")
            }
        } else {
            switch await pulledState(job, log: log) {
            case .success(let state): managed = state?.addresses ?? []
            case .failure(let failure):
                throw AdoptionSurvey.Refusal(description: "cannot adopt: \(failure.result.error ?? "cannot read the state")")
            }
        }
        return try await adoption.survey(
            account: job.account, manifest: manifest, variables: TemplateVariables.values(for: job.account), managed: managed)
    }

    /// The account's state as its backend has it, nil when there is none: `terraform
    /// state pull` in the rendered, initialised workspace. For state that is not a local
    /// file (S3), where "no file here" says nothing about what is managed.
    private func pulledState(_ job: RunScheduler.PreparedJob, log: URL) async -> Result<StateSnapshot?, AttemptFailure> {
        let location = renderer.backend.location.stateDescription(accountID: job.account.accountID, layout: layout)
        let workspace: URL
        do {
            workspace = try renderer.write(job.rendering)
        } catch {
            return .failure(AttemptFailure(AttemptOutcome(result: JobResult(status: .failed, error: "\(error)"), transient: false)))
        }
        if let failure = await initialise(job, workspace: workspace, log: log) { return .failure(AttemptFailure(failure)) }
        do {
            let (termination, output) = try await runner.capture(StatePullInvocation(), in: workspace, log: log)
            guard termination.succeeded else {
                return .failure(AttemptFailure(AttemptOutcome(
                    result: JobResult(status: .failed, error: "cannot read the state at \(location): terraform state pull \(termination) (see the log)"),
                    transient: false)))
            }
            return .success(try StateSnapshot.parse(output, origin: location))
        } catch {
            return .failure(AttemptFailure(AttemptOutcome(result: JobResult(status: .failed, error: "\(error)"), transient: false)))
        }
    }

    private struct AttemptFailure: Error {
        var outcome: AttemptOutcome
        init(_ outcome: AttemptOutcome) { self.outcome = outcome }
        var result: JobResult { outcome.result }
    }

    private struct AttemptOutcome {
        var result: JobResult
        var termination: ProcessTermination?
        var transient: Bool
        var changes: PlanChanges?
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

        var heldByOther: StateLockInfo?
        if let stateLock {
            switch await settle(stateLock, job: job, workspace: workspace, log: log) {
            case .free: break
            case .heldByOther(let lock): heldByOther = lock
            case .failed(let failure): return failure
            }
        }

        let invocation: any TerraformInvocation = switch job.record.operation {
        case .apply: ApplyInvocation()
        case .plan: PlanInvocation()
        case .destroy: DestroyInvocation()
        }
        let outcome: TerraformRunner.Outcome
        do {
            outcome = try await runTerraform(invocation, job: job, workspace: workspace, log: log, watchingLock: true)
        } catch let stopped as StoppedBeforeStart {
            return stopped.outcome
        } catch {
            return AttemptOutcome(result: JobResult(status: .failed, error: "\(error)"), transient: false)
        }
        var evaluated = evaluate(outcome, of: invocation, job: job)
        if let heldByOther, let stateLock, evaluated.result.status == .failed,
           evaluated.result.error?.range(of: "state lock", options: .caseInsensitive) != nil {
            evaluated.result.error = """
                the state lock \(stateLock.location) is held by \(heldByOther.holder) (\(heldByOther.details)); it is \
                not the lock of a worker known dead, so fleetform leaves it: if its owner is gone, run terraform \
                force-unlock \(heldByOther.id) in the account's workspace
                """
        }
        return evaluated
    }

    private enum LockSettlement {
        case free
        case heldByOther(StateLockInfo)
        case failed(AttemptOutcome)
    }

    /// Before the job's terraform: the account's S3 state lock, if any, released when it
    /// is the one the claim's dead owner recorded, left alone (and named) otherwise.
    private func settle(
        _ guardian: StateLockGuard, job: RunScheduler.PreparedJob, workspace: URL, log: URL
    ) async -> LockSettlement {
        let found: StateLockInfo?
        do {
            found = try await guardian.read()
        } catch {
            TerraformRunner.note("cannot read the state lock \(guardian.location) (\(error)); terraform's own lock wait decides", log: log)
            return .free
        }
        switch StateLockDecision.decide(found: found, deadOwner: guardian.deadOwner) {
        case .free:
            return .free
        case .leave(let lock):
            TerraformRunner.note("the state lock \(guardian.location) is taken: \(lock.summary); not the lock of a worker known dead, left alone", log: log)
            return .heldByOther(lock)
        case .release(let lock):
            TerraformRunner.note("""
                releasing the stale state lock \(guardian.location): \(lock.summary), taken by the terraform of the \
                worker whose lease on this job ran out
                """, log: log)
            let failure = { (reason: String) in
                LockSettlement.failed(AttemptOutcome(result: JobResult(status: .failed, error: """
                    cannot release the stale state lock \(lock.id) of \(lock.who) at \(guardian.location): \(reason)
                    """), transient: false))
            }
            do {
                let outcome = try await runTerraform(ForceUnlockInvocation(lockID: lock.id), job: job, workspace: workspace, log: log)
                guard outcome.termination.succeeded else {
                    return failure("terraform force-unlock \(outcome.termination) (see the log)")
                }
            } catch let stopped as StoppedBeforeStart {
                return .failed(stopped.outcome)
            } catch {
                return failure("\(error)")
            }
            TerraformRunner.note("released the stale state lock \(lock.id) of \(lock.who)", log: log)
            events(.staleStateLockReleased(accountID: job.account.accountID, lockID: lock.id, who: lock.who))
            return .free
        }
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
    /// template, backend and lock file (see `InitMarker`). The first init of a template
    /// runs alone (see `InitGate`).
    private func initialise(_ job: RunScheduler.PreparedJob, workspace: URL, log: URL) async -> AttemptOutcome? {
        let marker = InitMarker(layout: layout, terraformVersion: renderer.terraformVersion, runner: runner)
        if marker.isCurrent(job.rendering, workspace: workspace) { return nil }
        let template = job.record.template
        let lockPath = workspace.appendingPathComponent(InitMarker.lockFileName)
        let admission = await gate.enter(template)
        if case .shared(let lockFile?) = admission, !FileManager.default.fileExists(atPath: lockPath.path) {
            // With the checksums recorded, this init links the provider from the cache
            // instead of installing it into the cache beside others doing the same.
            try? lockFile.write(to: lockPath, options: .atomic)
        }
        // The rendered backend is the recorded location, where the state is; a workspace
        // last initialised for another one follows the record (see InitInvocation).
        let invocation = InitInvocation(backendChange: .reconfigure)
        let outcome: TerraformRunner.Outcome
        do {
            outcome = try await runTerraform(invocation, job: job, workspace: workspace, log: log)
        } catch {
            if admission == .alone { await gate.leave(template, succeeded: false, lockFile: nil) }
            if let stopped = error as? StoppedBeforeStart { return stopped.outcome }
            return AttemptOutcome(result: JobResult(status: .failed, error: "\(error)"), transient: false)
        }
        let succeeded = invocation.succeeded(outcome.termination)
        if admission == .alone {
            await gate.leave(template, succeeded: succeeded,
                             lockFile: succeeded ? FileManager.default.contents(atPath: lockPath.path) : nil)
        }
        guard succeeded else {
            var failure = evaluate(outcome, of: invocation, job: job)
            failure.result.error = "terraform init: " + (failure.result.error ?? "failed")
            return failure
        }
        marker.record(job.rendering, workspace: workspace)
        return nil
    }

    /// - Parameter watchingLock: record the S3 state lock this terraform takes (see
    ///   `stateLock`), for the job's own command, which locks the state.
    private func runTerraform(
        _ invocation: some TerraformInvocation, job: RunScheduler.PreparedJob, workspace: URL, log: URL,
        watchingLock: Bool = false
    ) async throws -> TerraformRunner.Outcome {
        guard !stop.isStopRequested else { throw StoppedBeforeStart(command: invocation.arguments.first ?? "") }
        let started = Mutex<Int32?>(nil)
        let watcher = Mutex<Task<Void, Never>?>(nil)
        defer { watcher.withLock { $0?.cancel() } }
        let database = self.database
        let stop = self.stop
        let jobID = job.record.jobID
        let lockGuard = watchingLock ? stateLock : nil
        let launched = Date()
        let outcome = try await runner.run(invocation, in: workspace, log: log) { pid in
            started.withLock { $0 = pid }
            stop.register(pid)
            try? database.recordTerraformPID(jobID: jobID, pid: pid, startTime: ProcessGroup.startTime(of: pid))
            if let lockGuard {
                watcher.withLock { $0 = Task { await lockGuard.watch(started: launched) } }
            }
        }
        if let pid = started.withLock({ $0 }) { stop.unregister(pid) }
        return outcome
    }

    /// Turns terraform's exit and report into a job result.
    private func evaluate(
        _ outcome: TerraformRunner.Outcome, of invocation: any TerraformInvocation, job: RunScheduler.PreparedJob
    ) -> AttemptOutcome {
        let operation = job.record.operation
        let report = outcome.report
        if invocation.succeeded(outcome.termination) {
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
                // crash exits 2 as well, which would otherwise read as "has changes". Which
                // changes there are is the summary's to say, here and everywhere after.
                guard let changes = report.changes else {
                    return AttemptOutcome(
                        result: JobResult(status: .failed, error: report.firstError?.oneLine
                            ?? "terraform plan \(outcome.termination) without a change summary (did it crash? see the log)"),
                        termination: outcome.termination, transient: false)
                }
                return AttemptOutcome(
                    result: JobResult(status: .succeeded, planChanges: changes),
                    termination: outcome.termination, transient: false, changes: changes)
            case .destroy:
                return AttemptOutcome(result: JobResult(status: .succeeded), termination: outcome.termination,
                                      transient: false, changes: report.changes)
            }
        }
        if stop.isStopRequested {
            return AttemptOutcome(
                result: JobResult(status: .interrupted, error: "interrupted (\(outcome.termination))"),
                termination: outcome.termination, transient: false)
        }
        // Under --adopt an object that still clashes was not found by the look-up: the
        // hint to use --adopt would send the user in a circle, so terraform's own words stand.
        let hint = adoption == nil ? AlreadyExistsHint.message(for: report, accountID: job.account.accountID) : nil
        let message = hint ?? report.firstError?.oneLine ?? "terraform \(outcome.termination) without an error message"
        return AttemptOutcome(
            result: JobResult(status: .failed, error: message), termination: outcome.termination,
            transient: TransientErrors.isTransient(report: report), changes: report.changes)
    }

    private func finish(
        _ job: RunScheduler.PreparedJob, attempts: Int, logPath: String, result: JobResult,
        lastAttempt: LastAttempt? = nil, started: Bool = true
    ) -> JobSummary {
        if let recordFinish {
            recordFinish(FinishedJob(jobID: job.record.jobID, result: result, lastAttempt: lastAttempt, started: started,
                                     logPath: logPath))
        } else {
            // Each try waits out the database's busy timeout; if every one fails, closing
            // the run marks the job interrupted, so the account is not lost as `running`.
            recordDirectly(job, result: result, lastAttempt: lastAttempt, started: started)
        }
        return JobSummary(
            accountID: job.account.accountID, accountName: job.account.name, operation: job.record.operation,
            status: result.status, attempts: attempts, roleARN: result.roleARN, changes: nil, adopted: result.adopted,
            error: result.error, skipReason: nil, logPath: logPath)
    }

    private func recordDirectly(_ job: RunScheduler.PreparedJob, result: JobResult, lastAttempt: LastAttempt?, started: Bool) {
        for _ in 1...3 {
            do {
                try database.finishJob(jobID: job.record.jobID, result: result, lastAttempt: lastAttempt, started: started,
                                       terraformExited: true)
                return
            } catch {
                continue
            }
        }
    }

    /// Exponential backoff with equal jitter: half the delay is fixed, half random, so
    /// throttled accounts do not retry in lockstep.
    func backoff(attempt: Int) -> Duration {
        let exponential = options.retryBaseDelay * (1 << min(attempt - 1, 16))
        let capped = min(exponential, options.retryMaximumDelay)
        return capped / 2 + capped / 2 * Double.random(in: 0...1)
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
        case .elsewhere where recordFinish != nil && renderer.backend.location.isS3:
            // A worker holds this job because the lease of the worker on that host ran out:
            // the queue already decided that worker is gone. Its terraform, if it outlived
            // it, cannot be seen from here, but it holds the state's S3 lock file, and this
            // job's terraform waits for that lock (`-lock-timeout`, then retries): the lease
            // and the lock, not a pid on another machine, decide. The stale pid is replaced
            // when this job's terraform starts.
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
        // Linux tells a parent when its child exits, not anyone else: another process's
        // end is seen by looking, here every 250 ms. A stop ends the wait at once.
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
            _ = await stop.sleep(for: min(.milliseconds(250), deadline - clock.now))
        }
        try? database.clearTerraformPID(jobID: survivor.jobID)
        return nil
    }
}
