import FleetformBasics
import Onboarding

/// How an Akeyless sync reads: one line per account as it ends, then one summary line
/// with what it cost, and the failed accounts again at the end where they are seen.
enum AkeylessSyncText {
    static func line(for account: AkeylessSync.AccountOutcome) -> String {
        let head = { (status: String) in
            "\(status.padding(toLength: 11, withPad: " ", startingAt: 0)) \(account.accountID)  \(UnsafeText.escaped(account.name))"
        }
        switch account.outcome {
        case .synced(let target, let binding, let accessID):
            return head("synced") + "  \(account.target): target \(target.rawValue), binding \(binding.rawValue), access id \(accessID)"
        case .failed(let error):
            return head("failed") + "  \(UnsafeText.escaped(error))"
        case .notStarted(let reason):
            return head("skipped") + "  \(reason)"
        }
    }

    static func summary(_ report: AkeylessSync.Report, terminal: Terminal) -> String {
        let synced = report.accounts.count - report.failed
        var counts = [terminal.paint("\(synced) synced", synced > 0 ? .green : nil)]
        if report.failed > 0 { counts.append(terminal.paint("\(report.failed) failed", .red)) }
        let targets = [AkeylessSync.Change.created, .updated, .unchanged].map { "\(report.count(target: $0)) \($0.rawValue)" }
        var out = """
            akeyless sync: \(report.accounts.count) accounts: \(counts.joined(separator: ", ")) (targets: \
            \(targets.joined(separator: ", "))); \(report.requests) requests, \(report.writes) writes in \
            \(ProgressPrinter.seconds(report.elapsed))s

            """
        let failed = report.accounts.filter { !$0.outcome.isSuccess }
        if !failed.isEmpty {
            out += terminal.paint("\(failed.count) \(failed.count == 1 ? "account" : "accounts") not synced:", .red) + "\n"
            for account in failed { out += line(for: account) + "\n" }
            out += "Run `fleetform retry` or `fleetform akeyless sync` to sync them again.\n"
        }
        return out
    }
}
