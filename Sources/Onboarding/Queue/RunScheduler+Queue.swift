import Foundation
import Inventory
import Terraform

extension RunScheduler {
    /// `apply --enqueue` (and plan, retry, destroy): records the run and its jobs as the
    /// local scheduler would (the same up-to-date skips, the same canary, preflight
    /// before anything is handed out), stores the templates with the run, hands the jobs
    /// to `fleetform worker` processes, then follows the run until its last job ended,
    /// reporting each one as the local scheduler does. Starts no terraform.
    ///
    /// A stop (Ctrl-C) cancels the run: pending jobs end interrupted at once, workers
    /// stop the running ones at their next heartbeat, and the follow goes on until the
    /// workers recorded them.
    public func enqueue(
        _ request: RunRequest, lock: RunLock, stop: StopController, pollInterval: Duration = .milliseconds(500),
        events: @escaping @Sendable (OnboardingEvent) -> Void
    ) async throws -> RunReport {
        let clock = ContinuousClock()
        let started = clock.now
        let renderer = WorkspaceRenderer(layout: layout, terraformVersion: terraformVersion, backend: backend)
        let accounts = Dictionary(try database.allAccounts().map { ($0.accountID, $0) }, uniquingKeysWith: { a, _ in a })
        let appliedHashes = try database.appliedConfigHashes()
        let survivors = try database.recordedTerraformPIDs(accountIDs: request.jobs.map(\.accountID))

        let runID = RunID.make()
        let templateLabel = Set(request.jobs.map(\.template)).count == 1 ? request.jobs[0].template : "per job"
        let stored = request.templates.map { name, template in
            StoredTemplate(name: name, hash: template.contentHash,
                           files: template.storedFiles.map { StoredTemplate.File(path: $0.path, contents: $0.contents) })
        }
        let records = try database.enqueueRun(
            runID: runID, command: request.command, template: templateLabel, jobs: request.jobs, templates: stored,
            isAlive: RunOwnership.aliveForLockHolder)
        defer { withExtendedLifetime(lock) {} }

        let (toRun, summaries, _) = try prepare(
            records, request: request, renderer: renderer, accounts: accounts, appliedHashes: appliedHashes,
            survivors: survivors)
        events(.runStarted(runID: runID, command: request.command, selected: records.count, toRun: toRun.count,
                           upToDate: summaries.count, parallel: 0))
        let phases = RunPhases(toRun, canary: request.options.canary)
        try database.markCanary(phases.canary.map(\.record.jobID))
        if !phases.canary.isEmpty {
            events(.canaryChosen(accounts: phases.canary.map(\.account), others: phases.rest.count))
        }
        // Preflight once for every job with work, before any is handed out: a worker has
        // no one to tell that an account cannot be entered.
        var checked = toRun.filter { $0.rendering.template.declaredVariables.contains(TemplateVariables.accessRoleName) }
        if request.preflightWanted {
            let unchecked = toRun.filter { !$0.rendering.template.declaredVariables.contains(TemplateVariables.accessRoleName) }
            for (template, jobs) in Dictionary(grouping: unchecked, by: \.record.template) {
                events(.preflightSkipped(accounts: jobs.count, template: template))
            }
        }
        var early: [JobSummary] = []
        if let preflight = request.preflight, !checked.isEmpty, !stop.isStopRequested {
            let failures = await preflight(checked.map(\.account))
            events(.preflightChecked(checked: checked.count, failed: failures.count))
            _ = try failEarly(&checked, failures, summaries: &early, events: events)
        }
        try database.openQueuedRun(runID: runID, allowedFailures: request.options.failureTolerance?.allowedFailures(of: toRun.count),
                                   maxAttempts: request.options.maxAttempts)
        let follower = QueuedRunFollower(database: database, runID: runID, command: request.command, accounts: accounts,
                                         pollInterval: pollInterval)
        var report = try await follower.follow(stop: stop, events: events)
        report.elapsed = clock.now - started
        report.canary = phases.canary.map(\.account.accountID)
        events(.runFinished(report))
        return report
    }
}

/// Follows a queued run from the database until its last job ended: each job that
/// starts or ends becomes the event the local scheduler would have sent. SQLite has no
/// notifications, so it polls (one read per `pollInterval`); the PostgreSQL store can
/// wake it with `LISTEN` instead.
struct QueuedRunFollower {
    var database: any InventoryStore
    var runID: String
    var command: RunCommand
    var accounts: [String: AccountRecord]
    var pollInterval: Duration

    func follow(stop: StopController, events: @Sendable (OnboardingEvent) -> Void) async throws -> RunReport {
        // What was decided before the run was handed out (up to date, preflight) was
        // reported then, or is part of the run's header.
        var reported = Set(try database.queuedRunState(runID: runID).jobs.filter { $0.status.isFinal }.map(\.jobID))
        var startedJobs: Set<Int64> = []
        var cancelled = false
        var toleranceReported = false
        var failedReads = 0
        while true {
            if stop.isStopRequested, !cancelled {
                do {
                    try database.requestCancel(runID: runID)
                    cancelled = true
                } catch {
                    // Busy: tried again at the next poll.
                }
            }
            let state: QueuedRunState
            do {
                state = try database.queuedRunState(runID: runID)
                failedReads = 0
            } catch {
                failedReads += 1
                if failedReads >= 20 { throw error }
                _ = await stop.sleep(for: pollInterval)
                continue
            }
            for job in state.jobs {
                if (job.status == .running || (job.status.isFinal && job.attempts > 0)), !startedJobs.contains(job.jobID),
                   !reported.contains(job.jobID) {
                    startedJobs.insert(job.jobID)
                    events(.jobStarted(accountID: job.accountID, attempt: 1))
                }
                guard job.status.isFinal, !reported.contains(job.jobID) else { continue }
                reported.insert(job.jobID)
                if job.skipReason == .toleranceExceeded, !toleranceReported {
                    toleranceReported = true
                    let failed = state.jobs.count { $0.status == .failed }
                    events(.toleranceExceeded(failed: failed, allowed: max(failed - 1, 0)))
                }
                events(.jobFinished(summary(job)))
            }
            if let outcome = state.outcome {
                return RunReport(runID: runID, command: command, outcome: outcome, jobs: state.jobs.map(summary),
                                 elapsed: .zero)
            }
            // Before a stop, the stop wakes the sleep, so the cancel is recorded at once.
            if stop.isStopRequested {
                try? await Task.sleep(for: pollInterval)
            } else {
                _ = await stop.sleep(for: pollInterval)
            }
        }
    }

    private func summary(_ job: JobRecord) -> JobSummary {
        JobSummary(accountID: job.accountID, accountName: accounts[job.accountID]?.name ?? "", operation: job.operation,
                   status: job.status, attempts: job.attempts, roleARN: job.roleARN, changes: job.planChanges,
                   adopted: job.adopted, error: job.error, skipReason: job.skipReason, logPath: job.logPath)
    }
}

extension JobStatus {
    /// Whether the job has ended.
    var isFinal: Bool { self != .pending && self != .running }
}
