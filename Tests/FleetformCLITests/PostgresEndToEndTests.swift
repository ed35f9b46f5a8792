import Foundation
import Testing
import TestSupport

/// The same commands through the built binary against SQLite (a home) and PostgreSQL
/// (`--database postgres://…`): the documents they print are the same, but for run ids,
/// timestamps and the home's path.
@Suite(.serialized) struct PostgresEndToEndTests {
    private let template = FixtureControl.scriptedTemplate.path
    private let ids = (1...3).map { String(format: "3000000000%02d", $0) }

    /// Where one scenario keeps its store.
    private enum Store {
        case sqlite
        case postgres(url: String)
    }

    /// What a scenario printed, normalised for comparison.
    private struct Documents: Equatable {
        var status: String
        var runs: String
        var inventory: String
        var logs: String
        var exitCodes: [Int32]
    }

    private func scenario(_ store: Store) throws -> Documents {
        let home = try TemporaryDirectory("fleetform-pg-e2e")
        let control = try FixtureControl()
        var environment = control.environment
        environment["FLEETFORM_HOME"] = home.url.appendingPathComponent("home").path
        var flag: [String] = []
        if case .postgres(let url) = store {
            // The variable for most commands, the flag for the readers: both ways are used.
            environment["FLEETFORM_DATABASE_URL"] = url
            flag = ["--database", url]
        }
        func fleetform(_ arguments: [String], flagged: Bool = false) throws -> FleetformProcess.Result {
            try FleetformProcess.run(arguments + (flagged ? flag : []), environment: environment)
        }
        let inventory = """
            {"management_account_id": "123456789012", "defaults": {"region": "us-east-1"},
             "accounts": [\(ids.map { #"{"id": "\#($0)", "name": "pg-\#($0.suffix(2))", "ou_path": "Root/Apps", "account_tags": {"team": "t\#($0.suffix(1))"}}"# }.joined(separator: ","))]}
            """
        let file = try home.write("inventory.json", inventory)
        var codes: [Int32] = []
        let imported = try fleetform(["inventory", "import", file])
        codes.append(imported.exitCode)
        try control.fail(ids[1])
        let apply = try fleetform(["apply", "--template", template, "--parallel", "2", "--skip-preflight"])
        codes.append(apply.exitCode)
        try control.heal(ids[1])
        let retry = try fleetform(["retry", "--skip-preflight"])
        codes.append(retry.exitCode)
        #expect(retry.exitCode == 0, "\(retry.stdout)\(retry.stderr)")
        let status = try fleetform(["status", "--json"], flagged: true)
        let runs = try fleetform(["runs", "--json"], flagged: true)
        let list = try fleetform(["inventory", "list", "--json"], flagged: true)
        let logs = try fleetform(["logs", ids[1]], flagged: true)
        codes += [status.exitCode, runs.exitCode, list.exitCode, logs.exitCode]
        if case .postgres = store {
            #expect(!FileManager.default.fileExists(atPath: home.url.appendingPathComponent("home/fleetform.sqlite").path),
                    "with --database the home holds no SQLite inventory")
            #expect(FileManager.default.fileExists(atPath: home.url.appendingPathComponent("home/logs").path),
                    "logs stay under the home")
        }
        let homePath = home.url.appendingPathComponent("home").path
        return Documents(
            status: normalise(status.stdout, home: homePath), runs: normalise(runs.stdout, home: homePath),
            inventory: normalise(list.stdout, home: homePath), logs: normalise(logs.stdout, home: homePath),
            exitCodes: codes)
    }

    /// Run ids, timestamps, durations, terraform's random resource ids and the home's
    /// path replaced by placeholders.
    private func normalise(_ text: String, home: String) -> String {
        var text = text.replacingOccurrences(of: home, with: "<home>")
        let patterns = [
            (#"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"#, "<uuid>"),
            (#"\d{8}-\d{6}-[0-9a-f]{4}"#, "<run>"),
            (#"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z"#, "<time>"),
            (#"\d+(\.\d+)?m?s\b"#, "<duration>"),
        ]
        for (pattern, replacement) in patterns {
            text = text.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
        }
        return text
    }

    @Test func everyCommandPrintsTheSameOnPostgreSQLAsOnSQLite() throws {
        let server = try PostgresServer.shared()
        let onSQLite = try scenario(.sqlite)
        let onPostgres = try scenario(.postgres(url: try server.freshDatabase("e2e")))
        #expect(onSQLite.exitCodes == [0, 1, 0, 0, 0, 0, 0])
        #expect(onPostgres.exitCodes == onSQLite.exitCodes)
        #expect(onPostgres.status == onSQLite.status)
        #expect(onPostgres.runs == onSQLite.runs)
        #expect(onPostgres.inventory == onSQLite.inventory)
        #expect(onPostgres.logs == onSQLite.logs)
        // The documents are real ones, not two empty ones.
        #expect(onPostgres.status.contains("\"status\": \"succeeded\""), "\(onPostgres.status)")
        #expect(onPostgres.runs.contains("\"command\": \"retry\""), "\(onPostgres.runs)")
        #expect(onPostgres.inventory.contains("pg-02"))
        #expect(onPostgres.logs.contains("terraform apply"))
    }

    @Test func aBadDatabaseURLIsAUsageErrorWithoutThePassword() throws {
        let home = try TemporaryDirectory("fleetform-pg-e2e")
        let result = try FleetformProcess.run(
            ["status", "--database", "mysql://fleet:hunter2@db/inv"],
            environment: ["FLEETFORM_HOME": home.url.appendingPathComponent("home").path])
        #expect(result.exitCode == 64)
        #expect(result.stderr.contains("--database mysql://fleet:***@db/inv: unsupported scheme"), "\(result.stderr)")
        #expect(!result.stderr.contains("hunter2"))
        #expect(!result.stdout.contains("hunter2"))
    }

    @Test func anUnreachableDatabaseIsOneLineWithoutThePassword() throws {
        let home = try TemporaryDirectory("fleetform-pg-e2e")
        let port = try LoopbackNetwork.freePort()
        let result = try FleetformProcess.run(
            ["runs"], environment: ["FLEETFORM_HOME": home.url.appendingPathComponent("home").path,
                                    "FLEETFORM_DATABASE_URL": "postgres://fleet:hunter2@127.0.0.1:\(port)/inv"])
        #expect(result.exitCode == 1)
        #expect(result.stderr.contains("cannot open the inventory database postgres://fleet:***@127.0.0.1:\(port)/inv"),
                "\(result.stderr)")
        #expect(!result.stderr.contains("hunter2"))
        #expect(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1)
    }
}
