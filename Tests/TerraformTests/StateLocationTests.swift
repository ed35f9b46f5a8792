import FleetformBasics
import Foundation
import Testing
@testable import Terraform

/// `--state` values and the backend file each one renders.
@Suite struct StateLocationTests {
    private let layout = HomeLayout(home: URL(fileURLWithPath: "/home/ops/.fleetform"))

    @Test func parsesLocalAndS3URLsAndPrintsThemBack() throws {
        #expect(try StateLocation(parsing: "local") == .local)
        #expect(try StateLocation(parsing: "s3://fleet-state/fleet") == .s3(bucket: "fleet-state", prefix: "fleet", region: nil))
        #expect(try StateLocation(parsing: "s3://fleet-state/a/b/") == .s3(bucket: "fleet-state", prefix: "a/b", region: nil))
        #expect(try StateLocation(parsing: "s3://fleet-state") == .s3(bucket: "fleet-state", prefix: "", region: nil))
        let withRegion = try StateLocation(parsing: "s3://fleet-state/fleet?region=eu-west-1")
        #expect(withRegion == .s3(bucket: "fleet-state", prefix: "fleet", region: "eu-west-1"))
        #expect(withRegion.description == "s3://fleet-state/fleet?region=eu-west-1")
        #expect(try StateLocation(parsing: withRegion.description) == withRegion)
        for bad in ["", "s3:/x/y", "file:///tmp", "s3://Upper/x", "s3://ab/x", "s3://b-/x", "s3://bucket/a//b",
                    "s3://bucket/x?region=evil.com#", "s3://bucket/x?profile=p", "s3://bucket/../x", "s3://bucket/x\ny"] {
            #expect(throws: StateLocationError.self, "\(bad)") { try StateLocation(parsing: bad) }
        }
    }

    @Test func regionComesFromTheURLThenTheEnvironmentThenUSEast1() throws {
        let bare = try StateLocation(parsing: "s3://fleet-state/fleet")
        #expect(bare.resolvingRegion(environment: [:]).description == "s3://fleet-state/fleet?region=us-east-1")
        #expect(bare.resolvingRegion(environment: ["AWS_DEFAULT_REGION": "eu-central-1"]).description
            == "s3://fleet-state/fleet?region=eu-central-1")
        #expect(bare.resolvingRegion(environment: ["AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-central-1"])
            .description == "s3://fleet-state/fleet?region=eu-west-1")
        let explicit = try StateLocation(parsing: "s3://fleet-state/fleet?region=ap-south-1")
        #expect(explicit.resolvingRegion(environment: ["AWS_REGION": "eu-west-1"]) == explicit)
        // A request without a region names the recorded location in any region.
        let recorded = explicit
        #expect(bare.names(recorded))
        #expect(explicit.names(recorded))
        #expect(!(try StateLocation(parsing: "s3://fleet-state/fleet?region=eu-west-1")).names(recorded))
        #expect(!(try StateLocation(parsing: "s3://fleet-state/other")).names(recorded))
        #expect(!StateLocation.local.names(recorded))
    }

    @Test func s3BackendRendersExactJSONWithPathStyleOnlyForAnEndpoint() throws {
        let location = try StateLocation(parsing: "s3://fleet-state/fleet")
        let aws = WorkspaceRenderer(layout: layout, terraformVersion: "1.11.4",
                                    backend: StateBackend(location: location, environment: ["AWS_REGION": "eu-west-1"]))
        #expect(aws.rendering(accountID: "012345678901", template: .builtIn, variables: [:]).backendJSON == """
            {
              "terraform": {
                "backend": {
                  "s3": {
                    "bucket": "fleet-state",
                    "key": "fleet/012345678901/terraform.tfstate",
                    "region": "eu-west-1",
                    "use_lockfile": true
                  }
                }
              }
            }

            """)
        for variable in ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"] {
            let moto = WorkspaceRenderer(
                layout: layout, terraformVersion: "1.11.4",
                backend: StateBackend(location: location, environment: [variable: "http://127.0.0.1:5000"]))
            let json = moto.rendering(accountID: "012345678901", template: .builtIn, variables: [:]).backendJSON
            #expect(json == """
                {
                  "terraform": {
                    "backend": {
                      "s3": {
                        "bucket": "fleet-state",
                        "key": "fleet/012345678901/terraform.tfstate",
                        "region": "us-east-1",
                        "use_lockfile": true,
                        "use_path_style": true
                      }
                    }
                  }
                }

                """, "\(variable)")
            // The endpoint belongs to the machine: never written into the workspace.
            #expect(!json.contains("127.0.0.1"))
        }
        // The local backend is unchanged by an endpoint.
        let local = WorkspaceRenderer(layout: layout, terraformVersion: "1.11.4",
                                      backend: StateBackend(location: .local, environment: ["AWS_ENDPOINT_URL": "http://x"]))
        #expect(local.rendering(accountID: "012345678901", template: .builtIn, variables: [:]).backendJSON
            == WorkspaceRenderer.localBackend(statePath: "../../state/012345678901/terraform.tfstate"))
    }

    /// Moving the state (state migrate) must not make every account look changed.
    @Test func configHashIgnoresWhereTheStateIs() throws {
        let variables: [String: JSONValue] = ["account_id": .string("012345678901")]
        let local = WorkspaceRenderer(layout: layout, terraformVersion: "1.11.4")
        let s3 = WorkspaceRenderer(layout: layout, terraformVersion: "1.11.4", backend: StateBackend(
            location: try StateLocation(parsing: "s3://fleet-state/fleet"), environment: ["AWS_ENDPOINT_URL": "http://x"]))
        let a = local.rendering(accountID: "012345678901", template: .builtIn, variables: variables)
        let b = s3.rendering(accountID: "012345678901", template: .builtIn, variables: variables)
        #expect(a.backendJSON != b.backendJSON)
        #expect(a.configHash == b.configHash)
    }

    @Test func initArgumentsForEachBackendChange() {
        #expect(InitInvocation(backendChange: .reconfigure).arguments
            == ["init", "-input=false", "-no-color", "-reconfigure", "-lock-timeout=60s"])
        #expect(InitInvocation(backendChange: .migrate).arguments
            == ["init", "-input=false", "-no-color", "-migrate-state", "-force-copy", "-lock-timeout=60s"])
        #expect(StatePullInvocation().arguments == ["state", "pull"])
    }

    @Test func snapshotsCompareWhatTheStateHolds() throws {
        func state(lineage: String, serial: Int, arn: String) -> [UInt8] {
            Array("""
                {"version": 4, "serial": \(serial), "lineage": "\(lineage)", "outputs": {"role_arn": {"value": "\(arn)", "type": "string"}},
                 "resources": [{"mode": "managed", "type": "terraform_data", "name": "role",
                                "instances": [{"attributes": {"input": "\(arn)"}}]}]}
                """.utf8)
        }
        let original = try #require(try StateSnapshot.parse(state(lineage: "a", serial: 3, arn: "x"), origin: "one"))
        #expect(original.addresses == ["terraform_data.role"])
        #expect(original.serial == "3" && original.lineage == "a")
        #expect(!original.isEmpty)
        let copy = try #require(try StateSnapshot.parse(state(lineage: "b", serial: 4, arn: "x"), origin: "two"))
        #expect(copy.holdsTheSame(as: original))
        let other = try #require(try StateSnapshot.parse(state(lineage: "a", serial: 3, arn: "y"), origin: "three"))
        #expect(!other.holdsTheSame(as: original))
        #expect(try StateSnapshot.parse(Array("\n".utf8), origin: "none") == nil)
        let empty = try #require(try StateSnapshot.parse(Array(#"{"version": 4, "serial": 2, "lineage": "a", "outputs": {}, "resources": []}"#.utf8), origin: "e"))
        #expect(empty.isEmpty)
        #expect(throws: StateReadError.self) { try StateSnapshot.parse(Array("nope".utf8), origin: "s3://b/k") }
    }
}
