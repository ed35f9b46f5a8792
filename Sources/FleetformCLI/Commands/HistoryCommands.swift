import ArgumentParser
import Foundation
import Inventory
import Onboarding

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
        } else if let tail = log.storedTail {
            StandardStreams.write(String(decoding: tail, as: UTF8.self))
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
