import FleetformBasics
import Inventory
import Onboarding

/// The `text` of a `--notify` message: what a Slack or Teams channel shows of a run.
/// Plain text (no colours, no table), the counts first, then each account that did not
/// finish with its error, capped so a run with 500 failures stays one readable message.
enum RunNotificationText {
    /// Accounts listed by name before the rest are only counted.
    static let listedProblems = 10
    /// Characters of each account's error.
    static let errorLength = 200

    static func render(_ report: RunReport) -> String {
        let counts = [JobStatus.succeeded, .failed, .interrupted, .skipped].compactMap { status -> String? in
            let count = report.count(status)
            return count > 0 ? "\(count) \(status.rawValue)" : nil
        }
        var lines = ["fleetform \(report.command.rawValue) \(report.runID) \(report.outcome.rawValue) in "
            + "\(ProgressPrinter.format(report.elapsed)): \(counts.isEmpty ? "no accounts" : counts.joined(separator: ", "))"]
        let problems = report.jobs.filter { $0.status == .failed || $0.status == .interrupted }
        for job in problems.prefix(listedProblems) {
            lines.append("\(job.status.rawValue) \(job.accountID) (\(UnsafeText.escaped(job.accountName))): "
                + TextTable.fit(UnsafeText.escaped(job.error ?? "no error message"), width: errorLength, keep: .start))
        }
        if problems.count > listedProblems { lines.append("and \(problems.count - listedProblems) more") }
        if let akeyless = report.akeyless { lines.append(akeylessLine(akeyless)) }
        return escapedForChat(lines.joined(separator: "\n"))
    }

    static func render(akeylessOnly report: AkeylessSync.Report, command: RunCommand) -> String {
        escapedForChat("fleetform \(command.rawValue): " + akeylessLine(report))
    }

    /// `&`, `<` and `>` as entities, as Slack asks of every `text`: account names and
    /// errors come from inventories, Organizations and terraform, and `<!channel>` or
    /// `<https://…|…>` in one of them would otherwise ping a channel or show a link.
    /// Teams shows the entities as the characters.
    static func escapedForChat(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    private static func akeylessLine(_ report: AkeylessSync.Report) -> String {
        "Akeyless sync: \(report.accounts.count - report.failed) synced, \(report.failed) failed"
    }
}
