import Foundation
import Testing
import TestSupport

/// The built binary, run as a user runs it: import the example, list, status, bad input.
@Suite struct EndToEndTests {
    private let home: TemporaryDirectory
    private let example = RepositoryFiles.url("inventory.example.json").path

    init() throws {
        home = try TemporaryDirectory("fleetform-e2e")
    }

    private func fleetform(_ arguments: String..., environment: [String: String] = [:]) throws -> FleetformProcess.Result {
        var env = ["FLEETFORM_HOME": home.url.appendingPathComponent("home").path]
        env.merge(environment) { _, new in new }
        return try FleetformProcess.run(arguments, environment: env)
    }

    @Test func importListAndStatusOnTheExample() throws {
        let imported = try fleetform("inventory", "import", example)
        #expect(imported.exitCode == 0, "\(imported.stderr)")
        #expect(imported.stdout == "added 10, updated 0, unchanged 0, disabled 0\n")
        #expect(try fleetform("inventory", "import", example).stdout == "added 0, updated 0, unchanged 10, disabled 0\n")

        let list = try fleetform("inventory", "list", "--json")
        #expect(list.exitCode == 0)
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [String: Any])
        let accounts = try #require(listed["accounts"] as? [[String: Any]])
        #expect(accounts.count == 10)
        #expect(Set(accounts[0].keys) == ["account_id", "name", "email", "ou_path", "region", "enabled", "disabled_reason", "state", "tags", "account_tags",
                                         "source"])
        let checkout = try #require(accounts.first { $0["account_id"] as? String == "034567890123" })
        #expect(checkout["source"] as? String == "file")
        #expect(checkout["state"] is NSNull)
        #expect(checkout["tags"] as? [String: String] == ["managed-by": "fleetform", "cost-center": "commerce", "team": "checkout"])
        #expect(accounts.filter { $0["enabled"] as? Bool == false }.count == 1)
        let payments = try #require(accounts.first { $0["account_id"] as? String == "210987654321" })
        #expect(payments["account_tags"] as? [String: String] == ["team": "payments", "env": "prod"])
        #expect(checkout["account_tags"] as? [String: String] == [:])

        let status = try fleetform("status", "--json")
        let statusObject = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        #expect((statusObject["accounts"] as? [Any])?.count == 9)
        #expect(statusObject["summary"] as? [String: Int] == ["never_run": 9])

        let table = try fleetform("status")
        #expect(table.exitCode == 0)
        let lines = table.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("ACCOUNT") == true)
        #expect(lines.last == "9 accounts: 9 never_run")
        #expect(lines.allSatisfy { $0.count <= 80 })
        #expect(!table.stdout.contains("\u{1B}["))

        // --watch redraws until interrupted.
        let watching = try RunningFleetform(["status", "--watch"], environment: ["FLEETFORM_HOME": home.url.appendingPathComponent("home").path])
        Thread.sleep(forTimeInterval: 2.5)
        watching.signal(SIGINT)
        #expect(watching.wait(timeout: 10) == 130)
        #expect(watching.stdout.components(separatedBy: "9 accounts: 9 never_run").count >= 3, "\(watching.stdout)")

        let csv = try fleetform("status", "--csv")
        #expect(csv.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }.count == 10)

        let human = try fleetform("inventory", "list")
        #expect(human.stdout.hasSuffix("10 accounts (9 enabled, 1 disabled)\n"))
        #expect(human.stdout.hasPrefix("ACCOUNT ") && human.stdout.split(separator: "\n")[0].hasSuffix("  TAGS"), "\(human.stdout)")
        #expect(human.stdout.split(separator: "\n").allSatisfy { $0.count <= 80 })
    }

    @Test func badFileExits65ListsEveryProblemAndChangesNothing() throws {
        #expect(try fleetform("inventory", "import", example).exitCode == 0)
        let before = try fleetform("inventory", "list", "--json").stdout

        // A valid account that would be added, next to two broken ones.
        let bad = try home.write("bad.json", #"""
            {"management_account_id": "123456789012", "defaults": {"region": "us-east-1"},
             "accounts": [
               {"id": "111111111111", "name": "would-be-added"},
               {"id": 210987654321, "name": "payments-prod"},
               {"id": "210987654322", "name": "payments-staging", "regoin": "eu-west-1"}
             ]}
            """#)
        let result = try fleetform("inventory", "import", bad)
        #expect(result.exitCode == 65)
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines == [
            "fleetform: error: \(bad): accounts[1].id: must be a string, not a number: write it in quotes (\"210987654321\"), because account IDs can start with 0",
            "fleetform: error: \(bad): accounts[2].regoin: unknown key; did you mean \"region\"?",
            "fleetform: error: \(bad): 2 problems; nothing was imported",
        ])
        #expect(try fleetform("inventory", "list", "--json").stdout == before)

        let notJSON = try home.write("not.json", "accounts: []\n")
        let syntax = try fleetform("inventory", "import", notJSON)
        #expect(syntax.exitCode == 65)
        #expect(syntax.stderr == "fleetform: error: \(notJSON): not valid JSON: line 1, column 1: unexpected 'a'; expected a value\n")
        #expect(try fleetform("inventory", "list", "--json").stdout == before)
    }

    @Test func missingFileAndUsageErrorsHaveTheirExitCodes() throws {
        let missing = home.url.appendingPathComponent("nope.json").path
        let result = try fleetform("inventory", "import", missing)
        #expect(result.exitCode == 66)
        #expect(result.stderr == "fleetform: error: \(missing): no such file\n")

        let directory = try fleetform("inventory", "import", home.path)
        #expect(directory.exitCode == 66)
        #expect(directory.stderr.contains(home.path))

        let usage = try fleetform("status", "--json", "--csv")
        #expect(usage.exitCode == 64)
        #expect(usage.stderr.contains("--json and --csv cannot be combined"))
        #expect(try fleetform("inventory", "import").exitCode == 64)
        #expect(try fleetform("no-such-command").exitCode == 64)

        let version = try fleetform("--version")
        #expect(version.exitCode == 0)
        #expect(version.stdout.split(separator: ".").count == 3)
    }

    @Test func homeFlagWinsOverEnvironmentAndFilesArePrivate() throws {
        let flagHome = home.url.appendingPathComponent("flag-home").path
        #expect(try fleetform("inventory", "import", example, "--home", flagHome).exitCode == 0)
        let database = flagHome + "/fleetform.sqlite"
        #expect(FileManager.default.fileExists(atPath: database))
        let mode = try FileManager.default.attributesOfItem(atPath: database)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let homeMode = try FileManager.default.attributesOfItem(atPath: flagHome)[.posixPermissions] as? Int
        #expect(homeMode == 0o700)
        // The environment's home was not touched.
        #expect(try fleetform("status", "--json").stdout == "{\"accounts\": [], \"summary\": {}}\n")
        // Global options may also come before the command.
        let before = try fleetform("--home", flagHome, "status", "--json")
        #expect(before.exitCode == 0)
        #expect(before.stdout.contains("\"never_run\": 9"))
    }
}
