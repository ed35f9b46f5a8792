import FleetformBasics
import Inventory
import Onboarding

/// `apply`, `plan`, `retry` and `destroy --json`: the run's result as one document, for
/// CI to read instead of the summary text: the run, counts by status, the canary
/// (`--canary`; empty without), each account with its error or skip reason and what
/// its plan found (`"import"` counts what `--adopt` takes over), and the Akeyless sync
/// that followed (null when none did).
enum RunResultJSON {
    static func render(_ report: RunReport) -> String {
        JSONOutput.render(document(report))
    }

    /// The document itself: what `--json` prints and `--notify` posts.
    static func document(_ report: RunReport) -> JSONObject {
        let counts = [JobStatus.succeeded, .failed, .interrupted, .skipped].map {
            JSONObject.Member($0.rawValue, JSONValue(report.count($0)))
        }
        let total = report.jobs.compactMap(\.changes).reduce(PlanChanges.none, +)
        return [
            "run_id": .string(report.runID), "command": .string(report.command.rawValue),
            "outcome": .string(report.outcome.rawValue), "counts": .object(JSONObject(members: counts)),
            "canary": .array(report.canary.map(JSONValue.string)),
            "changes": report.command == .plan ? changes(total) : .null,
            "accounts": .array(report.jobs.map(row)),
            "akeyless": report.akeyless.map(akeyless) ?? .null,
        ]
    }

    /// A retry that only synced Akeyless accounts.
    static func document(akeylessOnly report: AkeylessSync.Report, command: RunCommand) -> JSONObject {
        ["run_id": .null, "command": .string(command.rawValue),
         "outcome": .string(report.failed > 0 ? "failed" : "succeeded"),
         "counts": .object([:]), "canary": .array([]), "changes": .null, "accounts": .array([]),
         "akeyless": akeyless(report)]
    }

    static func akeyless(_ report: AkeylessSync.Report) -> JSONValue {
        .object([
            "synced": JSONValue(report.accounts.count - report.failed), "failed": JSONValue(report.failed),
            "requests": JSONValue(report.requests), "writes": JSONValue(report.writes),
            "accounts": .array(report.accounts.map { account in
                var error: String?
                switch account.outcome {
                case .synced: error = nil
                case .failed(let text), .notStarted(let text): error = text
                }
                return .object(["account_id": .string(account.accountID), "target": .string(account.target),
                                "synced": .bool(error == nil), "error": JSONValue(error)])
            }),
        ])
    }

    /// A run that found nothing to do is still one document.
    static func nothingToDo(_ command: RunCommand) -> String {
        JSONOutput.render(["run_id": .null, "command": .string(command.rawValue), "outcome": .string("nothing_to_do"),
                           "counts": .object([:]), "canary": .array([]), "changes": .null, "accounts": .array([]), "akeyless": .null])
    }

    private static func row(_ job: JobSummary) -> JSONValue {
        .object([
            "account_id": .string(job.accountID), "name": .string(job.accountName),
            "operation": .string(job.operation.rawValue), "status": .string(job.status.rawValue),
            "role_arn": JSONValue(job.roleARN), "changes": job.changes.map(changes) ?? .null,
            "adopted": .array(job.adopted.map(JSONValue.string)), "error": JSONValue(job.error),
            "skip_reason": JSONValue(job.skipReason?.rawValue),
        ])
    }

    static func changes(_ changes: PlanChanges) -> JSONValue {
        .object(["add": JSONValue(changes.add), "change": JSONValue(changes.change),
                 "destroy": JSONValue(changes.destroy), "import": JSONValue(changes.imports)])
    }
}
