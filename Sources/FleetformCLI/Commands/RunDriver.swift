import AWSClient
import Foundation
import Inventory
import Onboarding
import Terraform

/// What apply, plan, retry and destroy share: open the inventory, check terraform and
/// the template, run the scheduler with progress on screen and Ctrl-C wired to a clean
/// stop, then print the summary and choose the exit code.
struct RunDriver {
    var global: GlobalOptions
    var runOptions: RunOptions

    /// Runs `command`; `jobs` picks the jobs once the database is open. Returns nil when
    /// there was nothing to do.
    func execute(
        _ command: RunCommand, force: Bool = false, detailedExitCode: Bool = false, allowTemplateSwitch: Bool = true,
        jobs makeJobs: (InventoryDatabase) throws -> [PlannedJob]
    ) async throws {
        let environment = ProcessInfo.processInfo.environment
        let database = try global.openDatabase()
        let home = global.resolvedHome
        let layout = HomeLayout(home: home.url)
        let lock: RunLock
        do {
            lock = try database.acquireRunLock(home: home.url)
        } catch let busy as RunInProgress {
            throw CommandFailure(exitCode: ExitStatus.failure, "\(busy)")
        } catch let busy as RunLockHeld {
            throw CommandFailure(exitCode: ExitStatus.failure, "\(busy)")
        }
        try reportRecoveredRuns(database)
        if let kind = home.networkFileSystem() {
            StandardStreams.writeError([
                "fleetform: warning: the home \(home.url.path) is on a network file system (\(kind)); a home must not be shared between machines, and its locks may not hold there",
            ])
        }

        let jobs: [PlannedJob]
        do {
            jobs = try makeJobs(database)
        } catch let error as SelectionError {
            throw CommandFailure(exitCode: ExitStatus.usage, "\(error)")
        }
        guard !jobs.isEmpty else {
            StandardStreams.write(command == .retry ? "Nothing to retry: no account's latest job failed or was interrupted.\n"
                                                    : "Nothing to do.\n")
            return
        }
        if !allowTemplateSwitch {
            let switches = try RunPreparation.templateSwitches(jobs, database: database)
            if let first = switches.first {
                throw CommandFailure(
                    exitCode: ExitStatus.usage,
                    "\(switches.count) selected accounts (\(first.job.accountID) first) were applied with the template \(first.applied); pass --template \(first.applied), or --switch-template to replace it")
            }
        }
        // Refuse a broken template before anything runs or is recorded.
        var assumesAccessRole = false
        for name in Set(jobs.map(\.template)) {
            do {
                assumesAccessRole = try TemplateCatalog.load(name).declaredVariables.contains("access_role_name")
                    || assumesAccessRole
            } catch .notADirectory(let path) {
                throw CommandFailure(exitCode: ExitStatus.noInput, "--template \(path): no such directory")
            } catch {
                throw CommandFailure(exitCode: ExitStatus.invalidData, "\(error)")
            }
        }

        let terraform: (runner: TerraformRunner, version: TerraformVersion)
        do {
            terraform = try await RunPreparation.terraformRunner(
                explicitPath: runOptions.terraform, layout: layout, environment: environment,
                debugLog: runOptions.terraformLog, gracePeriod: .seconds(runOptions.gracePeriod))
        } catch {
            throw CommandFailure(exitCode: ExitStatus.failure, "\(error)")
        }

        let decision = ParallelismPolicy.decide(
            requested: runOptions.parallel, cores: ProcessInfo.processInfo.activeProcessorCount,
            availableMemory: ParallelismPolicy.availableMemory())
        if let notice = decision.notice {
            StandardStreams.writeError(["fleetform: \(notice)"])
        }

        let scheduler = RunScheduler(database: database, layout: layout, runner: terraform.runner,
                                     terraformVersion: terraform.version.description)
        let stop = StopController()
        let terminal = global.terminal()
        let progress = ProgressPrinter(terminal: terminal, isTTY: isatty(STDOUT_FILENO) == 1)
        let interrupts = InterruptHandler(stop: stop, grace: .seconds(runOptions.gracePeriod)) { signalled in
            progress.noteStopping(signalled: signalled)
        }
        defer { interrupts.cancel() }

        var preflight: (@Sendable ([AccountRecord]) async -> [String: String])?
        if !runOptions.skipPreflight, assumesAccessRole {
            // One missing credential is one error, not a failure recorded in every account.
            let session = try AWSSessions.make()
            do {
                _ = try await session.credentials()
            } catch {
                throw CommandFailure(exitCode: ExitStatus.failure,
                                     "preflight: \(error) (or pass --skip-preflight to let terraform find credentials itself)")
            }
            let check = AccessPreflight(session: session)
            preflight = { accounts in await check.failures(accounts) }
        }

        let report: RunReport
        do {
            report = try await scheduler.run(
                RunRequest(command: command, jobs: jobs,
                           options: runOptions.onboardingOptions(parallel: decision.parallel, force: force),
                           preflight: preflight, preflightWanted: !runOptions.skipPreflight),
                lock: lock,
                stop: stop,
                events: { progress.handle($0) })
        } catch let busy as RunInProgress {
            throw CommandFailure(exitCode: ExitStatus.failure, "\(busy)")
        }
        progress.finish()
        StandardStreams.write(RunSummaryText.render(report, terminal: terminal))

        switch report.outcome {
        case .interrupted:
            throw CommandFailure(exitCode: ExitStatus.interrupted, lines: [])
        case .failed:
            throw CommandFailure(exitCode: ExitStatus.failure, lines: [])
        case .succeeded:
            if detailedExitCode, report.jobs.contains(where: { ($0.changes?.add ?? 0) + ($0.changes?.change ?? 0) + ($0.changes?.remove ?? 0) > 0 }) {
                throw CommandFailure(exitCode: 2, lines: [])
            }
        }
    }

    private func reportRecoveredRuns(_ database: InventoryDatabase) throws {
        // This process holds the run lock: every run still open was cut off.
        for run in try database.recoverAbandonedRuns(isAlive: RunOwnership.aliveForLockHolder) {
            StandardStreams.writeError([
                "fleetform: run \(run.runID) was cut off (its fleetform process is gone); \(run.interruptedJobs) unfinished jobs are now interrupted and `fleetform retry` will run them",
            ])
        }
    }
}

/// Turns SIGINT and SIGTERM into a clean stop: the first asks running terraform to stop
/// and kills what is left after the grace period; the second kills at once.
final class InterruptHandler: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "fleetform.signals")
    private var count = 0

    init(stop: StopController, grace: Duration, onFirst: @escaping @Sendable (Int) -> Void) {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [unowned self] in
                count += 1
                if count == 1 {
                    onFirst(stop.beginGracefulStop(grace: grace))
                } else {
                    stop.killRunning()
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    func cancel() {
        queue.sync {
            sources.forEach { $0.cancel() }
        }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
