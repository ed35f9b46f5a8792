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
        var out = "{\"runs\": ["
        for (index, run) in runs.enumerated() {
            out += index == 0 ? "\n  " : ",\n  "
            out += "{\"run_id\": "
            JSONText.appendString(run.runID, to: &out)
            out += ", \"command\": \"\(run.command.rawValue)\", \"started_at\": "
            JSONText.appendString(run.startedAt, to: &out)
            out += ", \"finished_at\": "
            JSONText.appendOptionalString(run.finishedAt, to: &out)
            out += ", \"selected\": \(run.selected), \"succeeded\": \(run.succeeded), \"failed\": \(run.failed)"
            out += ", \"skipped\": \(run.skipped), \"interrupted\": \(run.interrupted)}"
        }
        return out + (runs.isEmpty ? "]}\n" : "\n]}\n")
    }
}
