import AWSClient
import FleetformBasics
import Foundation
import Inventory
import Synchronization
import Terraform

/// `fleetform worker`: claims pending jobs of queued runs (`apply --enqueue`), runs each
/// with the scheduler's per-job code (`JobContext`: logs, pid recording, retries with
/// backoff, the survivor wait, result recording) in this home's workspaces, and holds
/// each under a lease it renews while terraform runs.
///
/// What the queue guarantees, and where: see `JobQueueStore`. The worker's part:
/// - the workspace is rendered from the template stored with the run, never from a
///   directory, so every worker runs the same configuration;
/// - a heartbeat every `lease / 3` renews the lease; a cancelled run (Ctrl-C on the
///   enqueuing command) or a lost lease stops the job's terraform as Ctrl-C does
///   (SIGINT to its group, SIGKILL after the grace period); a lost lease records nothing;
/// - a stop of the worker itself (SIGINT, SIGTERM: a pod being evicted) stops its
///   terraform the same way and gives the jobs back to the queue for another worker.
public struct FleetWorker: Sendable {
    public var home: FleetformHome
    public var database: any InventoryStore
    public var environment: [String: String]

    public init(home: FleetformHome, database: any InventoryStore,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.home = home
        self.database = database
        self.environment = environment
    }

    public struct Options: Sendable {
        /// Jobs (terraform processes) at once.
        public var parallel: Int
        /// Exit after this long with nothing to claim; nil: wait for work forever.
        public var idleExit: Duration?
        public var terraformPath: String?
        public var gracePeriod: Duration
        public var survivorTimeout: Duration
        public var terraformDebugLog: Bool
        /// How long a claim holds without a heartbeat. A killed worker's jobs go back to
        /// the queue this long after its last heartbeat.
        public var lease: Duration
        /// How often an idle worker looks for work when the store does not wake it
        /// (SQLite; on PostgreSQL a fallback to `LISTEN/NOTIFY`).
        public var pollInterval: Duration
        /// First delay before retrying a transient failure (as `OnboardingOptions`).
        public var retryBaseDelay: Duration

        public init(parallel: Int = 1, idleExit: Duration? = nil, terraformPath: String? = nil,
                    gracePeriod: Duration = .seconds(60), survivorTimeout: Duration = .seconds(600),
                    terraformDebugLog: Bool = false, lease: Duration = Self.defaultLease,
                    pollInterval: Duration = .milliseconds(500), retryBaseDelay: Duration = .seconds(5)) {
            self.parallel = parallel
            self.idleExit = idleExit
            self.terraformPath = terraformPath
            self.gracePeriod = gracePeriod
            self.survivorTimeout = survivorTimeout
            self.terraformDebugLog = terraformDebugLog
            self.lease = lease
            self.pollInterval = pollInterval
            self.retryBaseDelay = retryBaseDelay
        }

        public static let defaultLease: Duration = .seconds(30)
    }

    public enum Event: Sendable {
        case ready(worker: String, parallel: Int, lease: Duration)
        case claimed(runID: String, accountID: String)
        /// The store could not be reached; the worker tries again.
        case storeUnavailable(String)
        /// The job's lease was lost (it ran out, another worker took the job): what this
        /// worker found is not recorded.
        case leaseLost(accountID: String)
        /// The job went back to the queue because this worker is stopping.
        case givenBack(accountID: String)
        case job(OnboardingEvent)
    }

    public struct Report: Sendable, Equatable {
        public var worker: String
        /// Jobs this worker recorded, by final status.
        public var finished: [JobStatus: Int] = [:]
        /// Jobs given back to the queue (a stop of this worker) or lost with their lease.
        public var givenBack = 0
        public var lost = 0
        /// Store transactions made by this process, all jobs together.
        public var roundTrips = 0
        /// Time spent in the queue's own operations (claims, idle ones included,
        /// heartbeats, recording under the claim): what the queue adds per job over the
        /// local scheduler, which records a result too.
        public var queueTime: Duration = .zero
        public var jobs: Int { finished.values.reduce(0, +) }
    }

    /// The worker's name in the jobs it claims: `host:pid`.
    public static var identity: String { "\(ProcessProbe.hostName):\(getpid())" }

    /// Claims and runs jobs until `stop` or, with `idleExit`, until nothing came to claim
    /// for that long.
    public func run(
        _ options: Options, stop: StopController, events: @escaping @Sendable (Event) -> Void
    ) async throws(OnboardingFailure) -> Report {
        guard options.parallel >= 1 else { throw OnboardingFailure(.usage, "--parallel \(options.parallel): must be at least 1") }
        let layout = HomeLayout(home: home.url)
        let prepared: (runner: TerraformRunner, version: TerraformVersion, state: StateLocation)
        do {
            let state = try StateSetting.current(database: database)
            let terraform = try await TerraformSetup.runner(
                explicitPath: options.terraformPath, layout: layout, environment: environment,
                debugLog: options.terraformDebugLog, gracePeriod: options.gracePeriod, state: state)
            prepared = (terraform.runner, terraform.version, state)
        } catch let failure as OnboardingFailure {
            throw failure
        } catch {
            throw OnboardingFailure(.failure, "\(error)")
        }
        let worker = Self.identity
        let slots = Slots(worker: worker)
        let shared = Shared(database: database, layout: layout, runner: prepared.runner, aws: AWSSession(environment: environment),
                            renderers: RendererCache(database: database, layout: layout, version: prepared.version,
                                                     executable: prepared.runner.executable, environment: environment),
                            options: options, gate: InitGate(), templates: TemplateCache(database: database),
                            worker: worker, stop: stop, events: events, slots: slots, queueClock: QueueClock())
        events(.ready(worker: worker, parallel: options.parallel, lease: options.lease))
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<options.parallel {
                group.addTask { await shared.loop() }
            }
        }
        var report = await slots.report
        report.roundTrips = DatabaseRoundTrips.count
        report.queueTime = shared.queueClock.total
        return report
    }
}

/// What the worker's slots share.
private struct Shared: Sendable {
    var database: any InventoryStore
    var layout: HomeLayout
    var runner: TerraformRunner
    /// Reads S3 state lock objects (see `StateLockGuard`), with the worker's own credentials.
    var aws: AWSSession
    var renderers: RendererCache
    var options: FleetWorker.Options
    var gate: InitGate
    var templates: TemplateCache
    var worker: String
    var stop: StopController
    var events: @Sendable (FleetWorker.Event) -> Void
    var slots: Slots
    var queueClock: QueueClock

    /// One slot: claim, run, record, until a stop or the idle limit.
    func loop() async {
        while !stop.isStopRequested {
            let claim: QueueClaim?
            do {
                claim = try queueClock.measure { try database.claimJob(worker: worker, lease: options.lease) }
            } catch {
                events(.storeUnavailable("\(error)"))
                _ = await stop.sleep(for: options.pollInterval)
                continue
            }
            guard let claim else {
                if let idleExit = options.idleExit, await slots.idle(for: idleExit) { return }
                await waitForWork()
                continue
            }
            await slots.begin()
            events(.claimed(runID: claim.job.runID, accountID: claim.job.accountID))
            let outcome = await execute(claim)
            await slots.end(outcome)
        }
    }

    /// Until the store says a job may be claimable (PostgreSQL's `NOTIFY`), the poll
    /// interval passed (SQLite, or a notification lost with its connection) or a stop.
    private func waitForWork() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [database, options] in await database.waitForWork(timeout: options.pollInterval) }
            group.addTask { [stop] in await stop.waitUntilStopped() }
            await group.next()
            group.cancelAll()
        }
    }

    enum Outcome: Sendable, Equatable {
        case finished(JobStatus)
        case givenBack
        case lost
    }

    /// Runs one claimed job under its lease.
    private func execute(_ claim: QueueClaim) async -> Outcome {
        let job = claim.job
        let prepared: RunScheduler.PreparedJob
        let survivors: [String: RecordedTerraform]
        let renderer: WorkspaceRenderer
        do {
            guard let account = try database.account(id: job.accountID) else {
                throw OnboardingFailure(.failure, "account \(job.accountID) is no longer in the inventory")
            }
            let template = try await templates.template(runID: job.runID, name: job.template)
            renderer = try await renderers.renderer(runID: job.runID)
            let rendering = renderer.rendering(accountID: account.accountID, template: template,
                                               variables: TemplateVariables.values(for: account))
            prepared = RunScheduler.PreparedJob(record: job, account: account, rendering: rendering)
            survivors = try database.recordedTerraformPIDs(accountIDs: [job.accountID])
        } catch {
            let result = JobResult(status: .failed, error: "\(error)")
            let recorded = (try? database.finishClaimedJob(claim, result: result, lastAttempt: nil, started: false,
                                                           terraformExited: false, logTail: nil, logHost: nil)) ?? false
            return recorded ? .finished(.failed) : .lost
        }

        // The job's own stop: the run's cancel, a lost lease or this worker's stop end it.
        let jobStop = StopController()
        let state = ClaimBox()
        let grace = options.gracePeriod
        let queueClock = self.queueClock
        let heartbeat = Task { [database, options] in
            let interval = options.lease / 3
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { return }
                switch try? queueClock.measure({ try database.renewLease(claim, lease: options.lease) }) {
                case .held?, nil:
                    // nil: the store was busy; the lease has two more beats to go.
                    break
                case .cancelled?:
                    if state.withLock({ state in defer { state.cancelled = true }; return !state.cancelled }) {
                        _ = jobStop.beginGracefulStop(grace: grace)
                    }
                case .lost?:
                    state.withLock { $0.lost = true }
                    _ = jobStop.beginGracefulStop(grace: grace)
                    return
                }
            }
        }
        let watcher = Task { [stop] in
            await stop.waitUntilStopped()
            guard !Task.isCancelled else { return }
            state.withLock { $0.shuttingDown = true }
            _ = jobStop.beginGracefulStop(grace: grace)
        }
        defer {
            heartbeat.cancel()
            watcher.cancel()
        }

        let database = self.database
        let worker = self.worker
        let context = JobContext(
            runID: job.runID, database: database, layout: layout, runner: runner, renderer: renderer,
            options: OnboardingOptions(parallel: 1, maxAttempts: claim.maxAttempts, force: true,
                                       retryBaseDelay: options.retryBaseDelay,
                                       terraformDebugLog: options.terraformDebugLog, survivorTimeout: options.survivorTimeout),
            stop: jobStop, gate: gate, events: { [events] in events(.job($0)) }, survivors: survivors, adoption: nil,
            recordFinish: { finished in
                let now = state.withLock { $0 }
                if now.lost {
                    return
                }
                if finished.result.status == .interrupted, now.shuttingDown, !now.cancelled {
                    let given = (try? queueClock.measure { try database.releaseClaim(
                        claim, reason: "interrupted: worker \(worker) was stopped; the job went back to the queue",
                        terraformExited: true) }) ?? false
                    state.withLock { $0.outcome = given ? .givenBack : .lost }
                    return
                }
                let tail = LogTail.read(path: finished.logPath)
                for _ in 1...3 {
                    do {
                        let held = try queueClock.measure {
                            try database.finishClaimedJob(
                                claim, result: finished.result, lastAttempt: finished.lastAttempt, started: finished.started,
                                terraformExited: true, logTail: tail, logHost: ProcessProbe.hostName)
                        }
                        state.withLock { $0.outcome = held ? .finished(finished.result.status) : .lost }
                        return
                    } catch {
                        continue
                    }
                }
            },
            stateLock: StateLockGuard.forClaim(claim, location: renderer.backend.location, session: aws, database: database))
        let summary = await context.execute(prepared)
        let final = state.withLock { $0 }
        if final.outcome == nil, final.lost {
            events(.leaseLost(accountID: job.accountID))
            return .lost
        }
        switch final.outcome {
        case .givenBack?:
            events(.givenBack(accountID: job.accountID))
            return .givenBack
        case .lost?:
            events(.leaseLost(accountID: job.accountID))
            return .lost
        case .finished(let status)?:
            events(.job(.jobFinished(summary)))
            return .finished(status)
        case nil:
            // Ended without a recorded result: skipped (a destroy with no state).
            try? database.settleClaim(claim)
            events(.job(.jobFinished(summary)))
            return .finished(summary.status)
        }
    }

    private final class ClaimBox: Sendable {
        private let state = Mutex(ClaimState())

        func withLock<T: Sendable>(_ body: (inout ClaimState) -> T) -> T {
            state.withLock { value in body(&value) }
        }
    }

    private struct ClaimState: Sendable {
        var cancelled = false
        var lost = false
        var shuttingDown = false
        var outcome: Outcome?
    }
}

/// Adds up the time spent in the queue's store operations.
private final class QueueClock: Sendable {
    private let sum = Mutex<Duration>(.zero)

    var total: Duration { sum.withLock { $0 } }

    func measure<T>(_ body: () throws -> T) rethrows -> T {
        let clock = ContinuousClock()
        let start = clock.now
        defer {
            let elapsed = clock.now - start
            sum.withLock { $0 += elapsed }
        }
        return try body()
    }
}

/// The worker's slots: how many are busy and since when all were idle (for
/// `--idle-exit`), and what they did.
private actor Slots {
    private var busy = 0
    private var idleSince = ContinuousClock.now
    private(set) var report: FleetWorker.Report

    init(worker: String) {
        report = FleetWorker.Report(worker: worker)
    }

    func begin() {
        busy += 1
    }

    func end(_ outcome: Shared.Outcome) {
        busy -= 1
        if busy == 0 { idleSince = .now }
        switch outcome {
        case .finished(let status): report.finished[status, default: 0] += 1
        case .givenBack: report.givenBack += 1
        case .lost: report.lost += 1
        }
    }

    /// Whether every slot has had nothing to do for `duration`.
    func idle(for duration: Duration) -> Bool {
        busy == 0 && ContinuousClock.now - idleSince >= duration
    }
}

/// The renderer of each run this worker works on, with the state location recorded in
/// the store when the run's first job is claimed here, not when the worker started: a
/// worker started before the team's first `apply --enqueue --state s3://…` must not
/// keep that run's state in its own home. The location cannot change during a run
/// (`state migrate` needs the run lock), so once per run is enough.
private actor RendererCache {
    let database: any InventoryStore
    let layout: HomeLayout
    let version: TerraformVersion
    let executable: String
    let environment: [String: String]
    private var loaded: [String: WorkspaceRenderer] = [:]

    init(database: any InventoryStore, layout: HomeLayout, version: TerraformVersion, executable: String,
         environment: [String: String]) {
        self.database = database
        self.layout = layout
        self.version = version
        self.executable = executable
        self.environment = environment
    }

    func renderer(runID: String) throws -> WorkspaceRenderer {
        if let renderer = loaded[runID] { return renderer }
        let state = try StateSetting.current(database: database)
        if state.isS3, version < .s3LockFile {
            throw OnboardingFailure(.failure, "\(TerraformError.tooOldForS3State(executable, version: version.description))")
        }
        let renderer = WorkspaceRenderer(layout: layout, terraformVersion: version.description,
                                         backend: StateBackend(location: state, environment: environment))
        loaded[runID] = renderer
        return renderer
    }
}

/// The templates of the runs this worker works on, read from the store once per run.
private actor TemplateCache {
    let database: any InventoryStore
    private var loaded: [String: [String: TerraformTemplate]] = [:]

    init(database: any InventoryStore) {
        self.database = database
    }

    func template(runID: String, name: String) throws -> TerraformTemplate {
        if loaded[runID] == nil {
            var templates: [String: TerraformTemplate] = [:]
            for stored in try database.runTemplates(runID: runID) {
                templates[stored.name] = try TerraformTemplate.restore(
                    name: stored.name, files: stored.files.map { TerraformTemplate.File(path: $0.path, contents: $0.contents) },
                    hash: stored.hash)
            }
            loaded[runID] = templates
        }
        guard let template = loaded[runID]?[name] else {
            throw OnboardingFailure(.failure, "run \(runID) has no stored template \(name); it was not enqueued by apply --enqueue")
        }
        return template
    }
}

/// The end of a job's log, stored with the job so that `logs` shows it on any machine.
enum LogTail {
    static let limit = 64 * 1024

    /// The last `limit` bytes of the file, starting at a line when the file is longer.
    static func read(path: String, limit: Int = limit) -> [UInt8]? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd() else { return nil }
        let start = size > UInt64(limit) ? size - UInt64(limit) : 0
        guard (try? handle.seek(toOffset: start)) != nil, let data = try? handle.readToEnd() else { return nil }
        var bytes = [UInt8](data)
        if start > 0, let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) {
            bytes.removeSubrange(...newline)
        }
        return bytes
    }
}
