import ArgumentParser
import FleetformBasics
import Foundation
import Inventory
import Onboarding
import Terraform

/// `fleetform logs ACCOUNT_ID [--run RUN_ID]`: everything terraform printed for an account.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print the latest terraform log of an account (or of its job in one run), after the error of a later job that ran no terraform."
    )

    @Argument(help: ArgumentHelp("The account.", valueName: "account-id")) var accountID: String
    @Option(help: ArgumentHelp("The run (see `fleetform runs`).", valueName: "run-id")) var run: String?
    @OptionGroup(title: "Global options") var global: GlobalOptions

    func validate() throws {
        if AccountFieldRules.accountIDProblem(accountID) != nil {
            throw ValidationError("\(accountID): must be a 12-digit account ID")
        }
    }

    func run() async throws {
        let database = try global.openDatabase()
        let log: AccountLog
        do {
            log = try AccountLog.find(accountID: accountID, runID: run, database: database)
        } catch let failure as AccountLog.Failure {
            throw CommandFailure(exitCode: ExitStatus.failure, "\(failure)")
        }
        if !log.notes.isEmpty { StandardStreams.write(log.notes.joined(separator: "\n") + "\n") }
        if let path = log.logPath, let data = FileManager.default.contents(atPath: path) {
            StandardStreams.write(String(decoding: data, as: UTF8.self))
        }
    }
}

/// `fleetform runs [--json]`: every run, newest first.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "runs", abstract: "List runs, newest first.")

    @Flag(help: "Print one JSON document instead of a table.") var json = false
    @OptionGroup(title: "Global options") var global: GlobalOptions

    func run() async throws {
        let database = try global.openDatabase()
        database.recoverAbandonedRunsAsReader()
        let runs = try database.runSummaries()
        StandardStreams.write(json ? RunsJSON.render(runs) : RunsTable.render(runs, terminal: global.terminal()))
    }
}

/// `fleetform template export DIR`.
struct TemplateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "template", abstract: "Work with the built-in Terraform template.",
        subcommands: [TemplateExportCommand.self])
}

struct TemplateExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the built-in akeyless-gateway-role template to a directory, for review or as a start for --template.")

    @Argument(help: ArgumentHelp("The directory to write to (created if missing).", valueName: "dir")) var directory: String

    func run() async throws {
        let url = URL(fileURLWithPath: directory)
        let template = TerraformTemplate.builtIn
        let clashes = template.files.map(\.path).filter { FileManager.default.fileExists(atPath: url.appendingPathComponent($0).path) }
        guard clashes.isEmpty else {
            throw CommandFailure(exitCode: ExitStatus.failure,
                                 "\(directory): already holds \(clashes.joined(separator: ", ")); choose an empty directory")
        }
        do {
            try template.export(to: url)
        } catch {
            throw CommandFailure(exitCode: ExitStatus.failure, "\(error)")
        }
        StandardStreams.write("wrote \(template.files.map(\.path).joined(separator: ", ")) to \(directory)\n")
    }
}

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
