import FleetformBasics
import Foundation
import Inventory
import Onboarding
import Synchronization

/// Shows a run's progress. On a terminal: one line, rewritten in place, with done /
/// failed / running / left, elapsed time and an ETA, and nothing from terraform
/// interleaved. Elsewhere (a pipe, CI): one line per finished account.
final class ProgressPrinter: Sendable {
    private struct State {
        var command = ""
        var total = 0
        var done = 0
        var failed = 0
        var running = 0
        var started = ContinuousClock.now
        var lineShown = false
        var finished = false
    }

    private let terminal: Terminal
    private let isTTY: Bool
    /// Whether progress goes to stderr, leaving stdout to a `--json` document.
    private let toStandardError: Bool
    private let state = Mutex(State())

    init(terminal: Terminal, isTTY: Bool, toStandardError: Bool = false) {
        self.terminal = terminal
        self.isTTY = isTTY
        self.toStandardError = toStandardError
        if isTTY {
            // Refresh elapsed time and ETA while terraform runs quietly.
            Task.detached { [weak self] in
                while let self, !self.isFinished {
                    try? await Task.sleep(for: .seconds(1))
                    self.redraw()
                }
            }
        }
    }

    private var isFinished: Bool { state.withLock { $0.finished } }

    func handle(_ event: OnboardingEvent) {
        switch event {
        case .inventoryDiscovered(let result):
            print(DiscoveryText.line(result))
        case .runStarted(let runID, let command, let selected, let toRun, let upToDate, let parallel):
            state.withLock { state in
                state.command = command.rawValue
                state.total = toRun
                state.started = .now
            }
            var line = "\(command.rawValue) \(runID): \(selected) selected, \(toRun) to run"
            if upToDate > 0 { line += ", \(upToDate) up to date or with nothing to do" }
            // 0: queued (`--enqueue`), run by workers.
            line += parallel > 0 ? ", \(parallel) at a time" : ", queued for `fleetform worker` (Ctrl-C cancels the run)"
            print(line)
        case .canaryChosen(let accounts, let others):
            print(Self.canaryHeader(accounts, others: others))
        case .canaryFinished(let failed, let others):
            if failed.isEmpty {
                print("canary succeeded: starting the other \(others) \(others == 1 ? "account" : "accounts")")
            } else {
                state.withLock { $0.total -= others }
                print("canary failed: \(failed.joined(separator: ", ")); the other \(others) \(others == 1 ? "account is" : "accounts are") skipped")
            }
        case .preflightChecked(let checked, let failed):
            state.withLock { $0.total -= failed }
            print("preflight: assumed the access role in \(checked - failed) of \(checked) accounts" + (failed > 0 ? "; \(failed) failed" : ""))
        case .preflightSkipped(let accounts, let template):
            print("preflight: skipped for \(accounts) \(accounts == 1 ? "account" : "accounts"): the template \(template) declares no access_role_name variable, so no access role is assumed")
        case .jobStarted(_, let attempt):
            if attempt == 1 { state.withLock { $0.running += 1 } }
            redraw()
        case .attemptFailed(let accountID, let attempt, let error, let delay):
            if !isTTY {
                print("retry    \(accountID)  attempt \(attempt) failed, retrying in \(Self.format(delay)): \(error)")
            }
        case .waitingForSurvivor(let accountID, let pid):
            print("wait     \(accountID)  terraform pid \(pid) from an earlier run is still working on this account")
        case .staleStateLockReleased(let accountID, let lockID, let who):
            print("unlock   \(accountID)  released the stale state lock \(lockID) of \(UnsafeText.escaped(who)) (its worker's lease ran out)")
        case .jobFinished(let job):
            let wasStarted = job.attempts > 0
            state.withLock { state in
                if wasStarted {
                    state.running -= 1
                    state.done += 1
                    if job.status == .failed { state.failed += 1 }
                }
            }
            if !isTTY && (wasStarted || job.status != .skipped) || (!wasStarted && job.status == .failed) {
                print(Self.line(for: job))
            } else {
                redraw()
            }
        case .toleranceExceeded(let failed, let allowed):
            print("\(failed) accounts failed, more than the tolerance of \(allowed): no new accounts will start")
        case .notice(let notice):
            clearLine()
            StandardStreams.writeError(["fleetform: \(notice)"])
            redraw()
        case .runFinished:
            break
        case .akeylessSyncStarted(let accounts):
            state.withLock { $0.finished = true }
            print("akeyless sync: \(accounts) \(accounts == 1 ? "account" : "accounts")")
        case .akeylessAccountSynced(let outcome):
            // On a terminal only what needs attention; the summary counts the rest.
            if !isTTY || !outcome.outcome.isSuccess { print(AkeylessSyncText.line(for: outcome)) }
        case .akeylessSyncFinished:
            break
        }
    }

    func noteStopping(signalled: Int) {
        print("Stopping: no new accounts will start; asked \(signalled) running terraform to stop (Ctrl-C again to kill them).")
    }

    func finish() {
        state.withLock { $0.finished = true }
        clearLine()
    }

    /// The line under the run's first that names the canary, each account with its OU:
    /// `canary: 2 accounts first: 210987654321 (Root/Workloads/Prod), …; the other 8 start
    /// only if both succeed`.
    static func canaryHeader(_ accounts: [AccountRecord], others: Int) -> String {
        let list = accounts.map { "\($0.accountID) (\(UnsafeText.escaped($0.ouPath)))" }.joined(separator: ", ")
        let count = accounts.count
        guard others > 0 else {
            return "canary: all \(count) \(count == 1 ? "account" : "accounts") to run: \(list)"
        }
        let noun = count == 1 ? "account" : "accounts"
        let all = count == 1 ? "it succeeds" : count == 2 ? "both succeed" : "all \(count) succeed"
        return "canary: \(count) \(noun) first: \(list); the other \(others) start only if \(all)"
    }

    /// One finished account, for logs and pipes.
    static func line(for job: JobSummary) -> String {
        let status = job.status.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)
        var line = "\(status) \(job.accountID)  \(UnsafeText.escaped(job.accountName))"
        if let changes = job.changes, job.operation == .plan {
            line += "  " + Self.format(changes)
            if !job.adopted.isEmpty { line += "  would adopt \(job.adopted.joined(separator: ", "))" }
        } else if let arn = job.roleARN {
            line += "  \(arn)"
            if !job.adopted.isEmpty { line += "  adopted \(job.adopted.joined(separator: ", "))" }
        }
        if let error = job.error { line += "  \(UnsafeText.escaped(error))" }
        if let reason = job.skipReason { line += "  (\(reason))" }
        return line
    }

    // MARK: Drawing

    private func print(_ line: String) {
        clearLine()
        write(line + "\n")
        redraw()
    }

    private func redraw() {
        guard isTTY else { return }
        let text = state.withLock { state -> String? in
            guard !state.finished, state.total > 0 else { return nil }
            state.lineShown = true
            let elapsed = ContinuousClock.now - state.started
            let left = state.total - state.done - state.running
            var line = "\(state.command): \(state.done)/\(state.total) done, \(state.failed) failed, \(state.running) running, \(left) left · \(Self.format(elapsed))"
            if state.done > 0, state.done < state.total {
                let perJob = elapsed / state.done
                line += " · ETA \(Self.format(perJob * (state.total - state.done)))"
            }
            return line
        }
        guard let text else { return }
        write("\r\u{1B}[K" + String(text.prefix(terminal.width - 1)))
    }

    private func clearLine() {
        let shown = state.withLock { state -> Bool in
            defer { state.lineShown = false }
            return state.lineShown
        }
        if isTTY && shown { write("\r\u{1B}[K") }
    }

    private func write(_ text: String) {
        if toStandardError { StandardStreams.writeErrorText(text) } else { StandardStreams.write(text) }
    }

    static func format(_ changes: PlanChanges) -> String {
        changes.summary
    }

    /// `3.14`: seconds with two decimals, for the lines that report what a command cost.
    static func seconds(_ duration: Duration) -> String {
        let (whole, atto) = duration.components
        return String(format: "%.2f", Double(whole) + Double(atto) / 1e18)
    }

    static func format(_ duration: Duration) -> String {
        let seconds = Int(duration.components.seconds)
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m\(String(format: "%02d", seconds % 60))s" }
        return "\(seconds / 3600)h\(String(format: "%02d", seconds / 60 % 60))m"
    }
}

/// The end of a run: counts, then every failed or interrupted account with its first
/// error on one line and the path of its full log.
enum RunSummaryText {
    static func render(_ report: RunReport, terminal: Terminal) -> String {
        var out = ""
        let counts = [JobStatus.succeeded, .failed, .interrupted, .skipped].compactMap { status -> String? in
            let count = report.count(status)
            guard count > 0 else { return nil }
            return terminal.paint("\(count) \(status.rawValue)", StatusTable.color(of: OnboardingStatus(status)))
        }
        out += "\(report.command.rawValue) \(report.runID) \(report.outcome.rawValue) in \(ProgressPrinter.format(report.elapsed)): \(counts.joined(separator: ", "))\n"

        if report.command == .plan {
            let planned = report.jobs.filter { $0.status == .succeeded }
            let total = planned.reduce(PlanChanges.none) { $0 + ($1.changes ?? .none) }
            let withChanges = planned.filter { $0.changes?.hasChanges == true }
            if !withChanges.isEmpty {
                var table = TextTable(columns: [.init(header: "ACCOUNT"), .init(header: "NAME", flexible: true), .init(header: "PLAN")])
                for job in withChanges {
                    table.append([job.accountID, job.accountName, ProgressPrinter.format(job.changes ?? .none)])
                }
                out += table.render(width: terminal.width, terminal: terminal)
            }
            out += "plan total: \(ProgressPrinter.format(total)) in \(withChanges.count) of \(planned.count) accounts\n"
        }

        let problems = report.jobs.filter { $0.status == .failed || $0.status == .interrupted }
        if !problems.isEmpty {
            let noun = problems.count == 1 ? "account" : "accounts"
            out += "\n" + terminal.paint("\(problems.count) \(noun) did not finish:", .red) + "\n"
            for job in problems {
                let head = "\(job.accountID)  \(UnsafeText.escaped(job.accountName))  \(job.status.rawValue): "
                let room = max(terminal.width - head.count, 20)
                out += head + TextTable.fit(UnsafeText.escaped(job.error ?? "no error message"), width: room, keep: .start) + "\n"
                if let log = job.logPath, FileManager.default.fileExists(atPath: log) {
                    out += "    log: \(log)\n"
                }
            }
            out += "Run `fleetform retry` to run them again.\n"
        }
        // `retry` takes failed and interrupted accounts only: the ones a failed canary or
        // the tolerance held back need the run's own command again.
        let heldBack = report.jobs.filter { $0.status == .skipped && $0.skipReason?.failsTheRun == true }
        if let reason = heldBack.first?.skipReason {
            let noun = heldBack.count == 1 ? "account was" : "accounts were"
            out += "\(heldBack.count) \(noun) not started (\(reason)); run `fleetform \(report.command.rawValue)` "
                + "again once the failures are fixed (accounts already done are up to date and skipped).\n"
        }
        return out
    }
}
