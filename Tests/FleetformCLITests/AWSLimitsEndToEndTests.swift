import Foundation
import Testing
import TestSupport

/// The built binary against servers that misbehave: Organizations repeating a
/// `NextToken` or describing an OU as its own child, a region that is not a region, an
/// endpoint that is not running. Each must end within seconds with one clear line.
@Suite(.serialized) struct AWSLimitsEndToEndTests {
    private let scratch: TemporaryDirectory

    init() throws {
        scratch = try TemporaryDirectory("fleetform-aws-limits")
    }

    private func environment(endpoint: String, home: String) -> [String: String] {
        [
            "FLEETFORM_HOME": scratch.url.appendingPathComponent(home).path,
            "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "eu-west-1", "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "HOME": scratch.path,
        ]
    }

    private func timed(_ arguments: [String], _ environment: [String: String]) throws -> (FleetformProcess.Result, Duration) {
        let clock = ContinuousClock()
        let started = clock.now
        let result = try FleetformProcess.run(arguments, environment: environment)
        return (result, clock.now - started)
    }

    private func accountCount(_ environment: [String: String]) throws -> Int {
        let listed = try FleetformProcess.run(["inventory", "list", "--json"], environment: environment)
        let object = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any]
        return (object?["accounts"] as? [Any])?.count ?? -1
    }

    @Test(.timeLimit(.minutes(3)))
    func discoveryThatWouldNeverEndFailsWithinSecondsAndWritesNothing() throws {
        let moto = try MotoServer.start()
        defer { moto.stop() }
        let tree = try moto.buildTree(ous: ["Workloads", "Workloads/Prod"],
                                      accounts: [("prod-01", "Workloads/Prod"), ("loose", nil)])
        let proxy = try FaultProxy.start(upstream: moto.endpoint, faults: .init(stickyNextToken: true))
        defer { proxy.stop() }

        // 1. The same NextToken on every page.
        let sticky = environment(endpoint: proxy.endpoint, home: "sticky")
        let (looped, elapsed) = try timed(["inventory", "discover"], sticky)
        #expect(looped.exitCode == 1, "\(looped.stdout)\(looped.stderr)")
        #expect(looped.stderr.hasPrefix("fleetform: error: inventory discover: Organizations returned the same NextToken twice "
            + "(Organizations ListAccountsForParent "), "\(looped.stderr)")
        #expect(looped.stderr.hasSuffix("); nothing was written\n"), "\(looped.stderr)")
        #expect(looped.stderr.split(separator: "\n").count == 1, "\(looped.stderr)")
        #expect(elapsed < .seconds(5), "took \(elapsed)")
        let forwarded = proxy.forwardedRequests.count
        #expect(forwarded < 20, "\(forwarded) requests reached moto")
        #expect(try accountCount(sticky) == 0)

        // 2. An OU listed as its own child.
        try proxy.setFaults(.init(ouCycle: true))
        let cyclic = environment(endpoint: proxy.endpoint, home: "cycle")
        let (cycle, cycleTime) = try timed(["inventory", "discover"], cyclic)
        #expect(cycle.exitCode == 1, "\(cycle.stdout)\(cycle.stderr)")
        let workloads = try #require(tree.ous["Workloads"])
        let prod = try #require(tree.ous["Workloads/Prod"])
        // Whichever OU the walk reaches first is the one found again.
        let expected = [workloads, prod].map { ou in
            "fleetform: error: inventory discover: OU \(ou) appears twice in the OU tree, the second time under \(ou): "
                + "Organizations describes a cycle (Organizations ListOrganizationalUnitsForParent \(ou)); nothing was written\n"
        }
        #expect(expected.contains(cycle.stderr), "\(cycle.stderr)")
        #expect(cycleTime < .seconds(5), "took \(cycleTime)")
        #expect(try accountCount(cyclic) == 0)

        // The same organization without faults is read in full.
        try proxy.setFaults(.none)
        let healthy = environment(endpoint: proxy.endpoint, home: "healthy")
        let fine = try FleetformProcess.run(["inventory", "discover"], environment: healthy)
        #expect(fine.exitCode == 0, "\(fine.stderr)")
        #expect(try accountCount(healthy) == 3)
    }

    @Test func aRegionThatIsNotARegionNameIsAUsageErrorBeforeAnyRequest() throws {
        let listener = try TricklingHTTPServer()
        defer { listener.stop() }
        var env = environment(endpoint: listener.endpoint, home: "region")
        env["AWS_REGION"] = "evil.com#"
        for command in [["inventory", "discover"], ["preflight"]] {
            let result = try FleetformProcess.run(command, environment: env)
            #expect(result.exitCode == 64, "\(command): \(result.stderr)")
            #expect(result.stderr == "fleetform: error: AWS_REGION \"evil.com#\": not an AWS region name\n", "\(command)")
        }
        env["AWS_REGION"] = nil
        env["AWS_DEFAULT_REGION"] = "us-east-1.evil.com"
        let fromDefault = try FleetformProcess.run(["inventory", "discover"], environment: env)
        #expect(fromDefault.exitCode == 64)
        #expect(fromDefault.stderr == "fleetform: error: AWS_DEFAULT_REGION \"us-east-1.evil.com\": not an AWS region name\n")

        env["AWS_DEFAULT_REGION"] = nil
        env["AWS_CONFIG_FILE"] = try scratch.write("aws-config", "[profile ci]\nregion = evil.com#\n")
        env["AWS_PROFILE"] = "ci"
        let fromProfile = try FleetformProcess.run(["inventory", "discover"], environment: env)
        #expect(fromProfile.exitCode == 64)
        #expect(fromProfile.stderr == "fleetform: error: region of AWS profile 'ci' \"evil.com#\": not an AWS region name\n")
        #expect(listener.connectionCount == 0, "a request was sent with an invalid region")
    }

    @Test(.timeLimit(.minutes(3)))
    func aRefusedEndpointFailsPreflightAndRunsWithinSeconds() throws {
        let endpoint = "http://127.0.0.1:\(try LoopbackNetwork.freePort())"
        let home = "refused"
        let control = try FixtureControl()
        var env = environment(endpoint: endpoint, home: home).merging(control.environment) { _, new in new }
        let ids = (1...20).map { String(format: "3000000000%02d", $0) }
        let inventory = try scratch.write("inventory.json", """
            {"management_account_id": "123456789012", "defaults": {"region": "us-east-1"},
             "accounts": [\(ids.map { #"{"id": "\#($0)", "name": "app-\#($0.suffix(2))"}"# }.joined(separator: ","))]}
            """)
        #expect(try FleetformProcess.run(["inventory", "import", inventory], environment: env).exitCode == 0)
        let line = "cannot connect to \(endpoint) (connection refused); is the endpoint running? (AWS_ENDPOINT_URL)"

        let (preflight, preflightTime) = try timed(["preflight"], env)
        #expect(preflight.exitCode == 1)
        #expect(preflightTime < .seconds(3), "took \(preflightTime)")
        #expect(preflight.stdout.contains(
            "failed  300000000001  app-01  \(line) (assuming arn:aws:iam::300000000001:role/OrganizationAccountAccessRole)\n"),
            "\(preflight.stdout)")
        // The 16 calls that start together are each refused; after that the endpoint is known to be down.
        let summary = try #require(preflight.stdout.split(separator: "\n").last { $0.hasPrefix("preflight: 0 of 20 accounts") })
        let requests = summary.split(separator: "(").last.flatMap { Int($0.prefix { $0.isNumber }) } ?? .max
        #expect(requests <= 16, "\(summary)")

        // A run: every account fails in the preflight, no terraform runs, in seconds.
        let template = FixtureControl.scriptedTemplate.path
        let (apply, applyTime) = try timed(["apply", "--template", template, "--parallel", "2"], env)
        #expect(apply.exitCode == 1, "\(apply.stdout)\(apply.stderr)")
        #expect(applyTime < .seconds(5), "took \(applyTime)")
        let status = try FleetformProcess.run(["status", "--json"], environment: env)
        let object = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        let accounts = object?["accounts"] as? [[String: Any]] ?? []
        #expect(accounts.count == 20)
        for account in accounts {
            #expect(account["status"] as? String == "failed")
            #expect((account["error"] as? String)?.hasPrefix("cannot connect to \(endpoint) (connection refused)") == true,
                    "\(account["error"] ?? "nil")")
            #expect(account["attempts"] as? Int == 0)
        }

        // Credentials that need the endpoint themselves (a role profile) fail the run once, at the start.
        env["AWS_ACCESS_KEY_ID"] = nil
        env["AWS_SECRET_ACCESS_KEY"] = nil
        env["AWS_CONFIG_FILE"] = try scratch.write("role-config", """
            [profile base]
            aws_access_key_id = testing
            aws_secret_access_key = testing
            [profile admin]
            role_arn = arn:aws:iam::123456789012:role/Admin
            source_profile = base
            """)
        env["AWS_PROFILE"] = "admin"
        let (roleRun, roleTime) = try timed(["apply", "--template", template, "--force"], env)
        #expect(roleRun.exitCode == 1)
        #expect(roleTime < .seconds(5), "took \(roleTime)")
        #expect(roleRun.stderr.contains("preflight: \(line) (STS AssumeRole)"), "\(roleRun.stderr)")
    }
}
