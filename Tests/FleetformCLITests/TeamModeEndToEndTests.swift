import Foundation
import Testing
import TestSupport

/// Team mode through the built binary, as issue 13 asks: the inventory and the queue in
/// PostgreSQL, the state in moto's S3, `apply --enqueue` from one home, two workers each
/// with its own home and working directory (as on two machines), one of them killed with
/// -9 while it holds jobs, and a third home that only reads the record.
@Suite(.serialized) struct TeamModeEndToEndTests {
    private let scratch: TemporaryDirectory
    private let control: FixtureControl
    private let moto: MotoServer
    private let databaseURL: String
    private let bucket = "team-state"
    private let prefix = "fleet"
    private let ids = (1...40).map { String(format: "4100000000%02d", $0) }

    init() throws {
        scratch = try TemporaryDirectory("fleetform-team-e2e")
        control = try FixtureControl()
        moto = try MotoServer.start()
        try moto.createBucket(bucket)
        databaseURL = try PostgresServer.shared().freshDatabase("team")
    }

    private func directory(_ name: String) throws -> URL {
        let url = scratch.url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// What every machine has: the database URL, AWS credentials for the state bucket
    /// (moto's), and its own home.
    private func environment(home: String) throws -> [String: String] {
        var env = control.environment
        env["FLEETFORM_HOME"] = try directory("\(home)/home").path
        env["FLEETFORM_DATABASE_URL"] = databaseURL
        env["AWS_ENDPOINT_URL"] = moto.endpoint
        env["AWS_ACCESS_KEY_ID"] = "testing"
        env["AWS_SECRET_ACCESS_KEY"] = "testing"
        env["AWS_REGION"] = "us-east-1"
        env["AWS_CONFIG_FILE"] = "/dev/null"
        env["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        return env
    }

    private func fleetform(_ arguments: [String], home: String) throws -> FleetformProcess.Result {
        try FleetformProcess.run(arguments, environment: try environment(home: home))
    }

    private func worker(_ name: String, _ extra: [String]) throws -> RunningFleetform {
        var env = try environment(home: name)
        // A short lease, from the variable a systemd unit or a pod spec would set.
        env["FLEETFORM_WORKER_LEASE_SECONDS"] = "3"
        // A long poll: workers are woken by LISTEN/NOTIFY, the poll is only a fallback.
        return try RunningFleetform(["worker", "--poll-milliseconds", "5000", "--retry-base-seconds", "0.2"] + extra,
                                    environment: env, workingDirectory: try directory("\(name)/cwd"))
    }

    @Test func fortyAccountsTwoWorkersInSeparateHomesOneKilledStateInS3() throws {
        let accounts = ids.enumerated().map { index, id in
            #"{"id": "\#(id)", "name": "team-\#(index + 1)", "ou_path": "Root/\#(index < 20 ? "Prod" : "Dev")"}"#
        }
        let file = try scratch.write("inventory.json", """
            {"management_account_id": "123456789012", "defaults": {"region": "us-east-1"},
             "accounts": [\(accounts.joined(separator: ",\n"))]}
            """)
        let imported = try fleetform(["inventory", "import", file], home: "enqueuer")
        try #require(imported.exitCode == 0, "\(imported.stderr)")

        // The first worker's three applies sleep long: it is killed while it holds them,
        // and their terraform (in its own session) outlives it and its 3 s lease.
        try control.sleepAll(seconds: 15)
        let enqueuer = try RunningFleetform(
            ["apply", "--enqueue", "--template", FixtureControl.scriptedTemplate.path, "--skip-preflight",
             "--state", "s3://\(bucket)/\(prefix)"],
            environment: try environment(home: "enqueuer"), workingDirectory: try directory("enqueuer/cwd"))
        let doomed = try worker("worker-a", ["--parallel", "3"])
        #expect(control.waitForStarts(3, timeout: 120), "worker-a: \(doomed.stdout)\(doomed.stderr)")
        // The second works alongside it, quickly, then the first is killed mid-run.
        try control.sleepAll(seconds: 0.2)
        let survivor = try worker("worker-b", ["--parallel", "3", "--idle-exit", "5"])
        let deadline = Date().addingTimeInterval(60)
        while control.appliedCounts().count < 3, Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        #expect(control.appliedCounts().count >= 3, "worker-b: \(survivor.stdout)\(survivor.stderr)")
        doomed.signal(SIGKILL)
        #expect(doomed.wait() == 137)

        let code = enqueuer.wait(timeout: 600)
        #expect(code == 0, "stdout: \(enqueuer.stdout)\nstderr: \(enqueuer.stderr)\nworker-b: \(survivor.stdout)\(survivor.stderr)")
        #expect(survivor.wait(timeout: 60) == 0, "worker-b: \(survivor.stdout)\(survivor.stderr)")

        #expect(control.appliedCounts() == Dictionary(uniqueKeysWithValues: ids.map { ($0, 1) }),
                "each account's resources must be created exactly once")
        let keys = try moto.objectKeys(bucket: bucket)
        #expect(keys == ids.map { "\(prefix)/\($0)/terraform.tfstate" }.sorted(), "\(keys)")
        #expect(!keys.contains { $0.hasSuffix(".tflock") }, "a lock file was left behind: \(keys)")

        // The killed worker's jobs came back when its lease ran out, and the other worker
        // waited for their terraform (which outlives its worker) before running them.
        #expect(survivor.stdout.contains("wait "), "\(survivor.stdout)")
        let runs = try ScriptedFleet.object(try fleetform(["runs", "--json"], home: "reader").stdout)["runs"] as? [[String: Any]]
        #expect(runs?.first?["succeeded"] as? Int == 40)
        #expect(runs?.first?["interrupted"] as? Int == 0)

        // A third machine sees the whole record.
        let status = try fleetform(["status", "--json"], home: "reader")
        #expect(status.exitCode == 0, "\(status.stderr)")
        let rows = try ScriptedFleet.object(status.stdout)["accounts"] as? [[String: Any]] ?? []
        let recorded = Dictionary(uniqueKeysWithValues: rows.map { ($0["account_id"] as? String ?? "", $0["status"] as? String ?? "") })
        #expect(recorded == Dictionary(uniqueKeysWithValues: ids.map { ($0, "succeeded") }))
        // Those jobs' first attempt is recorded, interrupted with the lease.
        let retaken = rows.filter { ($0["attempts"] as? Int ?? 0) >= 2 }.count
        #expect(retaken == 3, "\(rows.map { ($0["account_id"] ?? "", $0["attempts"] ?? "") })")
        // On this one machine the workers' log files could be read by path; a third
        // machine has none of them, so take them away.
        for name in ["worker-a", "worker-b", "enqueuer"] {
            try? FileManager.default.removeItem(at: scratch.url.appendingPathComponent("\(name)/home/logs"))
        }
        let logs = try fleetform(["logs", ids[0]], home: "reader")
        #expect(logs.exitCode == 0, "\(logs.stderr)")
        #expect(logs.stdout.contains("the full log is"), "\(logs.stdout)")
        #expect(logs.stdout.contains("/worker-b/home/logs/") || logs.stdout.contains("/worker-a/home/logs/"), "\(logs.stdout)")
        #expect(logs.stdout.contains("on host \(Self.hostName)"), "\(logs.stdout)")
        #expect(logs.stdout.contains("Apply complete!"), "\(logs.stdout)")
    }

    @Test func aTerraformRecordedOnAnotherHostDefersToTheLeaseAndTheS3Lock() throws {
        let few = Array(ids.prefix(3))
        let file = try scratch.write("inventory.json", """
            {"management_account_id": "123456789012", "defaults": {"region": "us-east-1"},
             "accounts": [\(few.map { #"{"id": "\#($0)", "name": "far-\#($0.suffix(2))", "ou_path": "Root/Far"}"# }
                .joined(separator: ","))]}
            """)
        try #require(try fleetform(["inventory", "import", file], home: "enqueuer").exitCode == 0)
        let enqueuer = try RunningFleetform(
            ["apply", "--enqueue", "--template", FixtureControl.scriptedTemplate.path, "--skip-preflight",
             "--state", "s3://\(bucket)/\(prefix)"],
            environment: try environment(home: "enqueuer"), workingDirectory: try directory("enqueuer/cwd"))
        let deadline = Date().addingTimeInterval(60)
        while !enqueuer.stdout.contains("queued for"), Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        // As a worker on another machine leaves it when it is killed mid-apply: its
        // terraform's pid, on its host, which no machine but that one can look at.
        let database = String(databaseURL.split(separator: "/").last ?? "")
        try PostgresServer.shared().psql("""
            UPDATE jobs SET terraform_pid = 4242, terraform_started = 1, terraform_host = 'far-away-host'
            WHERE account_id = '\(few[0])'
            """, database: database)
        let worker = try worker("worker-a", ["--parallel", "2", "--idle-exit", "3"])

        #expect(enqueuer.wait(timeout: 180) == 0, "stdout: \(enqueuer.stdout)\nstderr: \(enqueuer.stderr)")
        #expect(worker.wait(timeout: 60) == 0, "worker: \(worker.stdout)\(worker.stderr)")
        #expect(!worker.stdout.contains("a home must not be shared"), "\(worker.stdout)")
        #expect(control.appliedCounts() == Dictionary(uniqueKeysWithValues: few.map { ($0, 1) }))
        let keys = try moto.objectKeys(bucket: bucket)
        #expect(keys == few.map { "\(prefix)/\($0)/terraform.tfstate" }.sorted(), "\(keys)")
    }

    /// A machine lost mid-apply: its worker and that worker's terraform die together
    /// (SIGKILL to the worker and to terraform's process group), and the `.tflock` object
    /// the terraform wrote stays in S3. Answers the enqueuing command, the lock's key and
    /// the id worker-a recorded for it.
    private func loseAMachineMidApply(
        account: String, maxAttempts: Int
    ) throws -> (enqueuer: RunningFleetform, lockKey: String, lockID: String) {
        let file = try scratch.write("inventory.json", """
            {"management_account_id": "123456789012", "defaults": {"region": "us-east-1"},
             "accounts": [{"id": "\(account)", "name": "lost-\(account.suffix(2))", "ou_path": "Root/Lost"}]}
            """)
        try #require(try fleetform(["inventory", "import", file], home: "enqueuer").exitCode == 0)
        try control.sleepAll(seconds: 120)
        let enqueuer = try RunningFleetform(
            ["apply", "--enqueue", "--template", FixtureControl.scriptedTemplate.path, "--skip-preflight",
             "--state", "s3://\(bucket)/\(prefix)", "--max-attempts", "\(maxAttempts)"],
            environment: try environment(home: "enqueuer"), workingDirectory: try directory("enqueuer/cwd"))
        let doomed = try worker("worker-a", ["--parallel", "1"])
        try #require(control.waitForStarts(1, timeout: 120), "worker-a: \(doomed.stdout)\(doomed.stderr)")

        // Terraform holds the lock while its apply sleeps; worker-a reads and records its id.
        let lockKey = "\(prefix)/\(account)/terraform.tfstate.tflock"
        try #require(try moto.objectKeys(bucket: bucket).contains(lockKey))
        let lock = try #require(try ScriptedFleet.object(try moto.object(bucket: bucket, key: lockKey))["ID"] as? String)
        let postgres = try PostgresServer.shared()
        let database = String(databaseURL.split(separator: "/").last ?? "")
        let deadline = Date().addingTimeInterval(30)
        var recorded = ""
        while recorded != lock, Date() < deadline {
            recorded = try postgres.value("SELECT coalesce(state_lock_id, '') FROM jobs WHERE account_id = '\(account)'",
                                          database: database)
            if recorded != lock { Thread.sleep(forTimeInterval: 0.2) }
        }
        try #require(recorded == lock, "worker-a did not record the lock it holds: \(doomed.stdout)\(doomed.stderr)")
        let terraform = try #require(Int32(try postgres.value(
            "SELECT terraform_pid FROM jobs WHERE account_id = '\(account)'", database: database)))

        // The machine is lost: the worker and its terraform (with the provisioner) at once.
        doomed.signal(SIGKILL)
        kill(-terraform, SIGKILL)
        #expect(doomed.wait() == 137)
        let gone = Date().addingTimeInterval(10)
        while kill(terraform, 0) == 0, Date() < gone { Thread.sleep(forTimeInterval: 0.1) }
        try #require(try moto.objectKeys(bucket: bucket).contains(lockKey), "the killed terraform's lock must stay in S3")
        try control.sleepAll(seconds: 0.2)
        return (enqueuer, lockKey, lock)
    }

    @Test func aLockLeftByALostMachineIsReleasedByTheIDItsWorkerRecorded() throws {
        let account = ids[0]
        let lost = try loseAMachineMidApply(account: account, maxAttempts: 3)
        let survivor = try worker("worker-b", ["--parallel", "1", "--idle-exit", "5"])

        #expect(lost.enqueuer.wait(timeout: 240) == 0,
                "stdout: \(lost.enqueuer.stdout)\nstderr: \(lost.enqueuer.stderr)\nworker-b: \(survivor.stdout)\(survivor.stderr)")
        #expect(survivor.wait(timeout: 60) == 0, "worker-b: \(survivor.stdout)\(survivor.stderr)")
        #expect(survivor.stdout.contains("unlock   \(account)  released the stale state lock \(lost.lockID) of "),
                "\(survivor.stdout)")
        let keys = try moto.objectKeys(bucket: bucket)
        #expect(keys == ["\(prefix)/\(account)/terraform.tfstate"], "the stale lock must be gone: \(keys)")
        #expect(control.appliedCounts() == [account: 1])

        let status = try fleetform(["status", "--json"], home: "reader")
        let row = (try ScriptedFleet.object(status.stdout)["accounts"] as? [[String: Any]])?.first
        #expect(row?["status"] as? String == "succeeded", "\(status.stdout)")
        let logs = try fleetform(["logs", account], home: "worker-b")
        #expect(logs.stdout.contains("released the stale state lock \(lost.lockID) of "), "\(logs.stdout)")
    }

    @Test func aLockWithAnotherIDIsLeftAloneAndTheJobFailsNamingItsHolder() throws {
        let account = ids[1]
        // Two attempts: the lost one, then one that waits out terraform's -lock-timeout.
        let lost = try loseAMachineMidApply(account: account, maxAttempts: 2)
        // Someone else's lock where the dead terraform's was (a human's, another terraform).
        let foreign = """
            {"ID":"0f0f0f0f-1234-5678-9abc-def012345678","Operation":"OperationTypeApply","Info":"",\
            "Who":"alice@laptop-42","Version":"1.11.0","Created":"2026-12-01T10:00:00.000000000Z",\
            "Path":"\(bucket)/\(prefix)/\(account)/terraform.tfstate"}
            """
        try moto.putObject(bucket: bucket, key: lost.lockKey, body: foreign)
        let survivor = try worker("worker-b", ["--parallel", "1", "--idle-exit", "5"])

        #expect(lost.enqueuer.wait(timeout: 300) == 1,
                "stdout: \(lost.enqueuer.stdout)\nstderr: \(lost.enqueuer.stderr)\nworker-b: \(survivor.stdout)\(survivor.stderr)")
        #expect(survivor.wait(timeout: 60) == 0, "worker-b: \(survivor.stdout)\(survivor.stderr)")
        #expect(!survivor.stdout.split(separator: "\n").contains { $0.hasPrefix("unlock ") }, "\(survivor.stdout)")
        #expect(try moto.object(bucket: bucket, key: lost.lockKey) == foreign, "another's lock must be left as it is")
        #expect(control.appliedCounts()[account] == nil)

        let status = try fleetform(["status", "--json"], home: "reader")
        let row = (try ScriptedFleet.object(status.stdout)["accounts"] as? [[String: Any]])?.first
        #expect(row?["status"] as? String == "failed", "\(status.stdout)")
        let error = row?["error"] as? String ?? ""
        #expect(error.contains("is held by alice@laptop-42 (lock 0f0f0f0f-1234-5678-9abc-def012345678, apply since 2026-12-01T10:00:00"),
                "\(error)")
        #expect(error.contains("terraform force-unlock 0f0f0f0f-1234-5678-9abc-def012345678"), "\(error)")
        #expect(!error.contains("\n"), "one line: \(error)")
        #expect(survivor.stdout.contains("failed") && survivor.stdout.contains("alice@laptop-42"), "\(survivor.stdout)")
    }

    /// The name fleetform records beside pids and log files (gethostname).
    private static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
