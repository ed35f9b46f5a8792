import Foundation
import Testing
import TestSupport

/// State in S3 through the built binary: real terraform, its own S3 backend against moto,
/// and the provider-free `scripted` template (no aws provider, so each terraform is cheap).
@Suite(.serialized) struct S3StateEndToEndTests {
    private let home: TemporaryDirectory
    private let control: FixtureControl
    private let moto: MotoServer
    private let template = FixtureControl.scriptedTemplate.path
    private let bucket = "fleet-state"
    private let ids = (1...3).map { String(format: "3000000000%02d", $0) }

    init() throws {
        home = try TemporaryDirectory("fleetform-s3-e2e")
        control = try FixtureControl()
        moto = try MotoServer.start()
        try moto.createBucket(bucket)
    }

    private var environment: [String: String] {
        var env = control.environment
        env["FLEETFORM_HOME"] = home.url.appendingPathComponent("home").path
        // Terraform's S3 backend finds moto and the keys where the AWS SDK looks.
        env["AWS_ENDPOINT_URL"] = moto.endpoint
        env["AWS_ACCESS_KEY_ID"] = "testing"
        env["AWS_SECRET_ACCESS_KEY"] = "testing"
        env["AWS_REGION"] = "us-east-1"
        env["AWS_CONFIG_FILE"] = "/dev/null"
        env["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        return env
    }

    private func fleetform(_ arguments: [String]) throws -> FleetformProcess.Result {
        try FleetformProcess.run(arguments, environment: environment)
    }

    private func importInventory(roleName: String? = nil) throws {
        let accounts = ids.enumerated().map { index, id in
            let role = index == 0 && roleName != nil ? #", "role_name": "\#(roleName!)""# : ""
            return #"{"id": "\#(id)", "name": "s3-\#(id.suffix(2))", "ou_path": "Root/Apps"\#(role)}"#
        }
        let file = try home.write("inventory.json", """
            {"management_account_id": "123456789012", "defaults": {"region": "us-east-1"},
             "accounts": [\(accounts.joined(separator: ","))]}
            """)
        let result = try fleetform(["inventory", "import", file])
        try #require(result.exitCode == 0, "\(result.stderr)")
    }

    private func statuses() throws -> [String] {
        let result = try fleetform(["status", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return (object?["accounts"] as? [[String: Any]] ?? []).compactMap { $0["status"] as? String }
    }

    private func stateKeys(_ prefix: String) -> [String] {
        ids.map { "\(prefix)/\($0)/terraform.tfstate" }
    }

    private func localState(_ id: String, _ name: String = "terraform.tfstate") -> URL {
        home.url.appendingPathComponent("home/state/\(id)/\(name)")
    }

    @Test func applyKeepsStateInS3AndMigrateMovesItBothWays() throws {
        try importInventory()
        let apply = try fleetform(["apply", "--template", template, "--skip-preflight", "--state", "s3://\(bucket)/fleet"])
        #expect(apply.exitCode == 0, "\(apply.stdout)\(apply.stderr)")
        // One object per account, and no lock file left behind.
        #expect(try moto.objectKeys(bucket: bucket) == stateKeys("fleet"))
        #expect(try moto.object(bucket: bucket, key: "fleet/\(ids[1])/terraform.tfstate")
            .contains("arn:aws:iam::\(ids[1]):role/terraform-akeyless-role"))
        #expect(!FileManager.default.fileExists(atPath: localState(ids[0]).path))
        #expect(try statuses() == ["succeeded", "succeeded", "succeeded"])

        // The recorded location is used without the flag; nothing is out of date.
        let runs = control.executions().count
        let again = try fleetform(["apply", "--template", template, "--skip-preflight"])
        #expect(again.exitCode == 0, "\(again.stdout)\(again.stderr)")
        #expect(again.stdout.contains("3 selected, 0 to run"), "\(again.stdout)")
        #expect(control.executions().count == runs, "an up-to-date apply starts no terraform")

        // Another location would start every account from an empty state.
        let other = try fleetform(["apply", "--template", template, "--skip-preflight", "--state", "s3://other-bucket/x"])
        #expect(other.exitCode == 64)
        #expect(other.stderr == """
            fleetform: error: --state s3://other-bucket/x: this home's state is recorded at \
            s3://\(bucket)/fleet?region=us-east-1; run fleetform state migrate --to s3://other-bucket/x to move it, or drop --state

            """, "\(other.stderr)")

        // To local: each account copied and verified, the S3 objects left in place.
        let toLocal = try fleetform(["state", "migrate", "--to", "local"])
        #expect(toLocal.exitCode == 0, "\(toLocal.stdout)\(toLocal.stderr)")
        #expect(toLocal.stdout.contains("3 accounts moved and verified, 0 without state; the state is now recorded at local"),
                "\(toLocal.stdout)")
        #expect(try String(contentsOf: localState(ids[2]), encoding: .utf8).contains("arn:aws:iam::\(ids[2]):role/"))
        #expect(try moto.objectKeys(bucket: bucket) == stateKeys("fleet"))
        #expect(try statuses() == ["succeeded", "succeeded", "succeeded"])
        let afterLocal = try fleetform(["apply", "--template", template, "--skip-preflight"])
        #expect(afterLocal.stdout.contains("3 selected, 0 to run"), "a move is not a change: \(afterLocal.stdout)")
        #expect(control.executions().count == runs)

        // A change applied locally, then back to S3: the stale object there is overwritten.
        try importInventory(roleName: "renamed-role")
        let changed = try fleetform(["apply", "--template", template, "--skip-preflight"])
        #expect(changed.exitCode == 0 && changed.stdout.contains("3 selected, 1 to run"), "\(changed.stdout)\(changed.stderr)")
        let toS3 = try fleetform(["state", "migrate", "--to", "s3://\(bucket)/fleet"])
        #expect(toS3.exitCode == 0, "\(toS3.stdout)\(toS3.stderr)")
        #expect(toS3.stdout.contains("kept as state/<account>/terraform.tfstate.migrated (3)"), "\(toS3.stdout)")
        #expect(try moto.object(bucket: bucket, key: "fleet/\(ids[0])/terraform.tfstate").contains("role/renamed-role"))
        #expect(try moto.objectKeys(bucket: bucket) == stateKeys("fleet"))
        #expect(!FileManager.default.fileExists(atPath: localState(ids[0]).path))
        #expect(FileManager.default.fileExists(atPath: localState(ids[0], "terraform.tfstate.migrated").path))
        let afterS3 = try fleetform(["apply", "--template", template, "--skip-preflight"])
        #expect(afterS3.exitCode == 0 && afterS3.stdout.contains("3 selected, 0 to run"), "\(afterS3.stdout)\(afterS3.stderr)")
        #expect(try statuses() == ["succeeded", "succeeded", "succeeded"])
        #expect(try fleetform(["state", "migrate", "--to", "s3://\(bucket)/fleet"]).stdout
            .contains("Nothing to do: the state is already recorded at s3://\(bucket)/fleet?region=us-east-1"))
    }

    /// A home applied with local state moves to S3; destroy then reads the S3 state to
    /// decide whether there is anything to destroy.
    @Test func aLocalHomeMovesToS3AndDestroyReadsItThere() throws {
        try importInventory()
        let apply = try fleetform(["apply", "--template", template, "--skip-preflight", "--account", ids[0], "--account", ids[1]])
        #expect(apply.exitCode == 0, "\(apply.stdout)\(apply.stderr)")
        let refused = try FleetformProcess.run(["apply", "--template", template, "--skip-preflight"],
                                               environment: environment.merging(["FLEETFORM_STATE": "s3://\(bucket)/team"]) { $1 })
        #expect(refused.exitCode == 64)
        #expect(refused.stderr.contains("FLEETFORM_STATE s3://\(bucket)/team: this home's state is recorded at local"),
                "\(refused.stderr)")

        let migrate = try fleetform(["state", "migrate", "--to", "s3://\(bucket)/team"])
        #expect(migrate.exitCode == 0, "\(migrate.stdout)\(migrate.stderr)")
        #expect(migrate.stdout.contains("no state  \(ids[2])"), "\(migrate.stdout)")
        #expect(migrate.stdout.contains("2 accounts moved and verified, 1 without state"), "\(migrate.stdout)")
        #expect(try moto.objectKeys(bucket: bucket) == Array(stateKeys("team").prefix(2)))

        // The first destroy has state in S3 to destroy, the second has none left.
        let destroy = try fleetform(["destroy", "--template", template, "--yes", "--skip-preflight", "--account", ids[0]])
        #expect(destroy.exitCode == 0, "\(destroy.stdout)\(destroy.stderr)")
        #expect(destroy.stdout.contains("1 succeeded"), "\(destroy.stdout)")
        let nothing = try fleetform(["destroy", "--template", template, "--yes", "--skip-preflight", "--account", ids[0],
                                     "--account", ids[2]])
        #expect(nothing.exitCode == 0, "\(nothing.stdout)\(nothing.stderr)")
        #expect(nothing.stdout.contains("2 skipped"), "\(nothing.stdout)")
        let applied = try fleetform(["apply", "--template", template, "--skip-preflight", "--account", ids[1]])
        #expect(applied.stdout.contains("1 selected, 0 to run"), "\(applied.stdout)")
        let final = try statuses()
        // A destroy skipped for want of state is recorded as skipped, as with local state.
        #expect(final == ["destroyed", "succeeded", "skipped"], "\(final)")
        #expect(try moto.objectKeys(bucket: bucket).allSatisfy { !$0.hasSuffix(".tflock") })
    }
}
