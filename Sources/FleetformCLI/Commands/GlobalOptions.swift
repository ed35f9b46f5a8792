import ArgumentParser
import Foundation
import Inventory
import Onboarding
import Terraform

/// Options every command accepts.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Directory holding the database, workspaces, state and logs (default: $FLEETFORM_HOME, else ./.fleetform).",
        valueName: "dir"))
    var home: String?

    @Option(name: .long, help: ArgumentHelp(
        "The inventory database: postgres://USER:PASSWORD@HOST:PORT/DATABASE (team mode), or <home>/fleetform.sqlite when absent (default: $FLEETFORM_DATABASE_URL).",
        valueName: "url"))
    var database: String?

    @Option(name: .long, help: ArgumentHelp(
        "Where every account's Terraform state is kept: local (<home>/state) or s3://BUCKET/PREFIX[?region=REGION] (default: $FLEETFORM_STATE, else what the home recorded, else local).",
        valueName: "url"))
    var state: String?

    @Flag(name: .long, help: "Never colour the output (NO_COLOR in the environment does the same).")
    var noColor = false

    var resolvedHome: FleetformHome {
        FleetformHome.resolve(flag: home, environment: ProcessInfo.processInfo.environment)
    }

    /// Opens the inventory (`--database`, else `FLEETFORM_DATABASE_URL`, else the home's
    /// SQLite file), turning failures into one-line errors: a malformed URL is a usage
    /// error naming the flag or variable; neither ever shows the URL's password.
    func openDatabase() throws -> any InventoryStore {
        let home = resolvedHome
        let location: StoreLocation
        do {
            location = try StoreLocation.resolve(flag: database, environment: ProcessInfo.processInfo.environment, home: home)
        } catch {
            throw CommandFailure(exitCode: ExitStatus.usage, "\(error)")
        }
        do {
            return try home.openStore(location)
        } catch {
            throw CommandFailure(exitCode: ExitStatus.failure, "\(error)")
        }
    }

    /// `--state`, else `FLEETFORM_STATE`, parsed; nil when neither is given (the run
    /// uses the recorded location). A value that is not a location is a usage error
    /// naming where it came from.
    func stateRequest() throws -> StateRequest? {
        let environment = ProcessInfo.processInfo.environment
        let given: (text: String, origin: String)?
        if let state, !state.isEmpty {
            given = (state, "--state")
        } else if let text = environment["FLEETFORM_STATE"], !text.isEmpty {
            given = (text, "FLEETFORM_STATE")
        } else {
            given = nil
        }
        guard let given else { return nil }
        do {
            return StateRequest(location: try StateLocation(parsing: given.text), origin: given.origin)
        } catch {
            throw CommandFailure(exitCode: ExitStatus.usage, "\(given.origin) \(error)")
        }
    }

    func terminal() -> Terminal {
        Terminal.standardOutput(noColorFlag: noColor, environment: ProcessInfo.processInfo.environment)
    }
}
