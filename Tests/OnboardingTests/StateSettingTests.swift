import Foundation
import Inventory
import Terraform
import Testing
import TestSupport
@testable import Onboarding

/// Where a run keeps state: recorded by the first run, refused when asked otherwise later.
@Suite struct StateSettingTests {
    private func database() throws -> (TemporaryDirectory, SQLiteInventoryStore) {
        let home = try TemporaryDirectory("fleetform-state-setting")
        let database = try SQLiteInventoryStore(path: home.url.appendingPathComponent("fleetform.sqlite").path)
        _ = try database.importAccounts([AccountSpec(accountID: "100000000001", name: "a", ouPath: "Root", region: "us-east-1")],
                                        source: .file, origin: "test", prune: false)
        return (home, database)
    }

    /// A Terraform before 1.10 has no S3 lock file: one line saying so, and S3 is not
    /// recorded for a home that never used it.
    @Test func anOldTerraformIsRefusedForS3StateAndNothingIsRecorded() async throws {
        let (home, database) = try database()
        let fake = try home.write("terraform", "#!/bin/sh\necho '{\"terraform_version\": \"1.9.8\", \"platform\": \"linux_amd64\"}'\n")
        chmod(fake, 0o755)
        let request = FleetRun.Request(
            command: .apply, selection: AccountSelection(), settings: RunSettings(terraformPath: fake, skipPreflight: true),
            state: StateRequest(location: try StateLocation(parsing: "s3://fleet-state/fleet"), origin: "--state"))
        let failure = await #expect(throws: OnboardingFailure.self) {
            _ = try await FleetRun(home: FleetformHome(url: home.url), database: database, environment: ["PATH": "/usr/bin:/bin"])
                .execute(request, stop: StopController(), events: { _ in })
        }
        #expect(failure?.kind == .failure)
        #expect(failure?.message == "\(fake) is Terraform 1.9.8; state in S3 needs Terraform 1.10.0 or later (use_lockfile); install it or pass --terraform PATH")
        #expect(try database.recordedStateLocation() == nil)
        // The same terraform is fine for local state.
        _ = try await TerraformSetup.runner(explicitPath: fake, layout: HomeLayout(home: home.url), environment: [:], debugLog: false)
    }

    @Test func aLaterRunMustNameTheRecordedLocation() throws {
        let (home, database) = try database()
        defer { withExtendedLifetime(home) {} }
        try database.replaceStateLocation("s3://fleet-state/fleet?region=eu-west-1")
        let same = StateRequest(location: try StateLocation(parsing: "s3://fleet-state/fleet"), origin: "--state")
        #expect(try StateSetting.resolve(same, database: database, environment: ["AWS_REGION": "us-east-1"]).location
            == .s3(bucket: "fleet-state", prefix: "fleet", region: "eu-west-1"))
        #expect(try StateSetting.resolve(nil, database: database, environment: [:]).recorded)
        let other = StateRequest(location: .local, origin: "FLEETFORM_STATE")
        #expect(throws: OnboardingFailure(.usage, """
            FLEETFORM_STATE local: this home's state is recorded at s3://fleet-state/fleet?region=eu-west-1; \
            run fleetform state migrate --to local to move it, or drop FLEETFORM_STATE
            """)) {
            _ = try StateSetting.resolve(other, database: database, environment: [:])
        }
    }
}
