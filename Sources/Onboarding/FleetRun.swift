import AWSClient
import Foundation
import Inventory
import Terraform

/// The apply, plan, retry and destroy use case, from the inventory to the recorded
/// result: take the run lock, close runs cut off earlier, choose the jobs, refuse a
/// broken template or an unnoticed template switch before anything is recorded, find
/// terraform, decide parallelism, check credentials, then run the scheduler.
///
/// It prints nothing: progress and notices are events, the end is a `Result`. The
/// command line, a test or a worker calls it the same way.
public struct FleetRun: Sendable {
    public var home: FleetformHome
    public var database: any InventoryStore
    public var environment: [String: String]

    public init(home: FleetformHome, database: any InventoryStore,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.home = home
        self.database = database
        self.environment = environment
    }

    /// What to run. `template` is the one of apply, plan and destroy; a retry repeats
    /// each job's own.
    public struct Request: Sendable {
        public var command: RunCommand
        public var selection: AccountSelection
        public var template: String
        public var settings: RunSettings
        /// Run accounts that are up to date too (a retry always does).
        public var force: Bool
        /// Apply to accounts last applied with another template (`--switch-template`).
        public var allowTemplateSwitch: Bool
        /// Take over objects that already exist (`--adopt`): look them up and import them.
        public var adopt: Bool
        /// Asked with the number of accounts before a destroy starts; throwing stops
        /// the run before anything is recorded.
        public var confirmDestroy: (@Sendable (Int) throws(OnboardingFailure) -> Void)?
        /// How Akeyless is reached, whether to sync after an apply, whether a destroy
        /// leaves the accounts' Akeyless items in place.
        public var akeyless: AkeylessRunOptions
        /// Read the organization first (`apply --discover`), under the run lock, so the
        /// run covers accounts that joined since and leaves out those that left or were
        /// suspended (disabled, never destroyed).
        public var discovery: InventoryDiscovery.Request?
        /// `--state` / `FLEETFORM_STATE`; nil: wherever the home records it (local when
        /// nothing is recorded yet).
        public var state: StateRequest?
        /// `--enqueue`: record the run and its jobs for `fleetform worker` processes and
        /// follow it, instead of running terraform here.
        public var enqueue = false

        public init(command: RunCommand, selection: AccountSelection, template: String = TerraformTemplate.builtInName,
                    settings: RunSettings, force: Bool = false, allowTemplateSwitch: Bool = false, adopt: Bool = false,
                    confirmDestroy: (@Sendable (Int) throws(OnboardingFailure) -> Void)? = nil,
                    akeyless: AkeylessRunOptions = AkeylessRunOptions(), discovery: InventoryDiscovery.Request? = nil,
                    state: StateRequest? = nil) {
            self.state = state
            self.adopt = adopt
            self.discovery = discovery
            self.akeyless = akeyless
            self.command = command
            self.selection = selection
            self.template = template
            self.settings = settings
            self.force = force || command == .retry
            self.allowTemplateSwitch = allowTemplateSwitch || command == .retry
            self.confirmDestroy = confirmDestroy
        }
    }

    public enum Result: Sendable {
        /// No job to run: the selection had nothing for this command (a retry with no
        /// failed account). Nothing was recorded.
        case nothingToDo
        case finished(RunReport)
        /// A retry with no terraform to run, only accounts waiting for an Akeyless sync.
        case akeylessSynced(AkeylessSync.Report)
    }

    public func execute(
        _ request: Request, stop: StopController, events: @escaping @Sendable (OnboardingEvent) -> Void
    ) async throws(OnboardingFailure) -> Result {
        do {
            return try await run(request, stop: stop, events: events)
        } catch {
            // Another run holding the lock, a bad selection, the database: one line each.
            throw OnboardingFailure(error)
        }
    }

    private func run(
        _ request: Request, stop: StopController, events: @escaping @Sendable (OnboardingEvent) -> Void
    ) async throws -> Result {
        if let canary = request.settings.canary, canary < 1 {
            throw OnboardingFailure(.usage, "--canary \(canary): must be at least 1")
        }
        let layout = HomeLayout(home: home.url)
        let lock = try database.acquireRunLock(home: home.url)
        // This process holds the run lock: every run still open was cut off.
        for run in try database.recoverAbandonedRuns(isAlive: RunOwnership.aliveForLockHolder) {
            events(.notice(.abandonedRunClosed(run)))
        }
        // Before anything is discovered or recorded: a run with the wrong --state must
        // change nothing.
        let resolvedState = try StateSetting.resolve(request.state, database: database, environment: environment)
        if let kind = home.networkFileSystem() {
            events(.notice(.homeOnNetworkFileSystem(path: home.url.path, kind: kind)))
        }
        if let discovery = request.discovery {
            let discovered = try await InventoryDiscovery(database: database, environment: environment).execute(discovery)
            events(.inventoryDiscovered(discovered))
        }

        let jobs = try plannedJobs(request)
        let akeyless = try await AkeylessRunStep.prepare(
            request.akeyless, command: request.command, jobs: jobs, selection: request.selection,
            failureTolerance: request.settings.failureTolerance, database: database, environment: environment, events: events)
        guard !jobs.isEmpty else {
            guard let akeyless, !akeyless.waiting.isEmpty else { return .nothingToDo }
            return .akeylessSynced(try await akeyless.sync(after: nil, stop: stop, events: events))
        }
        if !request.allowTemplateSwitch {
            let switches = try templateSwitches(jobs)
            if let first = switches.first {
                throw OnboardingFailure(.usage, """
                    \(switches.count) selected accounts (\(first.job.accountID) first) were applied with the template \
                    \(first.applied); pass --template \(first.applied), or --switch-template to replace it
                    """)
            }
        }
        if request.enqueue {
            try Self.refuseUnqueueable(request, akeyless: akeyless)
        }
        try request.confirmDestroy?(jobs.count)
        let templates = try loadTemplates(jobs)
        if request.adopt, let template = templates.values.first(where: { $0.adoption == nil }) {
            throw OnboardingFailure(.usage, """
                --adopt: the template \(template.name) has no \(AdoptionManifest.fileName) saying which resources are \
                which IAM objects; add one (see the README, Adopting existing roles)
                """)
        }

        let terraform: (runner: TerraformRunner, version: TerraformVersion)
        do {
            terraform = try await TerraformSetup.runner(
                explicitPath: request.settings.terraformPath, layout: layout, environment: environment,
                debugLog: request.settings.terraformDebugLog, gracePeriod: request.settings.gracePeriod, state: resolvedState.location)
        } catch {
            throw OnboardingFailure(.failure, "\(error)")
        }

        let stateLocation = resolvedState.recorded
            ? resolvedState.location : try StateSetting.record(resolvedState.location, database: database)

        let decision = ParallelismPolicy.decide(
            requested: request.settings.parallel, cores: ProcessInfo.processInfo.activeProcessorCount,
            availableMemory: ParallelismPolicy.availableMemory())
        if let notice = decision.notice { events(.notice(.parallelismLowered(notice))) }

        let assumesAccessRole = templates.values.contains { $0.declaredVariables.contains(TemplateVariables.accessRoleName) }
        let preflightRuns = !request.settings.skipPreflight && assumesAccessRole
        var preflight: (@Sendable ([AccountRecord]) async -> [String: String])?
        var adoption: AdoptionSurvey?
        if preflightRuns || request.adopt {
            // One missing credential is one error, not a failure recorded in every account.
            let session = try await AWSSessions.resolved(
                environment: environment, command: request.adopt ? "adopt" : "preflight",
                hint: request.adopt ? "" : " (or pass --skip-preflight to let terraform find credentials itself)")
            if preflightRuns {
                let check = AccessPreflight(session: session)
                preflight = { accounts in await check.failures(accounts) }
            }
            if request.adopt { adoption = AdoptionSurvey(session: session) }
        }

        let scheduler = RunScheduler(database: database, layout: layout, runner: terraform.runner,
                                     terraformVersion: terraform.version.description,
                                     backend: StateBackend(location: stateLocation, environment: environment))
        let runRequest = RunRequest(
            command: request.command, jobs: jobs, templates: templates,
            options: request.settings.onboardingOptions(parallel: decision.parallel, force: request.force),
            preflight: preflight, preflightWanted: !request.settings.skipPreflight, adoption: adoption,
            release: akeyless?.release)
        let report = request.enqueue
            ? try await scheduler.enqueue(runRequest, lock: lock, stop: stop, events: events)
            : try await scheduler.run(runRequest, lock: lock, stop: stop, events: events)
        do {
            try akeyless?.recordUnfinishedDestroys(report)
        } catch {
            throw OnboardingFailure(.failure, "cannot record the Akeyless release: \(error)")
        }
        guard let akeyless, akeyless.syncs else { return .finished(report) }
        var synced = report
        synced.akeyless = try await akeyless.sync(after: report, stop: stop, events: events)
        return .finished(synced)
    }

    /// What a queued run cannot do yet: workers have no adoption survey, and the release
    /// of a synced account must come right before its destroy, on the worker. Refused
    /// before anything is recorded. (`apply --akeyless` works: the enqueuing command
    /// syncs the accounts that succeeded once the workers are done, as a local run does.)
    private static func refuseUnqueueable(_ request: Request, akeyless: AkeylessRunStep?) throws(OnboardingFailure) {
        if request.adopt {
            throw OnboardingFailure(.usage, "--adopt with --enqueue: workers do not adopt yet; run it without --enqueue")
        }
        if let akeyless, akeyless.release != nil {
            throw OnboardingFailure(.usage, "destroy --enqueue of accounts synced with Akeyless: workers do not release "
                + "Akeyless items yet; run it without --enqueue, or pass --keep-akeyless")
        }
    }

    /// One job per selected enabled account; for a retry, the accounts whose latest
    /// apply or destroy failed or was interrupted, with that job's operation and template.
    private func plannedJobs(_ request: Request) throws -> [PlannedJob] {
        let operation: JobOperation
        switch request.command {
        case .retry:
            return try request.selection.narrow(try database.retryCandidates(), accountID: \.accountID, database: database)
        case .apply: operation = .apply
        case .plan: operation = .plan
        case .destroy: operation = .destroy
        }
        let selected = try request.selection.apply(to: try database.allAccounts())
        guard !selected.isEmpty else { throw SelectionError.nothingSelected }
        return selected.map { PlannedJob(accountID: $0.accountID, operation: operation, template: request.template) }
    }

    /// Jobs whose account was last applied with another template. Applying a different
    /// template auto-approves destroying what the first one made, so the user is asked
    /// for `--switch-template` first.
    private func templateSwitches(_ jobs: [PlannedJob]) throws -> [(job: PlannedJob, applied: String)] {
        let applied = try database.appliedTemplates()
        return jobs.compactMap { job in
            guard let previous = applied[job.accountID], previous != job.template else { return nil }
            return (job, previous)
        }
    }

    /// Every template the jobs name, loaded once: a broken one is refused before
    /// anything runs or is recorded.
    private func loadTemplates(_ jobs: [PlannedJob]) throws(OnboardingFailure) -> [String: TerraformTemplate] {
        var templates: [String: TerraformTemplate] = [:]
        for name in Set(jobs.map(\.template)) {
            do {
                templates[name] = try TemplateCatalog.load(name)
            } catch .notADirectory(let path) {
                throw OnboardingFailure(.noInput, "--template \(path): no such directory")
            } catch {
                throw OnboardingFailure(.invalidData, "\(error)")
            }
        }
        return templates
    }
}

/// The settings of a run as the user gives them (`--parallel`, `--failure-tolerance`…),
/// before memory and the command decide the rest.
public struct RunSettings: Sendable {
    /// Terraform processes at once; nil: 2 per core, lowered to what memory holds.
    public var parallel: Int?
    public var failureTolerance: FailureTolerance?
    public var maxAttempts: Int
    public var terraformPath: String?
    public var gracePeriod: Duration
    public var survivorTimeout: Duration
    public var terraformDebugLog: Bool
    public var skipPreflight: Bool
    /// `--canary N`: this many accounts first, the rest only if all of them succeed.
    public var canary: Int?

    public init(parallel: Int? = nil, failureTolerance: FailureTolerance? = nil, maxAttempts: Int = 3,
                terraformPath: String? = nil, gracePeriod: Duration = .seconds(60), survivorTimeout: Duration = .seconds(600),
                terraformDebugLog: Bool = false, skipPreflight: Bool = false, canary: Int? = nil) {
        self.canary = canary
        self.parallel = parallel
        self.failureTolerance = failureTolerance
        self.maxAttempts = maxAttempts
        self.terraformPath = terraformPath
        self.gracePeriod = gracePeriod
        self.survivorTimeout = survivorTimeout
        self.terraformDebugLog = terraformDebugLog
        self.skipPreflight = skipPreflight
    }

    func onboardingOptions(parallel: Int, force: Bool) -> OnboardingOptions {
        OnboardingOptions(parallel: parallel, failureTolerance: failureTolerance, maxAttempts: maxAttempts, force: force,
                          terraformDebugLog: terraformDebugLog, survivorTimeout: survivorTimeout, canary: canary)
    }
}
