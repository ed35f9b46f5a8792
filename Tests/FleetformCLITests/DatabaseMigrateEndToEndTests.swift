import Foundation
import Testing
import TestSupport

/// `fleetform database migrate --to postgres://…` through the built binary: a home built
/// with real commands moves into PostgreSQL with its whole history, every reader prints
/// the same documents from either store, and runs go on from where the home stopped.
@Suite(.serialized) struct DatabaseMigrateEndToEndTests {
    private let accounts = (1...3).map {
        ScriptedFleet.Account(id: String(format: "4000000000%02d", $0), name: "mig-\($0)", ouPath: "Root/Apps")
    }

    /// The documents the readers print, from the home's SQLite file or from `--database`.
    private func documents(_ fleet: ScriptedFleet, _ database: [String] = []) throws -> [String] {
        let failing = accounts[1].id
        return try [["status", "--json"], ["runs", "--json"], ["inventory", "list", "--json"], ["logs", failing],
                    ["logs", accounts[0].id]].map { arguments in
            let result = try fleet.run(arguments + database)
            #expect(result.exitCode == 0, "\(arguments): \(result.stderr)")
            return result.stdout
        }
    }

    @Test func aHomeMovesWithItsHistoryAndRunsGoOnFromThere() throws {
        let fleet = try ScriptedFleet("fleetform-dbmigrate", accounts: accounts)
        let failing = accounts[1].id
        try fleet.control.fail(failing)
        let apply = try fleet.run(["apply", "--template", fleet.template, "--parallel", "2", "--skip-preflight"])
        #expect(apply.exitCode == 1, "\(apply.stdout)\(apply.stderr)")
        let retry = try fleet.run(["retry", "--skip-preflight"])
        #expect(retry.exitCode == 1, "\(retry.stdout)\(retry.stderr)")
        // Akeyless records for the accounts whose role exists.
        let akeyless = try AkeylessStandIn.start(configuration: AkeylessStandIn.Configuration(
            accessKeys: ["p-dbmigrate": "dbmigrate-key"], tokenPrefix: "t-dbmigrate-"))
        defer { akeyless.stop() }
        let sync = try fleet.run(["akeyless", "sync"], extra: [
            "AKEYLESS_API_URL": akeyless.url, "AKEYLESS_ACCESS_ID": "p-dbmigrate", "AKEYLESS_ACCESS_KEY": "dbmigrate-key"])
        #expect(sync.exitCode == 0, "\(sync.stdout)\(sync.stderr)")
        let before = try documents(fleet)
        #expect(before[0].contains(#""akeyless": {"#), "\(before[0])\n\(sync.stdout)\(sync.stderr)")

        let server = try PostgresServer.shared()
        let url = try server.freshDatabase("dbmigrate")
        // The test server trusts local connections; the password is there to be redacted.
        let withPassword = url.replacingOccurrences(of: "fleetform@", with: "fleetform:hunter2@")
        let started = Date()
        let migrate = try fleet.run(["database", "migrate", "--to", withPassword])
        let seconds = Date().timeIntervalSince(started)
        #expect(migrate.exitCode == 0, "\(migrate.stdout)\(migrate.stderr)")
        #expect(!migrate.stdout.contains("hunter2") && !migrate.stderr.contains("hunter2"))
        for line in ["accounts", "runs", "jobs", "job_attempts", "account_state", "settings"] {
            #expect(migrate.stdout.contains("  \(line) "), "\(migrate.stdout)")
        }
        #expect(migrate.stdout.range(of: #"akeyless_state +[1-9]"#, options: .regularExpression) != nil, "\(migrate.stdout)")
        #expect(migrate.stdout.range(of: #"job_attempts +[1-9]"#, options: .regularExpression) != nil, "\(migrate.stdout)")
        #expect(migrate.stdout.contains("fleetform state migrate --to s3://"), "\(migrate.stdout)")
        #expect(migrate.stdout.contains("--database postgres://fleetform:***@"), "\(migrate.stdout)")
        #expect(seconds < 30, "database migrate took \(seconds) s")

        // The same documents from PostgreSQL, and the home's file still says the same.
        #expect(try documents(fleet, ["--database", url]) == before)
        #expect(try documents(fleet) == before)

        // Runs go on in PostgreSQL: the retry's run and job ids follow the copied ones.
        try fleet.control.heal(failing)
        let database = ["FLEETFORM_DATABASE_URL": url]
        let next = try fleet.run(["retry", "--skip-preflight"], extra: database)
        #expect(next.exitCode == 0, "\(next.stdout)\(next.stderr)")
        let apply2 = try fleet.run(["apply", "--template", fleet.template, "--skip-preflight"], extra: database)
        #expect(apply2.exitCode == 0, "\(apply2.stdout)\(apply2.stderr)")
        let status = try ScriptedFleet.object(try fleet.run(["status", "--json"], extra: database).stdout)
        let rows = status["accounts"] as? [[String: Any]] ?? []
        #expect(rows.map { $0["status"] as? String } == ["succeeded", "succeeded", "succeeded"], "\(rows)")
        let runs = try ScriptedFleet.object(try fleet.run(["runs", "--json"], extra: database).stdout)["runs"]
            as? [[String: Any]] ?? []
        #expect(runs.count == 4)
        #expect(runs.first?["command"] as? String == "apply")
        #expect(runs.dropFirst().first?["command"] as? String == "retry")
        #expect(runs.dropFirst().first?["succeeded"] as? Int == 1)
        #expect(fleet.control.appliedCounts()[accounts[0].id] == 1, "an account applied before is up to date")
        let logs = try fleet.run(["logs", failing], extra: database)
        #expect(logs.exitCode == 0 && logs.stdout != before[3], "the latest job's log")

        // A target with data is refused, and stays as it was.
        let again = try fleet.run(["database", "migrate", "--to", withPassword])
        #expect(again.exitCode == 1)
        #expect(again.stderr.contains("is not empty (3 accounts, 4 runs"), "\(again.stderr)")
        #expect(!again.stderr.contains("hunter2"))
        #expect(again.stderr.split(separator: "\n").count == 1, "\(again.stderr)")
        #expect(try fleet.run(["runs", "--json"], extra: database).stdout.contains(runs.first?["run_id"] as? String ?? "?"))
    }

    /// The home's run lock is held while copying: a run in progress makes it refuse,
    /// naming the run, and the database stays empty.
    @Test func aRunInProgressKeepsTheHomeWhereItIs() throws {
        let fleet = try ScriptedFleet("fleetform-dbmigrate-busy", accounts: Array(accounts.prefix(1)))
        try fleet.control.sleepAll(seconds: 30)
        let run = try RunningFleetform(["apply", "--template", fleet.template, "--skip-preflight"],
                                       environment: fleet.environment())
        defer {
            run.signal(SIGKILL)
            _ = run.wait(timeout: 10)
        }
        #expect(fleet.control.waitForStarts(1, timeout: 60), "\(run.stderr)")
        let url = try PostgresServer.shared().freshDatabase("dbmigratebusy")
        let busy = try fleet.run(["database", "migrate", "--to", url])
        #expect(busy.exitCode == 1, "\(busy.stdout)\(busy.stderr)")
        #expect(busy.stderr.split(separator: "\n").count == 1, "\(busy.stderr)")
        #expect(busy.stderr.contains("(apply, pid") && busy.stderr.contains("is still running"), "\(busy.stderr)")
        let runs = try fleet.run(["runs", "--json", "--database", url])
        #expect(runs.stdout.contains(#""runs": []"#) || !runs.stdout.contains("run_id"), "\(runs.stdout)")
    }

    @Test func refusalsAreOneLineWithoutThePassword() throws {
        let fleet = try ScriptedFleet("fleetform-dbmigrate-refuse", accounts: Array(accounts.prefix(1)))
        let port = try LoopbackNetwork.freePort()
        let unreachable = try fleet.run(["database", "migrate", "--to", "postgres://u:hunter2@127.0.0.1:\(port)/x"])
        #expect(unreachable.exitCode == 1)
        #expect(unreachable.stderr.split(separator: "\n").count == 1, "\(unreachable.stderr)")
        #expect(unreachable.stderr.contains("postgres://u:***@127.0.0.1:\(port)/x"), "\(unreachable.stderr)")
        #expect(!unreachable.stderr.contains("hunter2"))

        let bad = try fleet.run(["database", "migrate", "--to", "mysql://u:hunter2@h/d"])
        #expect(bad.exitCode == 64)
        #expect(bad.stderr.split(separator: "\n").count == 1, "\(bad.stderr)")
        #expect(bad.stderr.contains("--to") && !bad.stderr.contains("hunter2"), "\(bad.stderr)")

        let flagged = try fleet.run(["database", "migrate", "--to", "postgres://u@h/d", "--database", "postgres://u@h/d"])
        #expect(flagged.exitCode == 64, "\(flagged.stderr)")

        let empty = try TemporaryDirectory("fleetform-dbmigrate-nohome")
        let none = try FleetformProcess.run(["database", "migrate", "--to", "postgres://u@127.0.0.1:\(port)/x"],
                                            environment: ["FLEETFORM_HOME": empty.url.appendingPathComponent("home").path])
        #expect(none.exitCode == 66, "\(none.stderr)")
        #expect(!FileManager.default.fileExists(atPath: empty.url.appendingPathComponent("home/fleetform.sqlite").path))
    }
}
