import Foundation
import Testing
import TestSupport

/// `apply --enqueue` and `fleetform worker` through the built binary, with real
/// terraform and the provider-free `scripted` template: workers sharing one home's
/// SQLite database, each in its own working directory, one killed with -9 while it
/// holds jobs; and Ctrl-C on the enqueuing command cancelling the run.
@Suite(.serialized) struct QueueEndToEndTests {
    private let fleet: ScriptedFleet
    private var control: FixtureControl { fleet.control }
    private let ids = (1...12).map { String(format: "2100000000%02d", $0) }

    init() throws {
        fleet = try ScriptedFleet("fleetform-queue-e2e", accounts: ids.enumerated().map { index, id in
            .init(id: id, name: "app-\(index + 1)", ouPath: index < 6 ? "Root/Prod" : "Root/Dev")
        })
    }

    private func directory(_ name: String) throws -> URL {
        let url = fleet.scratch.url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    private func worker(_ name: String, _ extra: [String]) throws -> RunningFleetform {
        try RunningFleetform(["worker", "--lease-seconds", "3", "--poll-milliseconds", "200", "--retry-base-seconds", "0.2"] + extra,
                             environment: fleet.environment(), workingDirectory: try directory(name))
    }

    private func statuses() throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try fleet.statusJSON().map { ($0["account_id"] as? String ?? "", $0["status"] as? String ?? "") })
    }

    @Test func twoWorkersOneKilledEveryAccountAppliedExactlyOnce() throws {
        // The killed worker's terraform still sleeps when its lease runs out (3 s), so the
        // worker that takes its jobs must wait for it; the others run quickly.
        try control.sleepAll(seconds: 8)
        let enqueuer = try RunningFleetform(["apply", "--enqueue", "--template", fleet.template, "--skip-preflight"],
                                            environment: fleet.environment(), workingDirectory: try directory("enqueuer"))
        let doomed = try worker("worker-a", ["--parallel", "3"])
        #expect(control.waitForStarts(3, timeout: 60))
        // It holds three jobs, each with a terraform sleeping in its provisioner.
        doomed.signal(SIGKILL)
        #expect(doomed.wait() == 137)
        try control.sleepAll(seconds: 0.3)
        let survivor = try worker("worker-b", ["--parallel", "3", "--idle-exit", "3"])

        let code = enqueuer.wait(timeout: 180)
        #expect(code == 0, "stdout: \(enqueuer.stdout)\nstderr: \(enqueuer.stderr)\nworker: \(survivor.stdout)\(survivor.stderr)")
        #expect(survivor.wait(timeout: 60) == 0, "worker: \(survivor.stdout)\(survivor.stderr)")

        #expect(control.appliedCounts() == Dictionary(uniqueKeysWithValues: ids.map { ($0, 1) }),
                "each account's resources must be created exactly once")
        #expect(try statuses() == Dictionary(uniqueKeysWithValues: ids.map { ($0, "succeeded") }))
        // One line per account in a pipe, as a local run prints.
        let lines = enqueuer.stdout.split(separator: "\n").filter { $0.hasPrefix("succeeded ") }
        #expect(lines.count == 12, "\(enqueuer.stdout)")
        #expect(Set(lines.compactMap { $0.split(separator: " ").dropFirst().first.map(String.init) }) == Set(ids))
        #expect(enqueuer.stdout.contains("queued for `fleetform worker`"))
        // The killed worker's jobs went to the other one, after it waited for their terraform.
        #expect(survivor.stdout.contains("wait "), "\(survivor.stdout)")
        let runs = try fleet.runsJSON()
        #expect(runs.first?["succeeded"] as? Int == 12)
        #expect(runs.first?["interrupted"] as? Int == 0)
        // Nothing runs in the workers' directories: each rendered into the home.
        #expect(try FileManager.default.contentsOfDirectory(atPath: try directory("worker-b").path).isEmpty)

        // The log is stored with the job: shown even where the file is not.
        let logs = fleet.home.appendingPathComponent("logs")
        try FileManager.default.removeItem(at: logs)
        let shown = try fleet.run(["logs", ids[0]])
        #expect(shown.exitCode == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("the full log is"), "\(shown.stdout)")
        #expect(shown.stdout.contains("Apply complete!"), "\(shown.stdout)")
    }

    @Test func ctrlCOnTheEnqueuingCommandCancelsTheRun() throws {
        try control.sleepAll(seconds: 60)
        let accounts = Array(ids.prefix(6))
        let enqueuer = try RunningFleetform(
            ["apply", "--enqueue", "--template", fleet.template, "--skip-preflight"] + accounts.flatMap { ["--account", $0] },
            environment: fleet.environment(), workingDirectory: try directory("enqueuer"))
        let worker = try worker("worker", ["--parallel", "2", "--grace-period", "5", "--idle-exit", "2"])
        #expect(control.waitForStarts(2, timeout: 60))

        enqueuer.signal(SIGINT)
        #expect(enqueuer.wait(timeout: 60) == 130, "stdout: \(enqueuer.stdout)\nstderr: \(enqueuer.stderr)")
        #expect(worker.wait(timeout: 60) == 0, "worker: \(worker.stdout)\(worker.stderr)")
        let recorded = try statuses()
        #expect(accounts.allSatisfy { recorded[$0] == "interrupted" }, "\(recorded)")
        #expect(control.appliedCounts().isEmpty)
        // The two that ran were stopped by their worker: their terraform is gone.
        #expect(control.executions().count == 2)
        #expect(control.executions().allSatisfy { $0.end == nil })
        let terraform = try FileManager.default.contentsOfDirectory(atPath: "/proc").compactMap { Int32($0) }.filter { pid in
            let cwd = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd")) ?? ""
            return cwd.hasPrefix(fleet.scratch.url.standardizedFileURL.path)
        }
        #expect(terraform.isEmpty, "terraform processes left behind")
        #expect(try fleet.runsJSON().first?["interrupted"] as? Int == 6)
    }

    /// `apply --enqueue --akeyless`: the workers run terraform, then the enqueuing command
    /// syncs the accounts that succeeded, as a local run does.
    @Test func anEnqueuedApplySyncsAkeylessOnceTheWorkersAreDone() throws {
        let akeyless = try AkeylessStandIn.start()
        defer { akeyless.stop() }
        let accounts = Array(ids.prefix(3))
        let environment = fleet.environment([
            "AKEYLESS_API_URL": akeyless.url, "AKEYLESS_ACCESS_ID": akeyless.configuration.accessID,
            "AKEYLESS_ACCESS_KEY": akeyless.configuration.accessKey,
        ])
        let enqueuer = try RunningFleetform(
            ["apply", "--enqueue", "--akeyless", "--template", fleet.template, "--skip-preflight"]
                + accounts.flatMap { ["--account", $0] },
            environment: environment, workingDirectory: try directory("enqueuer"))
        let worker = try worker("worker", ["--parallel", "2", "--idle-exit", "3"])
        #expect(enqueuer.wait(timeout: 120) == 0, "stdout: \(enqueuer.stdout)\nstderr: \(enqueuer.stderr)")
        #expect(worker.wait(timeout: 60) == 0, "worker: \(worker.stdout)\(worker.stderr)")
        #expect(enqueuer.stdout.contains("akeyless sync: 3 accounts: 3 synced"), "\(enqueuer.stdout)")
        #expect(try akeyless.state().targets.map(\.name).sorted() == accounts.map { "/fleetform/aws/\($0)" })
        #expect(control.appliedCounts() == Dictionary(uniqueKeysWithValues: accounts.map { ($0, 1) }))
    }
}
