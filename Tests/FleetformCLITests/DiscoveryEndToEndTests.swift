import Foundation
import Testing
import TestSupport

/// `inventory discover` and `preflight` through the built binary against moto: nested
/// OUs, more accounts under one parent than fit a page, a suspended account, the
/// management account, throttling, subtrees, moved accounts, signature checking.
@Suite(.serialized) struct DiscoveryEndToEndTests {
    private let scratch: TemporaryDirectory

    init() throws {
        scratch = try TemporaryDirectory("fleetform-discovery")
    }

    private func environment(endpoint: String, home: String, key: String = "testing", secret: String = "testing") -> [String: String] {
        [
            "FLEETFORM_HOME": scratch.url.appendingPathComponent(home).path,
            "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_REGION": "eu-west-1", "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "HOME": scratch.path,
        ]
    }

    private struct Listed: Decodable, Equatable {
        var accountId: String
        var name: String
        var ouPath: String
        var region: String
        var enabled: Bool
        var state: String?
        var source: String
    }

    private func list(_ env: [String: String]) throws -> [Listed] {
        struct Document: Decodable { var accounts: [Listed] }
        let result = try FleetformProcess.run(["inventory", "list", "--json"], environment: env)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Document.self, from: Data(result.stdout.utf8)).accounts
    }

    @Test(.timeLimit(.minutes(5)))
    func discoversTheTreeIdenticallyUnderThrottlingAndFollowsMoves() throws {
        let moto = try MotoServer.start()
        defer { moto.stop() }
        let prod = (1...25).map { (name: String(format: "prod-%02d", $0), ou: Optional("Workloads/Prod")) }
        let tree = try moto.buildTree(
            ous: ["Workloads", "Workloads/Prod", "Workloads/Dev", "Sandbox"],
            accounts: prod + [("dev-01", "Workloads/Dev"), ("dev-02", "Workloads/Dev"), ("sandbox-01", "Sandbox"),
                              ("sandbox-closed", "Sandbox"), ("loose", nil)])
        try moto.closeAccount(tree.accounts["sandbox-closed"]!)

        let first = environment(endpoint: moto.endpoint, home: "first")
        let discover = try FleetformProcess.run(["inventory", "discover"], environment: first)
        #expect(discover.exitCode == 0, "\(discover.stderr)")
        #expect(discover.stdout.hasPrefix("discovered 31 accounts (29 enabled) in 5 OUs with "), "\(discover.stdout)")
        #expect(discover.stdout.hasSuffix("added 31, updated 0, unchanged 0, disabled 0\n"))
        // Requests grow with pages and OUs: 25 accounts under one parent take two pages, not 25 calls.
        let requests = discover.stdout.range(of: " with ").flatMap { Int(discover.stdout[$0.upperBound...].prefix { $0.isNumber }) } ?? .max
        #expect(requests <= Int((31.0 / 20).rounded(.up)) + 2 * 5 + 10, "\(discover.stdout)")

        let accounts = try list(first)
        let byName = Dictionary(uniqueKeysWithValues: accounts.map { ($0.name, $0) })
        #expect(byName["prod-17"]?.ouPath == "Root/Workloads/Prod")
        #expect(byName["dev-02"]?.ouPath == "Root/Workloads/Dev")
        #expect(byName["loose"]?.ouPath == "Root")
        #expect(byName["sandbox-closed"]?.state == "SUSPENDED")
        #expect(byName["sandbox-closed"]?.enabled == false)
        let management = try #require(accounts.first { $0.accountId == tree.managementAccountId })
        #expect(management.enabled == false)
        #expect(accounts.allSatisfy { $0.source == "organizations" && $0.region == "eu-west-1" })
        #expect(accounts.filter(\.enabled).count == 29)

        // The same organization through a proxy that throttles 30 % of the calls.
        let proxy = try FaultProxy.start(upstream: moto.endpoint, faults: .init(throttlePercent: 30))
        defer { proxy.stop() }
        let throttled = environment(endpoint: proxy.endpoint, home: "throttled")
        let again = try FleetformProcess.run(["inventory", "discover"], environment: throttled)
        #expect(again.exitCode == 0, "\(again.stderr)")
        #expect(!proxy.injectedFaults.isEmpty, "the proxy throttled nothing")
        #expect(try list(throttled) == accounts)

        // --ou reads one subtree, with its full path.
        let subtree = environment(endpoint: moto.endpoint, home: "subtree")
        let dev = try FleetformProcess.run(["inventory", "discover", "--ou", tree.ous["Workloads/Dev"]!], environment: subtree)
        #expect(dev.exitCode == 0, "\(dev.stderr)")
        #expect(try list(subtree).map(\.name).sorted() == ["dev-01", "dev-02"])
        // The same or a nested subtree twice is read once.
        let twice = try FleetformProcess.run(
            ["inventory", "discover", "--ou", tree.ous["Workloads"]!, "--ou", tree.ous["Workloads/Dev"]!, "--ou", tree.ous["Workloads"]!],
            environment: environment(endpoint: moto.endpoint, home: "twice"))
        #expect(twice.exitCode == 0, "\(twice.stderr)")
        #expect(twice.stdout.contains("discovered 27 accounts"), "\(twice.stdout)")
        #expect(try list(subtree).allSatisfy { $0.ouPath == "Root/Workloads/Dev" })

        // A moved account gets its new path; its history stays (same row, updated in place).
        try moto.moveAccount(tree.accounts["prod-03"]!, toOU: tree.ous["Sandbox"]!)
        let moved = try FleetformProcess.run(["inventory", "discover"], environment: first)
        #expect(moved.stdout.hasSuffix("added 0, updated 1, unchanged 30, disabled 0\n"), "\(moved.stdout)")
        #expect(try list(first).first { $0.name == "prod-03" }?.ouPath == "Root/Sandbox")

        // Preflight enters every enabled account (moto's AssumeRole always works).
        let preflight = try FleetformProcess.run(["preflight", "--ou", "Root/Workloads"], environment: first)
        #expect(preflight.exitCode == 0, "\(preflight.stdout)\(preflight.stderr)")
        #expect(preflight.stdout.contains("preflight: 26 of 26 accounts can be entered (26 requests"))
    }

    @Test(.timeLimit(.minutes(3)))
    func signaturesAreCheckedAndAWrongSecretSaysWhatToCheck() throws {
        let moto = try MotoServer.start(settings: ["INITIAL_NO_AUTH_ACTION_COUNT": "\(MotoServer.authSetupRequests)"])
        defer { moto.stop() }
        let key = try moto.authSetup()

        let good = environment(endpoint: moto.endpoint, home: "signed", key: key.accessKeyId, secret: key.secretAccessKey)
        let discover = try FleetformProcess.run(["inventory", "discover"], environment: good)
        #expect(discover.exitCode == 0, "\(discover.stdout)\(discover.stderr)")
        #expect(try list(good).count == 3)

        let wrongSecret = String(key.secretAccessKey.reversed())
        let bad = environment(endpoint: moto.endpoint, home: "unsigned", key: key.accessKeyId, secret: wrongSecret)
        let refused = try FleetformProcess.run(["inventory", "discover"], environment: bad)
        #expect(refused.exitCode == 1)
        #expect(refused.stderr.hasPrefix("fleetform: error: inventory discover: SignatureDoesNotMatch: "), "\(refused.stderr)")
        #expect(refused.stderr.contains("(Organizations DescribeOrganization); nothing was written"), "\(refused.stderr)")
        #expect(refused.stderr.contains("check AWS_SECRET_ACCESS_KEY"))
        #expect(refused.stderr.contains("nothing was written"))
        #expect(!refused.stderr.contains(wrongSecret), "the secret must never be printed")
        #expect(try list(bad).isEmpty)

        let unknownKey = environment(endpoint: moto.endpoint, home: "unknown", key: "AKIAIOSFODNN7EXAMPLE", secret: wrongSecret)
        let unknown = try FleetformProcess.run(["inventory", "discover"], environment: unknownKey)
        #expect(unknown.exitCode == 1)
        #expect(unknown.stderr.contains("InvalidClientTokenId") || unknown.stderr.contains("UnrecognizedClientException"),
                "\(unknown.stderr)")
    }

    @Test func missingCredentialsAreExplained() throws {
        let env = [
            "FLEETFORM_HOME": scratch.url.appendingPathComponent("none").path, "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "HOME": scratch.path,
            // This machine answers at 169.254.169.254; no test may reach it.
            "AWS_EC2_METADATA_DISABLED": "true",
        ]
        let result = try FleetformProcess.run(["inventory", "discover"], environment: env)
        #expect(result.exitCode == 1)
        #expect(result.stderr.contains("AWS_ACCESS_KEY_ID"), "\(result.stderr)")
        #expect(result.stderr.contains("EC2 instance metadata is off (AWS_EC2_METADATA_DISABLED=true)"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }
}
