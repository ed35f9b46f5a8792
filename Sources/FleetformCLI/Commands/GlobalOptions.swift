import ArgumentParser
import Foundation
import Inventory

/// Options every command accepts.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Directory holding the database, workspaces, state and logs (default: $FLEETFORM_HOME, else ./.fleetform).",
        valueName: "dir"))
    var home: String?

    @Flag(name: .long, help: "Never colour the output (NO_COLOR in the environment does the same).")
    var noColor = false

    var resolvedHome: FleetformHome {
        FleetformHome.resolve(flag: home, environment: ProcessInfo.processInfo.environment)
    }

    /// Opens the inventory, turning failures into one-line errors.
    func openDatabase() throws -> InventoryDatabase {
        let home = resolvedHome
        do {
            return try home.openDatabase()
        } catch {
            throw CommandFailure(exitCode: ExitStatus.failure, "\(error)")
        }
    }

    func terminal() -> Terminal {
        Terminal.standardOutput(noColorFlag: noColor, environment: ProcessInfo.processInfo.environment)
    }
}
