import Foundation
import Testing
import TestSupport

/// Defects an adversarial review reproduced with the built binary: zombie survivors,
/// first-use races, readers and the run lock, read-only homes, preflight for templates
/// that assume no role. Each test fails on the code before its fix.
@Suite(.serialized) struct HardeningEndToEndTests {
    private let home: TemporaryDirectory
    private let control: FixtureControl
    private let template = FixtureControl.scriptedTemplate.path
    private let ids = (1...4).map { String(format: "3000000000%02d", $0) }
    private let inventoryFile: String

    init() throws {
        home = try TemporaryDirectory("fleetform-hardening")
        control = try FixtureControl()
        let inventory = """
            {"management_account_id": "123456789012", "defaults": {"region": "us-east-1"},
             "accounts": [\(ids.map { #"{"id": "\#($0)", "name": "svc-\#($0.suffix(2))", "ou_path": "Root/Svc"}"# }.joined(separator: ","))]}
            """
        inventoryFile = try home.write("inventory.json", inventory)
    }

    private var fleetHome: URL { home.url.appendingPathComponent("home") }

    private var environment: [String: String] {
        var env = control.environment
        env["FLEETFORM_HOME"] = fleetHome.path
        return env
    }

    private func fleetform(_ arguments: [String], home: URL? = nil) throws -> FleetformProcess.Result {
        var env = environment
        if let home { env["FLEETFORM_HOME"] = home.path }
        return try FleetformProcess.run(arguments, environment: env)
    }

    private func statusJSON() throws -> [[String: Any]] {
        let result = try fleetform(["status", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return object?["accounts"] as? [[String: Any]] ?? []
    }

    /// A terraform that finished after fleetform was killed, under a parent that never
    /// reaps it, is a zombie: `kill(pid, 0)` works and its start time still matches.
    /// The next apply must see that it has finished, not wait for it without end.
    @Test func aZombieSurvivorDoesNotBlockTheNextApply() throws {
        #expect(try fleetform(["inventory", "import", inventoryFile]).exitCode == 0)
        try control.sleepAll(seconds: 3)
        let harness = RepositoryFiles.url("Tests/Fixtures/subreaper.py").path
        let running = try RunningFleetform(
            ["apply", "--template", template, "--parallel", "2", "--skip-preflight"],
            environment: environment, launcher: ["/usr/bin/env", "python3", harness])
        defer {
            running.signal(SIGKILL)
            _ = running.wait(timeout: 10)
        }
        #expect(control.waitForStarts(2))
        let fleetformPID = try #require(Int32(running.stdout.split(separator: "\n").first ?? ""))
        kill(fleetformPID, SIGKILL)

        // Both terraform finish on their own and stay unreaped under the subreaper.
        let deadline = Date().addingTimeInterval(60)
        var zombies: [Int32] = []
        while Date() < deadline {
            zombies = zombieChildren(of: running.pid).filter { $0 != fleetformPID }
            if zombies.count >= 2 { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(zombies.count >= 2, "expected the two terraform to be zombies of the subreaper")

        let started = Date()
        let again = try RunningFleetform(["apply", "--template", template, "--parallel", "2", "--skip-preflight"],
                                         environment: environment)
        let code = again.wait(timeout: 60)
        if code == nil { again.signal(SIGKILL) }
        #expect(code == 0, "apply after the kill: \(again.stdout)\(again.stderr)")
        #expect(Date().timeIntervalSince(started) < 60)
        #expect(try statusJSON().allSatisfy { $0["status"] as? String == "succeeded" })
        #expect(control.appliedCounts() == Dictionary(uniqueKeysWithValues: ids.map { ($0, 1) }),
                "each account's resources must be created exactly once")
    }

    /// On a fresh home, commands started together used to race creating the tables.
    @Test func firstUseFromSeveralCommandsAtOnceNeverFails() throws {
        for repetition in 1...20 {
            let fresh = home.url.appendingPathComponent("fresh-\(repetition)")
            var env = environment
            env["FLEETFORM_HOME"] = fresh.path
            let commands = [["inventory", "import", inventoryFile], ["status", "--json"], ["inventory", "list", "--json"]]
            let processes = try commands.map { try RunningFleetform($0, environment: env) }
            for (command, process) in zip(commands, processes) {
                let code = process.wait(timeout: 60)
                #expect(code == 0, "repetition \(repetition), \(command.joined(separator: " ")): \(process.stderr)")
            }
            #expect(try fleetform(["inventory", "list", "--json"], home: fresh).stdout.contains(ids[0]))
        }
    }

    /// `status`, `runs` and `verify` must never take the run lock: an apply starting in
    /// that moment was refused.
    @Test func readersNeverTouchTheRunLock() throws {
        #expect(try fleetform(["inventory", "import", inventoryFile]).exitCode == 0)
        for command in [["status"], ["status", "--json"], ["runs"], ["runs", "--json"]] {
            #expect(try fleetform(command).exitCode == 0)
        }
        #expect(!FileManager.default.fileExists(atPath: fleetHome.appendingPathComponent("run.lock").path),
                "a read command created (and so locked) run.lock")
    }

    /// `status` on a home this user may only read (a copy, a mounted backup).
    @Test func statusWorksOnAReadOnlyHome() throws {
        #expect(try fleetform(["inventory", "import", inventoryFile]).exitCode == 0)
        #expect(try fleetform(["apply", "--template", template, "--skip-preflight", "--account", ids[0]]).exitCode == 0)
        var arguments = ["status", "--json"]
        let binary = try FleetformProcess.binary.path
        var runner: [String] = []
        if getuid() == 0 {
            // root ignores permissions: read it as nobody instead.
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: home.url.path)
            try chmod(fleetHome, directories: 0o755, files: 0o644)
            runner = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", binary]
        } else {
            try chmod(fleetHome, directories: 0o555, files: 0o444)
            runner = [binary]
        }
        defer { try? chmod(fleetHome, directories: 0o700, files: 0o600) }
        arguments = runner.dropFirst() + arguments
        let process = Process()
        process.executableURL = URL(fileURLWithPath: runner[0])
        process.arguments = arguments
        process.environment = ["FLEETFORM_HOME": fleetHome.path, "PATH": "/usr/bin:/bin"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "status on a read-only home: \(stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any]
        let accounts = object?["accounts"] as? [[String: Any]] ?? []
        #expect(accounts.first { $0["account_id"] as? String == ids[0] }?["status"] as? String == "succeeded")
        #expect(accounts.count == ids.count)
    }

    /// A template without an `access_role_name` variable never assumes an access role:
    /// preflight is skipped for it (and needs no AWS credentials), and the header says so.
    @Test func preflightIsSkippedForTemplatesThatAssumeNoRole() throws {
        #expect(try fleetform(["inventory", "import", inventoryFile]).exitCode == 0)
        var env = environment
        env["AWS_CONFIG_FILE"] = home.url.appendingPathComponent("no-config").path
        env["AWS_SHARED_CREDENTIALS_FILE"] = home.url.appendingPathComponent("no-credentials").path
        let plain = RepositoryFiles.url("Tests/Fixtures/templates/no-access-role").path
        let apply = try FleetformProcess.run(["apply", "--template", plain, "--parallel", "2"], environment: env)
        #expect(apply.exitCode == 0, "\(apply.stdout)\(apply.stderr)")
        #expect(apply.stdout.contains(
            "preflight: skipped for 4 accounts: the template \(plain) declares no access_role_name variable"))
        #expect(try statusJSON().allSatisfy { $0["status"] as? String == "succeeded" })
    }

    /// `logs ACCOUNT` after a job that ran no terraform shows why, then the latest
    /// terraform log; it used to say only "no log" and exit 1.
    @Test func logsExplainAJobThatRanNoTerraform() throws {
        #expect(try fleetform(["inventory", "import", inventoryFile]).exitCode == 0)
        let first = try fleetform(["apply", "--template", template, "--skip-preflight", "--account", ids[0]])
        #expect(first.exitCode == 0, "\(first.stderr)")
        // Up to date: the re-run skips it; logs shows that, then the earlier log.
        #expect(try fleetform(["apply", "--template", template, "--skip-preflight", "--account", ids[0]]).exitCode == 0)
        let skipped = try fleetform(["logs", ids[0]])
        #expect(skipped.exitCode == 0, "\(skipped.stderr)")
        #expect(skipped.stdout.contains("skipped this account (up to date); terraform did not run"))
        #expect(skipped.stdout.contains("# fleetform: the latest terraform log is of run "))
        #expect(skipped.stdout.contains("terraform apply -auto-approve"))

        // A job that failed before terraform (its workspace holds an errored.tfstate).
        let workspace = fleetHome.appendingPathComponent("workspaces/\(ids[1])")
        try FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: workspace.appendingPathComponent("errored.tfstate"))
        #expect(try fleetform(["apply", "--template", template, "--skip-preflight", "--account", ids[1]]).exitCode == 1)
        let failed = try fleetform(["logs", ids[1]])
        #expect(failed.exitCode == 0, "\(failed.stderr)")
        #expect(failed.stdout.contains("failed before terraform ran: cannot render the workspace"), "\(failed.stdout)")
        #expect(failed.stdout.contains("no job of this account has run terraform yet"))
        // --run keeps its meaning: exactly that run's job.
        let runs = try JSONSerialization.jsonObject(with: Data(try fleetform(["runs", "--json"]).stdout.utf8)) as? [String: Any]
        let latestRun = try #require(((runs?["runs"] as? [[String: Any]])?.first)?["run_id"] as? String)
        let inRun = try fleetform(["logs", ids[1], "--run", latestRun])
        #expect(inRun.exitCode == 1)
        #expect(inRun.stderr.contains("no log (the job failed without running terraform"))
    }

    /// A name that a spreadsheet would run as a formula reaches CSV output neutralised.
    @Test func csvCellsCannotCarryFormulas() throws {
        let file = try home.write("formula.json", #"""
            {"management_account_id": "123456789012", "defaults": {"region": "us-east-1"},
             "accounts": [{"id": "300000000009", "name": "=HYPERLINK(\"http://x\",\"y\")", "ou_path": "Root/Svc"}]}
            """#)
        #expect(try fleetform(["inventory", "import", file]).exitCode == 0)
        #expect(try fleetform(["apply", "--template", template, "--skip-preflight"]).exitCode == 0)
        let neutralised = #""'=HYPERLINK(""http://x"",""y"")""#
        let status = try fleetform(["status", "--csv"])
        #expect(status.stdout.contains("300000000009,\(neutralised),Root/Svc,"), "\(status.stdout)")
        let export = try fleetform(["export", "--format", "csv"])
        #expect(export.stdout.contains("300000000009,\(neutralised),Root/Svc,"), "\(export.stdout)")
        #expect(!export.stdout.contains(",=HYPERLINK"))
    }

    private func zombieChildren(of parent: Int32) -> [Int32] {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { Int32($0) } ?? []
        return pids.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && fields[0] == "Z" && Int32(fields[1]) == parent
        }
    }

    private func chmod(_ directory: URL, directories: Int, files: Int) throws {
        let manager = FileManager.default
        try manager.setAttributes([.posixPermissions: directories], ofItemAtPath: directory.path)
        guard let walker = manager.enumerator(atPath: directory.path) else { return }
        for case let relative as String in walker {
            let path = directory.appendingPathComponent(relative).path
            let attributes = try manager.attributesOfItem(atPath: path)
            if attributes[.type] as? FileAttributeType == .typeSymbolicLink { continue }
            let isDirectory = attributes[.type] as? FileAttributeType == .typeDirectory
            try manager.setAttributes([.posixPermissions: isDirectory ? directories : files], ofItemAtPath: path)
        }
    }
}
