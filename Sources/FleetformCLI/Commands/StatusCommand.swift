import ArgumentParser
import Foundation
import Inventory
import Onboarding

/// `fleetform status [--failed] [--json | --csv]`.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each enabled account's onboarding status and role ARN."
    )

    @OptionGroup(title: "Selection") var selection: SelectionOptions

    @Flag(help: "Only accounts whose latest job failed or was interrupted (what `retry` would run).")
    var failed = false

    @Flag(help: "Print one JSON document instead of a table.")
    var json = false

    @Flag(help: "Print CSV with a header row instead of a table.")
    var csv = false

    @Flag(help: "Redraw the table every 2 seconds until Ctrl-C (to follow a run from another terminal).")
    var watch = false

    @OptionGroup(title: "Global options")
    var global: GlobalOptions

    func validate() throws {
        if json && csv { throw ValidationError("--json and --csv cannot be combined; choose one") }
        if watch && (json || csv) { throw ValidationError("--watch shows the table; it cannot be combined with --json or --csv") }
    }

    func run() async throws {
        let database = try global.openDatabase()
        let terminal = global.terminal()
        repeat {
            // A run whose fleetform died must not show its accounts as running forever.
            database.recoverAbandonedRunsAsReader()
            var statuses: [AccountStanding]
            do {
                statuses = try selection.selection.narrow(try database.accountStandings(), accountID: \.accountID,
                                                          database: database)
            } catch {
                throw CommandFailure(OnboardingFailure(error))
            }
            if failed {
                statuses.removeAll { $0.status != .failed && $0.status != .interrupted }
            }
            if json {
                StandardStreams.write(StatusJSON.render(statuses))
            } else if csv {
                StandardStreams.write(StatusCSV.render(statuses))
            } else if watch {
                let clear = isatty(STDOUT_FILENO) == 1 ? "\u{1B}[H\u{1B}[2J" : ""
                StandardStreams.write(clear + StatusTable.render(statuses, terminal: terminal)
                    + "updated \(Timestamp.string(from: Date())) · Ctrl-C to stop\n")
                try await Task.sleep(for: .seconds(2))
            } else {
                StandardStreams.write(StatusTable.render(statuses, terminal: terminal))
            }
        } while watch
    }
}
