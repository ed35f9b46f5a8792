import Foundation

/// A home whose inventory holds the given accounts, driven through the built binary with
/// the provider-free `scripted` template (`FixtureControl` steers it): the set-up the
/// run, canary and notification end-to-end suites share.
public struct ScriptedFleet: Sendable {
    public struct Account: Sendable {
        public var id: String
        public var name: String
        public var ouPath: String

        public init(id: String, name: String, ouPath: String) {
            self.id = id
            self.name = name
            self.ouPath = ouPath
        }
    }

    /// The scratch directory; the fleetform home is its `home/`.
    public let scratch: TemporaryDirectory
    public let control: FixtureControl
    public let accounts: [Account]
    /// The inventory file written for the accounts (not yet imported with `importNow: false`).
    public let inventoryFile: String
    public var template: String { FixtureControl.scriptedTemplate.path }
    public var home: URL { scratch.url.appendingPathComponent("home") }

    /// Writes the inventory and, unless `importNow` is false, imports it (failing the
    /// test's set-up when the import fails).
    public init(_ name: String, accounts: [Account], importNow: Bool = true) throws {
        scratch = try TemporaryDirectory(name)
        control = try FixtureControl()
        self.accounts = accounts
        let entries = accounts.map { #"{"id": "\#($0.id)", "name": "\#($0.name)", "ou_path": "\#($0.ouPath)"}"# }
        inventoryFile = try scratch.write("inventory.json", """
            {"management_account_id": "123456789012", "defaults": {"region": "us-east-1"},
             "accounts": [\(entries.joined(separator: ",\n  "))]}
            """)
        if importNow {
            let result = try run(["inventory", "import", inventoryFile])
            guard result.exitCode == 0 else { throw TestEnvironmentError("inventory import failed: \(result.stderr)") }
        }
    }

    /// The fixture control and `FLEETFORM_HOME`, then `extra`.
    public func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = control.environment
        environment["FLEETFORM_HOME"] = home.path
        return environment.merging(extra) { $1 }
    }

    public func run(_ arguments: [String], extra: [String: String] = [:]) throws -> FleetformProcess.Result {
        try FleetformProcess.run(arguments, environment: environment(extra))
    }

    /// `status --json`'s accounts.
    public func statusJSON() throws -> [[String: Any]] {
        try Self.object(try run(["status", "--json"]).stdout)["accounts"] as? [[String: Any]] ?? []
    }

    /// `runs --json`'s runs, newest first.
    public func runsJSON() throws -> [[String: Any]] {
        try Self.object(try run(["runs", "--json"]).stdout)["runs"] as? [[String: Any]] ?? []
    }

    /// The state file of an account with local state.
    public func stateFile(_ accountID: String) -> URL {
        home.appendingPathComponent("state/\(accountID)/terraform.tfstate")
    }

    /// A JSON document that must be an object.
    public static func object(_ text: String) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw TestEnvironmentError("not a JSON object: \(text.prefix(200))")
        }
        return object
    }
}
