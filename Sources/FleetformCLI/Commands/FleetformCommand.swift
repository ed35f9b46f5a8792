import ArgumentParser
import Foundation
import Inventory

/// The root command: parses the command line, runs one subcommand, and turns what it
/// throws into a message on standard error and one of the documented exit codes.
public struct FleetformCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "fleetform",
        abstract: "Onboard every account of an AWS Organization for an Akeyless distributed gateway.",
        discussion: """
            Exit codes: 0 success, 1 one or more accounts failed, 64 usage error, \
            65 invalid input data, 66 input file missing or unreadable, 130 interrupted.
            """,
        version: FleetformVersion.current,
        subcommands: [
            InventoryCommand.self, ApplyCommand.self, PlanCommand.self, RetryCommand.self, DestroyCommand.self,
            StatusCommand.self, LogsCommand.self, RunsCommand.self, PreflightCommand.self, VerifyCommand.self,
            ExportCommand.self, AkeylessCommand.self,
            StateCommand.self, DatabaseCommand.self, TemplateCommand.self, WorkerCommand.self,
        ]
    )

    @OptionGroup(title: "Global options") var global: GlobalOptions

    public init() {}

    /// Parses `CommandLine.arguments`, runs the command and exits.
    public static func main() async {
        if ProcessInfo.processInfo.environment["FLEETFORM_DEBUG_ROUND_TRIPS"] == "1" {
            // For scripts/bench-workers: the store transactions this process made.
            atexit {
                StandardStreams.writeError(["fleetform: debug: \(DatabaseRoundTrips.count) store round trips"])
            }
        }
        // Everything fleetform creates under its home (database, logs, state) is private.
        umask(0o077)
        // A closed pipe (`| head`, a `tee` killed by the same Ctrl-C) must not kill a run
        // before it records its results: writes fail with EPIPE instead, and are dropped.
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as CommandFailure {
            if !failure.lines.isEmpty {
                StandardStreams.writeError(failure.lines.map { "fleetform: error: \($0)" })
            }
            Foundation.exit(failure.exitCode)
        } catch {
            exit(withError: error)
        }
    }
}

/// The version `--version` prints.
public enum FleetformVersion {
    public static let current = "0.1.0"
}
