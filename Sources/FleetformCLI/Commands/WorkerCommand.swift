import ArgumentParser
import FleetformBasics
import Foundation
import Inventory
import Onboarding

/// `fleetform worker [--parallel N] [--idle-exit SECONDS]`: runs the jobs of queued runs.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run the jobs of runs queued with --enqueue, on this machine, until stopped.",
        discussion: """
            Claims pending jobs under a lease renewed while terraform runs, renders each workspace in this \
            home from the template stored with the run, and records the result. A worker that dies gives its \
            jobs back when their lease runs out. Ctrl-C or SIGTERM stops its terraform (SIGINT, then SIGKILL \
            after --grace-period) and gives the jobs back to the queue.
            """
    )

    @Option(help: ArgumentHelp(
        "Terraform processes at once (default: 2 per core, lowered to what memory holds).", valueName: "n"))
    var parallel: Int?

    @Option(help: ArgumentHelp("Exit 0 after this many seconds with nothing to claim (default: wait for work).",
                               valueName: "seconds"))
    var idleExit: Double?

    @Option(help: ArgumentHelp("The terraform binary (default: terraform on PATH).", valueName: "path"))
    var terraform: String?

    @Option(help: ArgumentHelp("Seconds a stopped terraform gets to save its state before it is killed.", valueName: "seconds"))
    var gracePeriod = 60

    @Option(help: ArgumentHelp(
        "Seconds to wait for a terraform that a killed worker or fleetform left running on an account.", valueName: "seconds"))
    var survivorTimeout = 600

    @Flag(help: "Pass TF_LOG and friends to terraform (blanked by default: they flood the logs).")
    var terraformLog = false

    /// For tests and benchmarks: a short lease makes a killed worker's jobs come back quickly.
    @Option(help: .hidden) var leaseSeconds: Double?
    @Option(help: .hidden) var pollMilliseconds: Int?
    @Option(help: .hidden) var retryBaseSeconds: Double?

    @OptionGroup(title: "Global options") var global: GlobalOptions

    func validate() throws {
        if let parallel, parallel < 1 { throw ValidationError("--parallel \(parallel): must be at least 1") }
        if let idleExit, idleExit < 0 { throw ValidationError("--idle-exit \(idleExit): must not be negative") }
        if gracePeriod < 0 { throw ValidationError("--grace-period \(gracePeriod): must not be negative") }
        if survivorTimeout < 0 { throw ValidationError("--survivor-timeout \(survivorTimeout): must not be negative") }
        if let leaseSeconds, leaseSeconds < 0.3 { throw ValidationError("--lease-seconds \(leaseSeconds): must be at least 0.3") }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let database = try global.openDatabase()
        let decision = ParallelismPolicy.decide(
            requested: parallel, cores: ProcessInfo.processInfo.activeProcessorCount,
            availableMemory: ParallelismPolicy.availableMemory())
        if let notice = decision.notice { StandardStreams.writeError(["fleetform: \(notice)"]) }
        let lease = leaseSeconds ?? environment["FLEETFORM_WORKER_LEASE_SECONDS"].flatMap(Double.init)
        var options = FleetWorker.Options(
            parallel: decision.parallel, idleExit: idleExit.map { .milliseconds(Int64($0 * 1000)) }, terraformPath: terraform,
            gracePeriod: .seconds(gracePeriod), survivorTimeout: .seconds(survivorTimeout), terraformDebugLog: terraformLog)
        if let lease { options.lease = .milliseconds(Int64(lease * 1000)) }
        if let pollMilliseconds { options.pollInterval = .milliseconds(pollMilliseconds) }
        if let retryBaseSeconds { options.retryBaseDelay = .milliseconds(Int64(retryBaseSeconds * 1000)) }

        let stop = StopController()
        let interrupts = InterruptHandler(stop: stop, grace: .seconds(gracePeriod)) { _ in
            StandardStreams.writeError(["fleetform: worker stopping: running jobs go back to the queue"])
        }
        defer { interrupts.cancel() }
        let report: FleetWorker.Report
        do {
            report = try await FleetWorker(home: global.resolvedHome, database: database, environment: environment)
                .run(options, stop: stop, events: WorkerText.print)
        } catch {
            throw CommandFailure(error)
        }
        StandardStreams.writeError([WorkerText.summary(report)])
        if stop.isStopRequested { throw CommandFailure(exitCode: ExitStatus.interrupted, lines: []) }
    }
}

/// `--enqueue`, shared by apply, plan, retry and destroy.
struct EnqueueOption: ParsableArguments {
    @Flag(help: ArgumentHelp(
        "Queue the run's jobs for `fleetform worker` processes instead of running terraform here, and follow the run.",
        discussion: "Ctrl-C cancels the run: workers stop its jobs, which end interrupted."))
    var enqueue = false
}

extension FleetRun.Request {
    func enqueued(_ flag: EnqueueOption) -> Self {
        var request = self
        request.enqueue = flag.enqueue
        return request
    }
}

/// What a worker prints: one line per job it finished (as a run prints in a pipe) and
/// what else happened to its jobs, on stdout; its summary on stderr.
enum WorkerText {
    @Sendable static func print(_ event: FleetWorker.Event) {
        switch event {
        case .ready(let worker, let parallel, let lease):
            write("worker \(worker): waiting for jobs (\(parallel) at a time, lease \(lease.components.seconds) s)")
        case .claimed:
            break
        case .storeUnavailable(let reason):
            StandardStreams.writeError(["fleetform: the store is unavailable, trying again: \(reason)"])
        case .leaseLost(let accountID):
            write("lost        \(accountID)  the lease ran out and the job went to another worker; nothing recorded")
        case .givenBack(let accountID):
            write("given back  \(accountID)  this worker stopped; the job went back to the queue")
        case .job(.jobFinished(let job)):
            write(ProgressPrinter.line(for: job))
        case .job(.attemptFailed(let accountID, let attempt, let error, let delay)):
            write("retry    \(accountID)  attempt \(attempt) failed, retrying in \(delay.components.seconds) s: \(UnsafeText.escaped(error))")
        case .job(.waitingForSurvivor(let accountID, let pid)):
            write("wait     \(accountID)  terraform pid \(pid) of an earlier worker is still working on this account")
        case .job(.staleStateLockReleased(let accountID, let lockID, let who)):
            write("unlock   \(accountID)  released the stale state lock \(lockID) of \(UnsafeText.escaped(who)) (its worker's lease ran out)")
        case .job:
            break
        }
    }

    static func summary(_ report: FleetWorker.Report) -> String {
        let counts = JobStatus.allCases.compactMap { status in report.finished[status].map { "\($0) \(status.rawValue)" } }
        var line = "worker \(report.worker): \(report.jobs) jobs"
        if !counts.isEmpty { line += " (\(counts.joined(separator: ", ")))" }
        if report.givenBack > 0 { line += ", \(report.givenBack) given back" }
        if report.lost > 0 { line += ", \(report.lost) lost with their lease" }
        line += "; \(report.roundTrips) store round trips"
        if report.jobs > 0 {
            let milliseconds = Double(report.queueTime.components.seconds) * 1000
                + Double(report.queueTime.components.attoseconds) / 1e15
            line += String(format: " (%.1f per job); queue operations %.2f ms per job",
                           Double(report.roundTrips) / Double(report.jobs), milliseconds / Double(report.jobs))
        }
        return line
    }

    private static func write(_ line: String) {
        StandardStreams.write(line + "\n")
    }
}
