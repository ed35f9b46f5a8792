import Foundation
import Testing
import TestSupport

/// `apply --canary N` and `destroy --canary N` through the built binary, with real
/// terraform and the provider-free `scripted` fixture template: which accounts ran
/// (the fixture's own record, state files, logs), what was recorded, the exit code.
@Suite(.serialized) struct CanaryEndToEndTests {
    private let fleet: ScriptedFleet
    private var control: FixtureControl { fleet.control }
    private var template: String { fleet.template }
    /// Root/Dev holds 1 account, Root/Prod 2, Root/Sandbox 2; accounts list in this order.
    private let dev = "220000000001"
    private let prod = ["210000000001", "210000000002"]
    private let sandbox = ["230000000001", "230000000002"]
    private var all: [String] { [dev] + prod + sandbox }

    init() throws {
        let accounts = [(dev, "Root/Dev")] + prod.map { ($0, "Root/Prod") } + sandbox.map { ($0, "Root/Sandbox") }
        fleet = try ScriptedFleet("fleetform-canary-e2e", accounts: accounts.map { .init(id: $0.0, name: "app-\($0.0)", ouPath: $0.1) })
    }

    private func fleetform(_ arguments: [String]) throws -> FleetformProcess.Result {
        try fleet.run(arguments)
    }

    private func json(_ text: String) throws -> [String: Any] {
        try ScriptedFleet.object(text)
    }

    private func statuses() throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try fleet.statusJSON().map { ($0["account_id"] as? String ?? "", $0["status"] as? String ?? "") })
    }

    private func runs() throws -> [[String: Any]] {
        try fleet.runsJSON()
    }

    private func stateFile(_ id: String) -> URL {
        fleet.stateFile(id)
    }

    private func logs(runID: String) -> Set<String> {
        let directory = fleet.home.appendingPathComponent("logs/\(runID)")
        return Set(((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []))
    }

    /// A canary account fails: nothing outside the canary runs, the others are skipped
    /// naming it, exit 1; then, healed, the next canary (accounts with work only) passes
    /// and the rest runs.
    @Test func aFailedCanaryStopsTheApplyAndAPassingOneLetsTheRestRun() throws {
        try control.fail(prod[0])
        let apply = try fleetform(["apply", "--template", template, "--canary", "2", "--parallel", "4", "--json",
                                   "--skip-preflight"])
        #expect(apply.exitCode == 1, "\(apply.stdout)\(apply.stderr)")
        // One account of Root/Dev and one of Root/Prod (OUs by name, accounts by ID), in the run's order.
        #expect(apply.stderr.contains(
            "canary: 2 accounts first: \(dev) (Root/Dev), \(prod[0]) (Root/Prod); the other 3 start only if both succeed"),
            "\(apply.stderr)")
        #expect(apply.stderr.contains("canary failed: \(prod[0]); the other 3 accounts are skipped"), "\(apply.stderr)")
        #expect(apply.stderr.contains(
            "3 accounts were not started (canary failed: \(prod[0])); run `fleetform apply` again once the failures are fixed"),
            "\(apply.stderr)")
        let document = try json(apply.stdout)
        #expect(document["canary"] as? [String] == [dev, prod[0]])
        #expect(document["counts"] as? [String: Int] == ["succeeded": 1, "failed": 1, "interrupted": 0, "skipped": 3])
        let rows = document["accounts"] as? [[String: Any]] ?? []
        let skipped = rows.filter { $0["status"] as? String == "skipped" }
        #expect(skipped.compactMap { $0["account_id"] as? String } == [prod[1]] + sandbox)
        #expect(skipped.allSatisfy { $0["skip_reason"] as? String == "canary failed: \(prod[0])" }, "\(skipped)")

        // Nothing outside the canary ran: no provisioner, no state, no log.
        #expect(Set(control.executions().map(\.account)) == [dev, prod[0]])
        for id in [prod[1]] + sandbox {
            #expect(!FileManager.default.fileExists(atPath: stateFile(id).path), "\(id) has state")
        }
        let runID = try #require(document["run_id"] as? String)
        #expect(logs(runID: runID) == ["\(dev).log", "\(prod[0]).log"])
        let recorded = try statuses()
        #expect(recorded == [dev: "succeeded", prod[0]: "failed", prod[1]: "skipped", sandbox[0]: "skipped",
                             sandbox[1]: "skipped"])
        let history = try runs()
        #expect(history.first?["canary"] as? [String] == [dev, prod[0]])
        #expect(history.first?["skipped"] as? Int == 3)
        let notes = try fleetform(["logs", sandbox[0]])
        #expect(notes.stdout.contains("skipped this account (canary failed: \(prod[0])); terraform did not run"), "\(notes.stdout)")

        // Healed: the up-to-date Dev account is no canary; one of Prod and one of Sandbox are.
        try control.heal(prod[0])
        let again = try fleetform(["apply", "--template", template, "--canary", "2", "--skip-preflight"])
        #expect(again.exitCode == 0, "\(again.stdout)\(again.stderr)")
        #expect(again.stdout.contains(
            "canary: 2 accounts first: \(prod[0]) (Root/Prod), \(sandbox[0]) (Root/Sandbox); the other 2 start only if both succeed"),
            "\(again.stdout)")
        #expect(again.stdout.contains("canary succeeded: starting the other 2 accounts"), "\(again.stdout)")
        #expect(try statuses().values.allSatisfy { $0 == "succeeded" })
        #expect(control.appliedCounts() == Dictionary(uniqueKeysWithValues: all.map { ($0, 1) }))
        let latest = try runs()
        #expect(latest.first?["canary"] as? [String] == [prod[0], sandbox[0]])
        #expect(latest.first?["succeeded"] as? Int == 4)
        // Without --canary the field is there, empty.
        let plain = try fleetform(["apply", "--template", template, "--skip-preflight", "--json"])
        #expect(try json(plain.stdout)["canary"] as? [String] == [])
        #expect(try runs().first?["canary"] as? [String] == [])
    }

    /// A destroy canary that fails leaves every other account's state in place; one that
    /// passes destroys them all.
    @Test func destroyWaitsForItsCanary() throws {
        let apply = try fleetform(["apply", "--template", template, "--skip-preflight"])
        #expect(apply.exitCode == 0, "\(apply.stdout)\(apply.stderr)")

        // An unreadable state fails the canary's destroy (Root/Dev goes first); terraform calls that a
        // state lock error, which is retried unless --max-attempts 1.
        let state = stateFile(dev)
        let saved = try Data(contentsOf: state)
        try Data("not a state".utf8).write(to: state)
        let failed = try fleetform(["destroy", "--template", template, "--yes", "--canary", "1", "--max-attempts", "1",
                                    "--skip-preflight"])
        #expect(failed.exitCode == 1, "\(failed.stdout)\(failed.stderr)")
        #expect(failed.stdout.contains("canary: 1 account first: \(dev) (Root/Dev); the other 4 start only if it succeeds"),
                "\(failed.stdout)")
        #expect(failed.stdout.contains("canary failed: \(dev); the other 4 accounts are skipped"), "\(failed.stdout)")
        for id in prod + sandbox {
            #expect(FileManager.default.fileExists(atPath: stateFile(id).path), "\(id) was destroyed")
        }
        let recorded = try statuses()
        #expect((prod + sandbox).allSatisfy { recorded[$0] == "succeeded" }, "\(recorded)")
        #expect(try runs().first?["canary"] as? [String] == [dev])

        try saved.write(to: state)
        let destroy = try fleetform(["destroy", "--template", template, "--yes", "--canary", "2", "--skip-preflight"])
        #expect(destroy.exitCode == 0, "\(destroy.stdout)\(destroy.stderr)")
        #expect(destroy.stdout.contains("canary succeeded: starting the other 3 accounts"), "\(destroy.stdout)")
        #expect(try statuses().values.allSatisfy { $0 == "destroyed" })
    }

    /// Ctrl-C during the canary is today's interruption: exit 130, nothing else started.
    @Test func ctrlCDuringTheCanaryInterruptsTheRun() throws {
        try control.sleepAll(seconds: 60)
        let running = try RunningFleetform(["apply", "--template", template, "--canary", "1", "--skip-preflight"],
                                           environment: fleet.environment())
        #expect(control.waitForStarts(1))
        running.signal(SIGINT)
        #expect(running.wait(timeout: 40) == 130, "stdout: \(running.stdout) stderr: \(running.stderr)")
        #expect(control.executions().map(\.account) == [dev])
        #expect(try statuses().values.allSatisfy { $0 == "interrupted" })
    }

    @Test func aCanaryOfZeroOrLessIsAUsageError() throws {
        for value in ["0", "-3"] {
            let refused = try fleetform(["apply", "--template", template, "--canary", value])
            #expect(refused.exitCode == 64)
            #expect(refused.stderr.contains("--canary \(value): must be at least 1"), "\(refused.stderr)")
        }
        #expect(try fleetform(["destroy", "--yes", "--canary", "0"]).exitCode == 64)
        #expect(try runs().isEmpty)
    }
}
