import FleetformBasics
import Foundation
import Inventory
import Onboarding

/// What apply, plan, retry and destroy share on the command line: progress on screen,
/// Ctrl-C wired to a clean stop, the summary, and the exit code. The run itself is
/// `FleetRun`'s.
struct RunDriver {
    var global: GlobalOptions

    /// - Parameter json: print the run's result as one JSON document on stdout, and
    ///   progress and the summary on stderr.
    /// - Parameter notifier: where the same document goes at the end of a run; not used
    ///   when the run started nothing (every account up to date), so an hourly schedule
    ///   with nothing new stays quiet in the channel.
    func execute(_ request: FleetRun.Request, detailedExitCode: Bool = false, json: Bool = false,
                 notifier: RunNotifier? = nil) async throws {
        var request = request
        request.state = try global.stateRequest()
        let database = try global.openDatabase()
        let terminal = global.terminal()
        let stop = StopController()
        let progress = ProgressPrinter(terminal: terminal, isTTY: isatty(json ? STDERR_FILENO : STDOUT_FILENO) == 1,
                                       toStandardError: json)
        let interrupts = InterruptHandler(stop: stop, grace: request.settings.gracePeriod) { signalled in
            progress.noteStopping(signalled: signalled)
        }
        defer { interrupts.cancel() }

        let result: FleetRun.Result
        do {
            result = try await FleetRun(home: global.resolvedHome, database: database)
                .execute(request, stop: stop, events: { progress.handle($0) })
        } catch {
            throw CommandFailure(error)
        }
        let report: RunReport
        switch result {
        case .finished(let finished):
            report = finished
        case .akeylessSynced(let synced):
            progress.finish()
            let document = RunResultJSON.document(akeylessOnly: synced, command: request.command)
            if json {
                StandardStreams.writeErrorText(AkeylessSyncText.summary(synced, terminal: terminal))
                StandardStreams.write(JSONOutput.render(document))
            } else {
                StandardStreams.write(AkeylessSyncText.summary(synced, terminal: terminal))
            }
            await notify(notifier, document, text: RunNotificationText.render(akeylessOnly: synced, command: request.command))
            if stop.isStopRequested { throw CommandFailure(exitCode: ExitStatus.interrupted, lines: []) }
            if synced.failed > 0 { throw CommandFailure(exitCode: ExitStatus.failure, lines: []) }
            return
        case .nothingToDo:
            let text = request.command == .retry
                ? "Nothing to retry: no account's latest job failed or was interrupted.\n" : "Nothing to do.\n"
            if json {
                StandardStreams.writeErrorText(text)
                StandardStreams.write(RunResultJSON.nothingToDo(request.command))
            } else {
                StandardStreams.write(text)
            }
            return
        }
        progress.finish()
        var summary = RunSummaryText.render(report, terminal: terminal)
        if let akeyless = report.akeyless { summary += AkeylessSyncText.summary(akeyless, terminal: terminal) }
        let document = RunResultJSON.document(report)
        if json {
            StandardStreams.writeErrorText(summary)
            StandardStreams.write(JSONOutput.render(document))
        } else {
            StandardStreams.write(summary)
        }
        if !report.startedNothing { await notify(notifier, document, text: RunNotificationText.render(report)) }
        if report.outcome == .succeeded, let akeyless = report.akeyless, akeyless.failed > 0 {
            throw CommandFailure(exitCode: ExitStatus.failure, lines: [])
        }
        switch report.outcome {
        case .interrupted: throw CommandFailure(exitCode: ExitStatus.interrupted, lines: [])
        case .failed: throw CommandFailure(exitCode: ExitStatus.failure, lines: [])
        case .succeeded:
            if detailedExitCode, report.hasChanges { throw CommandFailure(exitCode: ExitStatus.planHasChanges, lines: []) }
        }
    }

    /// Posts the result; a destination that did not take it is a warning on stderr,
    /// never a change of the exit code.
    private func notify(_ notifier: RunNotifier?, _ document: JSONObject, text: String) async {
        guard let notifier else { return }
        let failures = await notifier.deliver(document, text: text)
        if !failures.isEmpty { StandardStreams.writeError(failures.map { "fleetform: \($0)" }) }
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
