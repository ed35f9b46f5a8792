import FleetformBasics
import Foundation
import Inventory
import Synchronization
import Terraform

/// What a run is asked to do.
public struct RunRequest: Sendable {
    public var command: RunCommand
    public var jobs: [PlannedJob]
    /// Every template the jobs name, loaded and checked before the request was made.
    public var templates: [String: TerraformTemplate]
    public var options: OnboardingOptions
    /// Checks the accounts about to run terraform and returns why each one that cannot
    /// be entered fails (see `AccessPreflight`); nil skips the check.
    public var preflight: (@Sendable ([AccountRecord]) async -> [String: String])?
    /// Whether the user wants accounts checked (no `--skip-preflight`), so that the
    /// run says which it did not check, and why.
    public var preflightWanted: Bool
    /// `--adopt`: existing objects are looked up and imported before apply or plan.
    public var adoption: AdoptionSurvey?
    /// Before a destroy: removes the accounts from Akeyless and returns why each one
    /// that could not be removed fails (its destroy does not run). Given only the
    /// accounts the destroy will run in, after preflight.
    public var release: (@Sendable ([AccountRecord]) async -> [String: String])?

    public init(command: RunCommand, jobs: [PlannedJob], templates: [String: TerraformTemplate], options: OnboardingOptions,
                preflight: (@Sendable ([AccountRecord]) async -> [String: String])? = nil,
                preflightWanted: Bool? = nil, adoption: AdoptionSurvey? = nil,
                release: (@Sendable ([AccountRecord]) async -> [String: String])? = nil) {
        self.adoption = adoption
        self.release = release
        self.command = command
        self.jobs = jobs
        self.templates = templates
        self.options = options
        self.preflight = preflight
        self.preflightWanted = preflightWanted ?? (preflight != nil)
    }
}

/// Runs one job per account with bounded concurrency, and records every state change.
///
/// Jobs whose account is up to date (same config hash as its last successful apply) are
/// skipped without starting terraform. Transient failures are retried with backoff. Once
/// failures exceed the tolerance, or a stop is requested, no new job starts. With
/// `--canary` the jobs run in two phases (`RunPhases`): the canary, then the rest, which
/// starts only if every canary succeeded and is skipped, naming the failed ones, if not.
public struct RunScheduler: Sendable {
    public var database: any InventoryStore
    public var layout: HomeLayout
    public var runner: TerraformRunner
    public var terraformVersion: String
    /// Where the accounts' state is kept.
    public var backend: StateBackend

    public init(database: any InventoryStore, layout: HomeLayout, runner: TerraformRunner, terraformVersion: String,
                backend: StateBackend = .local) {
        self.database = database
        self.layout = layout
        self.runner = runner
        self.terraformVersion = terraformVersion
        self.backend = backend
    }

    /// A job with everything it needs to run, prepared before the run starts.
    struct PreparedJob: Sendable {
        var record: JobRecord
        var account: AccountRecord
        var rendering: WorkspaceRenderer.Rendering
    }

    /// Runs the request. `lock` proves this process holds the home's run lock, so any
    /// run still open in the database belongs to a fleetform that is gone.
    public func run(
        _ request: RunRequest, lock: RunLock, stop: StopController, events: @escaping @Sendable (OnboardingEvent) -> Void
    ) async throws -> RunReport {
        let clock = ContinuousClock()
        let started = clock.now
        let renderer = WorkspaceRenderer(layout: layout, terraformVersion: terraformVersion, backend: backend)

        let accounts = Dictionary(try database.allAccounts().map { ($0.accountID, $0) }, uniquingKeysWith: { a, _ in a })
        let appliedHashes = try database.appliedConfigHashes()
        let survivors = try database.recordedTerraformPIDs(accountIDs: request.jobs.map(\.accountID))

        let runID = RunID.make()
        let templateLabel = Set(request.jobs.map(\.template)).count == 1 ? request.jobs[0].template : "per job"
        let records = try database.startRun(
            runID: runID, command: request.command, template: templateLabel, parallel: request.options.parallel,
            jobs: request.jobs, isAlive: RunOwnership.aliveForLockHolder)
        defer { withExtendedLifetime(lock) {} }

        var (toRun, summaries, statelessDestroys) = try prepare(
            records, request: request, renderer: renderer, accounts: accounts, appliedHashes: appliedHashes,
            survivors: survivors)
        events(.runStarted(runID: runID, command: request.command, selected: records.count, toRun: toRun.count,
                           upToDate: summaries.count, parallel: request.options.parallel))

        let phases = RunPhases(toRun, canary: request.options.canary)
        try database.markCanary(phases.canary.map(\.record.jobID))
        if !phases.canary.isEmpty {
            events(.canaryChosen(accounts: phases.canary.map(\.account), others: phases.rest.count))
        }
        let context = JobContext(
            runID: runID, database: database, layout: layout, runner: runner, renderer: renderer,
            options: request.options, stop: stop, gate: InitGate(), events: events, survivors: survivors,
            adoption: request.adoption)
        // A percentage tolerance is of the accounts this run attempts, not of those
        // skipped as up to date.
        let allowedFailures = request.options.failureTolerance?.allowedFailures(of: toRun.count)

        if phases.canary.isEmpty {
            let unstarted = try await runPhase(phases.rest, statelessDestroys: statelessDestroys, allowedFailures: allowedFailures,
                                               request: request, context: context, summaries: &summaries)
            try finishUnstarted(unstarted, reason: .toleranceExceeded, stop: stop, summaries: &summaries, events: events)
        } else {
            // Every canary is attempted, whatever the tolerance: each is the one look at its
            // OU before the rest, and the rest wait for all of them anyway.
            let unstartedCanaries = try await runPhase(phases.canary, statelessDestroys: [], allowedFailures: nil,
                                                       request: request, context: context, summaries: &summaries)
            let canaryAccounts = Set(phases.canary.map(\.account.accountID))
            let failedAccounts = Set(summaries.filter {
                canaryAccounts.contains($0.accountID) && $0.status != .succeeded && $0.status != .skipped
            }.map(\.accountID))
            let failed = phases.canary.map(\.account.accountID).filter(failedAccounts.contains)
            if stop.isStopRequested || !failed.isEmpty {
                var unstarted = unstartedCanaries + phases.rest
                // A destroy with no state still had its account's Akeyless release to do,
                // which waited for the canary too.
                if request.release != nil, !stop.isStopRequested, !statelessDestroys.isEmpty {
                    let stateless = Set(statelessDestroys.map(\.account.accountID))
                    summaries.removeAll { stateless.contains($0.accountID) }
                    unstarted += statelessDestroys
                }
                if !stop.isStopRequested, !unstarted.isEmpty {
                    events(.canaryFinished(failed: failed, others: unstarted.count))
                }
                try finishUnstarted(unstarted, reason: .canaryFailed(accounts: failed), stop: stop, summaries: &summaries,
                                    events: events)
            } else {
                if !phases.rest.isEmpty { events(.canaryFinished(failed: [], others: phases.rest.count)) }
                let unstarted = try await runPhase(phases.rest, statelessDestroys: statelessDestroys,
                                                   allowedFailures: allowedFailures, request: request, context: context,
                                                   summaries: &summaries)
                try finishUnstarted(unstarted, reason: .toleranceExceeded, stop: stop, summaries: &summaries, events: events)
            }
        }

        let outcome: RunOutcome
        if stop.isStopRequested || summaries.contains(where: { $0.status == .interrupted }) {
            outcome = .interrupted
        } else if summaries.contains(where: { $0.status == .failed })
                    || summaries.contains(where: { $0.skipReason?.failsTheRun == true }) {
            outcome = .failed
        } else {
            outcome = .succeeded
        }
        let recorded = try database.finishRun(runID: runID, outcome: outcome)
        let order = Dictionary(records.enumerated().map { ($1.accountID, $0) }, uniquingKeysWith: { a, _ in a })
        summaries.sort { (order[$0.accountID] ?? 0) < (order[$1.accountID] ?? 0) }
        let report = RunReport(runID: runID, command: request.command, outcome: recorded, jobs: summaries,
                               elapsed: clock.now - started, canary: phases.canary.map(\.account.accountID))
        events(.runFinished(report))
        return report
    }

    /// Renders every job of a new run and skips, in one transaction, those that need
    /// not run (up to date, nothing to destroy): the one up-to-date decision of a run,
    /// whether the scheduler or workers then run the rest. Answers the jobs to run, the
    /// summaries of the skipped ones and, among those, the destroys with no state.
    func prepare(
        _ records: [JobRecord], request: RunRequest, renderer: WorkspaceRenderer, accounts: [String: AccountRecord],
        appliedHashes: [String: String], survivors: [String: RecordedTerraform]
    ) throws -> (toRun: [PreparedJob], summaries: [JobSummary], statelessDestroys: [PreparedJob]) {
        var toRun: [PreparedJob] = []
        var summaries: [JobSummary] = []
        var skipped: [SkipReason: [Int64]] = [:]
        // Destroys with no state to destroy still leave their account in Akeyless.
        var statelessDestroys: [PreparedJob] = []
        for record in records {
            guard let account = accounts[record.accountID], let template = request.templates[record.template] else { continue }
            let rendering = renderer.rendering(
                accountID: account.accountID, template: template, variables: TemplateVariables.values(for: account))
            let prepared = PreparedJob(record: record, account: account, rendering: rendering)
            if let reason = skipReason(prepared, appliedHash: appliedHashes[account.accountID], force: request.options.force,
                                       survivor: survivors[account.accountID] != nil) {
                skipped[reason, default: []].append(record.jobID)
                summaries.append(Self.summary(prepared, status: .skipped, skipReason: reason))
                if reason == .nothingToDestroy { statelessDestroys.append(prepared) }
            } else {
                toRun.append(prepared)
            }
        }
        for (reason, jobIDs) in skipped {
            try database.skipJobs(jobIDs, reason: reason)
        }
        return (toRun, summaries, statelessDestroys)
    }

    /// Runs one phase's jobs to their end with bounded concurrency: preflight, the
    /// Akeyless release before destroys, then the jobs; answers the jobs that never
    /// started (a stop, or failures beyond `allowedFailures`). Every finished job's
    /// summary is appended to `summaries`.
    ///
    /// - Parameter statelessDestroys: destroys skipped for having no state, already in
    ///   `summaries`, whose accounts are still released from Akeyless in this phase.
    private func runPhase(
        _ jobs: [PreparedJob], statelessDestroys: [PreparedJob], allowedFailures: Int?, request: RunRequest,
        context: JobContext, summaries: inout [JobSummary]
    ) async throws -> [PreparedJob] {
        let stop = context.stop
        let events = context.events
        var toRun = jobs
        // Accounts that cannot be entered, or not released from Akeyless before a
        // destroy, fail now, without a terraform run.
        var earlyFailures = 0
        // Only templates that enter the account through its access role are checked:
        // a template without `access_role_name` would fail a check it never needs.
        let unchecked = toRun.filter { !$0.rendering.template.declaredVariables.contains(TemplateVariables.accessRoleName) }
        if request.preflightWanted {
            for (template, jobs) in Dictionary(grouping: unchecked, by: \.record.template) {
                events(.preflightSkipped(accounts: jobs.count, template: template))
            }
        }
        let uncheckedIDs = Set(unchecked.map(\.record.jobID))
        let checked = toRun.filter { !uncheckedIDs.contains($0.record.jobID) }
        if let preflight = request.preflight, !checked.isEmpty {
            var failures = await Self.cancellable(stop: stop) { await preflight(checked.map(\.account)) }
            // A cancelled check proves nothing about the accounts: they were not started.
            if stop.isStopRequested { failures = [:] }
            events(.preflightChecked(checked: checked.count, failed: failures.count))
            earlyFailures += try failEarly(&toRun, failures, summaries: &summaries, events: events)
        }
        let destroys = toRun.filter { $0.record.operation == .destroy }
        if let release = request.release, !destroys.isEmpty || !statelessDestroys.isEmpty, !stop.isStopRequested {
            let failures = await release((destroys + statelessDestroys).map(\.account))
            earlyFailures += try failEarly(&toRun, failures, summaries: &summaries, events: events)
            // A skipped destroy whose account could not be released did not do what was asked.
            var stateless = statelessDestroys
            let failedSkips = try failEarly(&stateless, failures, summaries: &summaries, events: events)
            if failedSkips > 0 {
                let failedIDs = Set(failures.keys)
                summaries.removeAll { $0.status == .skipped && $0.skipReason == .nothingToDestroy && failedIDs.contains($0.accountID) }
            }
        }

        let queue = JobQueue(jobs: toRun, allowedFailures: allowedFailures, failures: earlyFailures)
        let workers = min(max(request.options.parallel, 1), toRun.count)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    while let job = await queue.next(stop: stop) {
                        let summary = await context.execute(job)
                        if await queue.record(summary) {
                            let (failed, allowed) = await queue.toleranceState()
                            events(.toleranceExceeded(failed: failed, allowed: allowed))
                        }
                        events(.jobFinished(summary))
                    }
                }
            }
        }
        summaries.append(contentsOf: await queue.finished)
        return await queue.remaining
    }

    /// Jobs that never started: after a stop they are interrupted (retry picks them up);
    /// otherwise they are skipped for `reason` (too many failures, as StackSets does, or
    /// a failed canary).
    private func finishUnstarted(
        _ jobs: [PreparedJob], reason: SkipReason, stop: StopController, summaries: inout [JobSummary],
        events: @Sendable (OnboardingEvent) -> Void
    ) throws {
        let stopped = stop.isStopRequested
        if !stopped {
            try database.skipJobs(jobs.map(\.record.jobID), reason: reason)
        }
        for job in jobs {
            let summary: JobSummary
            if stopped {
                let error = "not started: the run was interrupted"
                try database.finishJob(jobID: job.record.jobID, result: JobResult(status: .interrupted, error: error),
                                       started: false)
                summary = Self.summary(job, status: .interrupted, error: error)
            } else {
                summary = Self.summary(job, status: .skipped, skipReason: reason)
            }
            summaries.append(summary)
            events(.jobFinished(summary))
        }
    }

    /// Runs `body`, cancelled when a stop is requested (Ctrl-C during a long check ends
    /// its calls at once).
    private static func cancellable<T: Sendable>(stop: StopController, _ body: @escaping @Sendable () async -> T) async -> T {
        let work = Task { await body() }
        let watcher = Task {
            await stop.waitUntilStopped()
            if !Task.isCancelled { work.cancel() }
        }
        let value = await work.value
        watcher.cancel()
        return value
    }

    /// Fails, without a terraform run, the jobs of the accounts in `failures` (by
    /// account ID, why), and takes them out of `toRun`. Answers how many failed.
    func failEarly(
        _ toRun: inout [PreparedJob], _ failures: [String: String], summaries: inout [JobSummary],
        events: @Sendable (OnboardingEvent) -> Void
    ) throws -> Int {
        var failed = 0
        for job in toRun {
            guard let reason = failures[job.account.accountID] else { continue }
            try database.finishJob(jobID: job.record.jobID, result: JobResult(status: .failed, error: reason))
            let summary = Self.summary(job, status: .failed, error: reason)
            summaries.append(summary)
            events(.jobFinished(summary))
            failed += 1
        }
        toRun.removeAll { failures[$0.account.accountID] != nil }
        return failed
    }

    /// Why a job need not run, or nil. Whether a destroy has state to destroy is left to
    /// the job when a survivor of a killed run may still be writing that state, and when
    /// the state is not a local file: only terraform can look in S3, in the job's workspace.
    private func skipReason(_ job: PreparedJob, appliedHash: String?, force: Bool, survivor: Bool) -> SkipReason? {
        switch job.record.operation {
        case .apply:
            if !force, appliedHash == job.rendering.configHash { return .upToDate }
        case .destroy:
            if !survivor, backend.location == .local, !FileManager.default.fileExists(atPath: layout.stateFile(accountID: job.account.accountID).path) {
                return .nothingToDestroy
            }
        case .plan:
            break
        }
        return nil
    }

    static func summary(_ job: PreparedJob, status: JobStatus, attempts: Int = 0, error: String? = nil,
                        skipReason: SkipReason? = nil) -> JobSummary {
        JobSummary(accountID: job.account.accountID, accountName: job.account.name, operation: job.record.operation,
                   status: status, attempts: attempts, roleARN: nil, changes: nil, adopted: [], error: error,
                   skipReason: skipReason, logPath: nil)
    }
}
