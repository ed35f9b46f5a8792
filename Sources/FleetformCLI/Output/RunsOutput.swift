import FleetformBasics
import Inventory

/// `runs` as a table.
enum RunsTable {
    static func render(_ runs: [RunSummary], terminal: Terminal) -> String {
        guard !runs.isEmpty else { return "No runs yet.\n" }
        var table = TextTable(columns: [
            .init(header: "RUN"), .init(header: "COMMAND"), .init(header: "STARTED"),
            .init(header: "SEL"), .init(header: "OK"), .init(header: "FAIL"), .init(header: "SKIP"), .init(header: "INT"),
            .init(header: "OUTCOME"),
        ])
        for run in runs {
            let outcome = run.outcome?.rawValue ?? "running"
            table.append(
                [run.runID, run.command.rawValue, run.startedAt, "\(run.selected)", "\(run.succeeded)", "\(run.failed)",
                 "\(run.skipped)", "\(run.interrupted)", outcome],
                colors: [nil, nil, nil, nil, nil, run.failed > 0 ? .red : nil, nil, nil,
                         run.outcome == .succeeded ? .green : run.outcome == nil ? .cyan : .red])
        }
        return table.render(width: terminal.width, terminal: terminal)
    }
}

/// `runs --json`, in the shape DESIGN.md fixes.
enum RunsJSON {
    static func render(_ runs: [RunSummary]) -> String {
        JSONOutput.render(["runs": .array(runs.map(row))])
    }

    private static func row(_ run: RunSummary) -> JSONValue {
        .object([
            "run_id": .string(run.runID), "command": .string(run.command.rawValue), "started_at": .string(run.startedAt),
            "finished_at": JSONValue(run.finishedAt), "selected": JSONValue(run.selected),
            "succeeded": JSONValue(run.succeeded), "failed": JSONValue(run.failed), "skipped": JSONValue(run.skipped),
            "interrupted": JSONValue(run.interrupted), "canary": .array(run.canary.map(JSONValue.string)),
        ])
    }
}
