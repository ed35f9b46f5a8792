import Foundation
import Testing
import TestSupport

/// apply / retry / plan / destroy / logs / runs through the built binary, with real
/// terraform and the provider-free `scripted` fixture template: the user's view, exit
/// codes, Ctrl-C and kill -9.
@Suite(.serialized) struct RunEndToEndTests {
    private let fleet: ScriptedFleet
    private var control: FixtureControl { fleet.control }
    private var template: String { fleet.template }
    private let ids = (1...4).map { String(format: "2000000000%02d", $0) }

    init() throws {
        fleet = try ScriptedFleet("fleetform-run-e2e", accounts: ids.map {
            .init(id: $0, name: "app-\($0.suffix(2))", ouPath: "Root/Apps")
        })
    }

    private var environment: [String: String] { fleet.environment() }

    private func fleetform(_ arguments: [String]) throws -> FleetformProcess.Result {
        try fleet.run(arguments)
    }

    private func statusJSON() throws -> [[String: Any]] {
        try fleet.statusJSON()
    }

    @Test func applyFailRetryAndTheRecord() throws {
        try control.fail(ids[1])
        let apply = try fleetform(["apply", "--template", template, "--parallel", "2", "--skip-preflight"])
        #expect(apply.exitCode == 1)
        // Without a terminal: one line per finished account, then the summary and the failure with its log.
        let lines = apply.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("apply ") == true)
        #expect(lines.filter { $0.hasPrefix("succeeded ") }.count == 3)
        #expect(lines.contains { $0.hasPrefix("failed      \(ids[1])  app-02  local-exec provisioner error: AccessDenied: injected failure") })
        #expect(apply.stdout.contains("failed in"))
        #expect(apply.stdout.contains("\(ids[1])  app-02  failed: local-exec provisioner error: AccessDenied"))
        #expect(apply.stdout.contains("log: \(fleet.home.appendingPathComponent("logs").path)"))
        #expect(!apply.stdout.contains("\u{1B}["))

        let statuses = try statusJSON()
        #expect(statuses.filter { $0["status"] as? String == "succeeded" }.count == 3)
        let failed = try #require(statuses.first { $0["account_id"] as? String == ids[1] })
        #expect(failed["status"] as? String == "failed")
        #expect((failed["error"] as? String)?.contains("AccessDenied") == true)
        #expect(failed["attempts"] as? Int == 1)

        let logs = try fleetform(["logs", ids[1]])
        #expect(logs.exitCode == 0)
        #expect(logs.stdout.contains("terraform apply -auto-approve"))
        #expect(logs.stdout.contains("AccessDenied: injected failure"))

        try control.heal(ids[1])
        let before = control.executions().count
        let retry = try fleetform(["retry", "--skip-preflight"])
        #expect(retry.exitCode == 0, "\(retry.stdout)\(retry.stderr)")
        #expect(control.executions().count == before + 1, "retry must run exactly the failed account")
        #expect(try statusJSON().allSatisfy { $0["status"] as? String == "succeeded" })
        #expect(try fleetform(["retry", "--skip-preflight"]).stdout.contains("Nothing to retry"))

        let runs = try fleetform(["runs", "--json"])
        let runList = try #require((try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [String: Any])?["runs"] as? [[String: Any]])
        #expect(runList.count == 2)
        #expect(runList[0]["command"] as? String == "retry")
        #expect(runList[0]["selected"] as? Int == 1)
        #expect(runList[1]["failed"] as? Int == 1)
        #expect(Set(runList[0].keys) == ["run_id", "command", "started_at", "finished_at", "selected", "succeeded",
                                         "failed", "skipped", "interrupted", "canary"])
        #expect(runList[0]["canary"] as? [String] == [])

        // A plan of the applied accounts finds nothing to do; with --detailed-exitcode that is exit 0.
        let plan = try fleetform(["plan", "--template", template, "--detailed-exitcode", "--skip-preflight"])
        #expect(plan.exitCode == 0, "\(plan.stdout)\(plan.stderr)")
        #expect(plan.stdout.contains("plan total: +0 ~0 -0 in 0 of 4 accounts"))

        // Another template would replace what this one made: refused unless asked for.
        let switched = try fleetform(["apply", "--skip-preflight"])
        #expect(switched.exitCode == 64)
        #expect(switched.stderr.contains("4 selected accounts (\(ids[0]) first) were applied with the template \(template)"),
                "\(switched.stderr)")

        let destroyWithoutYes = try fleetform(["destroy", "--template", template])
        #expect(destroyWithoutYes.exitCode == 64)
        #expect(destroyWithoutYes.stderr.contains("without --yes"))
        let destroy = try fleetform(["destroy", "--template", template, "--yes", "--account", ids[0], "--skip-preflight"])
        #expect(destroy.exitCode == 0)
        #expect(try statusJSON().first { $0["account_id"] as? String == ids[0] }?["status"] as? String == "destroyed")
    }

    /// An account whose apply fails waits for its Akeyless sync (`pending`), and `retry`
    /// syncs it once its role is there; a sync that fails is retried by `retry` too, with
    /// no terraform left to run.
    @Test func akeylessFailuresAreRecordedAndRetried() throws {
        let akeyless = try AkeylessStandIn.start()
        defer { akeyless.stop() }
        var env = environment
        env["AKEYLESS_API_URL"] = akeyless.url
        env["AKEYLESS_ACCESS_ID"] = akeyless.configuration.accessID
        env["AKEYLESS_ACCESS_KEY"] = akeyless.configuration.accessKey
        func run(_ arguments: [String]) throws -> FleetformProcess.Result {
            try FleetformProcess.run(arguments, environment: env)
        }
        func akeylessOf(_ id: String) throws -> [String: Any]? {
            try statusJSON().first { $0["account_id"] as? String == id }?["akeyless"] as? [String: Any]
        }

        try control.fail(ids[1])
        let apply = try run(["apply", "--akeyless", "--json", "--template", template, "--skip-preflight"])
        #expect(apply.exitCode == 1, "\(apply.stdout)\(apply.stderr)")
        // --json: one document on stdout, progress and the summaries on stderr.
        #expect(apply.stderr.contains("akeyless sync: 3 accounts: 3 synced"), "\(apply.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(apply.stdout.utf8)) as? [String: Any],
                                    "\(apply.stdout)")
        #expect(document["command"] as? String == "apply")
        #expect(document["outcome"] as? String == "failed")
        #expect(document["counts"] as? [String: Int] == ["succeeded": 3, "failed": 1, "interrupted": 0, "skipped": 0])
        let failedAccount = (document["accounts"] as? [[String: Any]])?.first { $0["status"] as? String == "failed" }
        #expect(failedAccount?["account_id"] as? String == ids[1])
        #expect((failedAccount?["error"] as? String)?.contains("AccessDenied") == true)
        let synced = try #require(document["akeyless"] as? [String: Any])
        #expect(synced["synced"] as? Int == 3)
        #expect(synced["failed"] as? Int == 0)
        #expect(synced["writes"] as? Int == 4)
        let waiting = try #require(try akeylessOf(ids[1]))
        #expect(waiting["status"] as? String == "pending")
        #expect(waiting["access_id"] is NSNull)
        #expect((waiting["error"] as? String)?.contains("its apply did not succeed") == true)
        #expect(try akeylessOf(ids[0])?["status"] as? String == "synced")
        #expect(try akeyless.state().target("/fleetform/aws/\(ids[1])") == nil)

        try control.heal(ids[1])
        let retry = try run(["retry", "--skip-preflight"])
        #expect(retry.exitCode == 0, "\(retry.stdout)\(retry.stderr)")
        #expect(retry.stdout.contains("akeyless sync: 1 accounts: 1 synced"), "\(retry.stdout)")
        #expect(try akeylessOf(ids[1])?["status"] as? String == "synced")
        #expect(Set(try akeyless.state().authMethod("/fleetform/aws-gateways")?.boundAWSAccountIDs ?? []) == Set(ids))

        // A sync that fails is recorded per account, and retry syncs it again with no
        // terraform left to run.
        var configuration = akeyless.configuration
        configuration.faultPercent = 100
        configuration.faultStatuses = [400]
        configuration.faultOperations = ["target-get-details"]
        try akeyless.setConfiguration(configuration)
        try akeyless.deleteTarget("/fleetform/aws/\(ids[2])")
        let failing = try run(["akeyless", "sync", "--account", ids[2], "--account", ids[3]])
        #expect(failing.exitCode == 1, "\(failing.stdout)\(failing.stderr)")
        #expect(failing.stdout.contains("2 accounts not synced:"), "\(failing.stdout)")
        let failed = try #require(try akeylessOf(ids[2]))
        #expect(failed["status"] as? String == "failed")
        #expect((failed["error"] as? String)?.hasPrefix("target /fleetform/aws/\(ids[2]): injected fault: HTTP 400") == true,
                "\(failed)")
        #expect(failed["access_id"] as? String != nil, "an earlier sync's access id stays")
        // Without Akeyless credentials retry says so and leaves them for later.
        var anonymous = env
        anonymous["AKEYLESS_ACCESS_ID"] = nil
        let later = try FleetformProcess.run(["retry", "--skip-preflight"], environment: anonymous)
        #expect(later.exitCode == 0, "\(later.stdout)\(later.stderr)")
        #expect(later.stderr.contains("2 accounts wait for an Akeyless sync"), "\(later.stderr)")

        configuration.faultPercent = 0
        try akeyless.setConfiguration(configuration)
        let before = control.executions().count
        let resync = try run(["retry", "--skip-preflight"])
        #expect(resync.exitCode == 0, "\(resync.stdout)\(resync.stderr)")
        #expect(resync.stdout.contains("akeyless sync: 2 accounts: 2 synced (targets: 1 created, 0 updated, 1 unchanged)"),
                "\(resync.stdout)")
        #expect(control.executions().count == before, "no terraform ran")
        #expect(try statusJSON().allSatisfy { ($0["akeyless"] as? [String: Any])?["status"] as? String == "synced" })
        #expect(try akeyless.state().target("/fleetform/aws/\(ids[2])") != nil)

        // A destroy releases first; when terraform then fails, the account (role still
        // there) is recorded pending instead of silently unregistered, and a sync
        // registers it again.
        // (An unreadable state makes terraform destroy fail after the release.)
        let state = fleet.stateFile(ids[0])
        #expect(FileManager.default.fileExists(atPath: state.path))
        try Data("not a state".utf8).write(to: state)
        let destroy = try run(["destroy", "--template", template, "--yes", "--account", ids[0], "--skip-preflight"])
        #expect(destroy.exitCode == 1, "\(destroy.stdout)\(destroy.stderr)")
        #expect(try akeyless.state().target("/fleetform/aws/\(ids[0])") == nil)
        let orphan = try #require(try akeylessOf(ids[0]))
        #expect(orphan["status"] as? String == "pending")
        #expect((orphan["error"] as? String)?.contains("destroy that did not finish") == true, "\(orphan)")
        let again = try run(["akeyless", "sync", "--account", ids[0]])
        #expect(again.exitCode == 0, "\(again.stdout)\(again.stderr)")
        #expect(try akeyless.state().target("/fleetform/aws/\(ids[0])") != nil)
        #expect(try akeylessOf(ids[0])?["status"] as? String == "synced")
    }

    @Test func badTemplatesAndSelectionsAreRefusedBeforeAnyRun() throws {
        let noRoleARN = RepositoryFiles.url("Tests/Fixtures/templates/no-role-arn").path
        let refused = try fleetform(["apply", "--template", noRoleARN, "--skip-preflight"])
        #expect(refused.exitCode == 65)
        #expect(refused.stderr.contains("has no output \"role_arn\""))
        let unknown = try fleetform(["apply", "--template", template, "--account", "999999999999", "--skip-preflight"])
        #expect(unknown.exitCode == 64)
        #expect(unknown.stderr.contains("--account 999999999999: no such account in the inventory"))
        let badID = try fleetform(["apply", "--account", "12"])
        #expect(badID.exitCode == 64)
        // A selection that leaves nothing is a usage error naming the filter, on every command.
        let noneLeft = try fleetform(["apply", "--template", template, "--ou", "Root/Apps", "--exclude-account", ids[0],
                                      "--exclude-account", ids[1], "--exclude-account", ids[2], "--exclude-account", ids[3],
                                      "--skip-preflight"])
        #expect(noneLeft.exitCode == 64)
        #expect(noneLeft.stderr.contains("--exclude-account \(ids[0]) --exclude-account \(ids[1])"), "\(noneLeft.stderr)")
        #expect(noneLeft.stderr.contains(": no account left of the 4 selected by --ou Root/Apps"), "\(noneLeft.stderr)")
        let excludedAll = try fleetform(["status", "--exclude-ou", "Root/Apps"])
        #expect(excludedAll.exitCode == 64)
        #expect(excludedAll.stderr.contains("--exclude-ou Root/Apps: no account left of the 4"), "\(excludedAll.stderr)")
        let narrowed = try fleetform(["status", "--json", "--exclude-account", ids[0]])
        #expect(narrowed.exitCode == 0)
        #expect(!narrowed.stdout.contains(ids[0]) && narrowed.stdout.contains(ids[1]))
        #expect(try fleetform(["export", "--exclude-account", "12"]).exitCode == 64)
        #expect(try fleetform(["export", "--ou", "Root/Nowhere"]).stderr.contains("--ou Root/Nowhere: no enabled account matches"))
        // --tag is on every command that selects; an empty key is a usage error naming the flag.
        for command in [["status"], ["export"], ["verify"], ["preflight"], ["akeyless", "sync"], ["plan"], ["apply"], ["retry"],
                        ["destroy", "--yes"]] {
            let emptyKey = try fleetform(command + ["--tag", "=payments"])
            #expect(emptyKey.exitCode == 64, "\(command)")
            #expect(emptyKey.stderr.contains("--tag =payments: the tag key must not be empty; give KEY=VALUE or KEY"),
                    "\(command): \(emptyKey.stderr)")
        }
        let noTagged = try fleetform(["status", "--ou", "Root/Apps", "--tag", "team=nobody"])
        #expect(noTagged.exitCode == 64)
        #expect(noTagged.stderr.contains("--tag team=nobody: no account left of the 4 selected by --ou Root/Apps"), "\(noTagged.stderr)")
        let badTolerance = try fleetform(["apply", "--failure-tolerance", "lots"])
        #expect(badTolerance.exitCode == 64)
        // --adopt needs the template to say which resource is which IAM object.
        let noManifest = try fleetform(["apply", "--template", template, "--adopt", "--skip-preflight"])
        #expect(noManifest.exitCode == 64)
        #expect(noManifest.stderr.contains("--adopt: the template \(URL(fileURLWithPath: template).standardizedFileURL.path) has no fleetform-adoption.json"),
                "\(noManifest.stderr)")
        let broken = try TemporaryDirectory("fleetform-bad-manifest")
        try broken.write("main.tf", "output \"role_arn\" {\n  value = \"x\"\n}\n")
        try broken.write("fleetform-adoption.json", #"{"format": 1, "objects": [{"kind": "role", "address": "aws_iam_role.this", "name": "${nope}"}]}"#)
        let badManifest = try fleetform(["plan", "--template", broken.path, "--adopt", "--skip-preflight"])
        #expect(badManifest.exitCode == 65)
        #expect(badManifest.stderr.contains("fleetform-adoption.json: objects[0].name: ${nope} is not a variable of the template"),
                "\(badManifest.stderr)")
        #expect(try fleetform(["runs", "--json"]).stdout == "{\"runs\": []}\n")
    }

    @Test func ctrlCInterruptsCleanlyAndRetryFinishes() throws {
        try control.sleepAll(seconds: 60)
        let running = try RunningFleetform(["apply", "--template", template, "--parallel", "2", "--grace-period", "20", "--skip-preflight"],
                                           environment: environment)
        #expect(control.waitForStarts(2))
        // A second run is refused while this one lives; reads keep working.
        let second = try fleetform(["apply", "--template", template, "--skip-preflight"])
        #expect(second.exitCode == 1)
        #expect(second.stderr.contains("is still running"))
        #expect(try fleetform(["status", "--json"]).exitCode == 0)

        running.signal(SIGINT)
        let code = running.wait(timeout: 40)
        #expect(code == 130, "stdout: \(running.stdout) stderr: \(running.stderr)")
        #expect(running.stdout.contains("Stopping: no new accounts will start"))
        #expect(running.stdout.contains("4 accounts did not finish"))
        #expect(try statusJSON().allSatisfy { $0["status"] as? String == "interrupted" })
        #expect(try terraformProcesses().isEmpty, "terraform processes left behind")
        // The interrupted applies saved their state, and it is intact JSON.
        for id in ids.prefix(2) where control.executions().contains(where: { $0.account == id }) {
            let state = fleet.stateFile(id)
            let data = try Data(contentsOf: state)
            #expect((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["version"] as? Int == 4)
        }

        try FileManager.default.removeItem(at: control.directory.url.appendingPathComponent("sleep"))
        let retry = try fleetform(["retry", "--skip-preflight"])
        #expect(retry.exitCode == 0, "\(retry.stdout)\(retry.stderr)")
        #expect(try statusJSON().allSatisfy { $0["status"] as? String == "succeeded" })
    }

    @Test func killDashNineThenApplyFinishesEveryAccountExactlyOnce() throws {
        try control.sleepAll(seconds: 3)
        let running = try RunningFleetform(["apply", "--template", template, "--parallel", "2", "--skip-preflight"],
                                           environment: environment)
        #expect(control.waitForStarts(2))
        running.signal(SIGKILL)
        #expect(running.wait() == 137)

        // The next command closes the dead run, waits for its surviving terraform, and finishes the rest.
        let apply = try fleetform(["apply", "--template", template, "--parallel", "2", "--skip-preflight"])
        #expect(apply.exitCode == 0, "\(apply.stdout)\(apply.stderr)")
        #expect(apply.stderr.contains("was cut off"))
        #expect(try statusJSON().allSatisfy { $0["status"] as? String == "succeeded" })
        #expect(control.appliedCounts() == Dictionary(uniqueKeysWithValues: ids.map { ($0, 1) }),
                "each account's resources must be created exactly once")
        let runs = try fleetform(["runs"]).stdout
        #expect(runs.contains("interrupted"))
    }

    /// terraform processes whose working directory is under this test's home.
    private func terraformProcesses() throws -> [Int32] {
        let root = fleet.scratch.url.standardizedFileURL.path
        return try FileManager.default.contentsOfDirectory(atPath: "/proc").compactMap { Int32($0) }.filter { pid in
            guard let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") else { return false }
            return cwd.hasPrefix(root)
        }
    }
}
