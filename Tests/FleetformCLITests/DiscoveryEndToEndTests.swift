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
        var accountTags: [String: String]
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

    /// The number in "… with N requests:" of a discovery's summary line.
    private func requests(_ summary: String) -> Int? {
        summary.range(of: " with ").flatMap { Int(summary[$0.upperBound...].prefix { $0.isNumber }) }
    }

    /// Account IDs that `status --json` lists for these arguments.
    private func selected(_ arguments: [String], _ env: [String: String]) throws -> [String] {
        let result = try FleetformProcess.run(["status", "--json"] + arguments, environment: env)
        #expect(result.exitCode == 0, "\(arguments): \(result.stderr)")
        let document = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return ((document?["accounts"] as? [[String: Any]]) ?? []).compactMap { $0["account_id"] as? String }.sorted()
    }

    /// `--with-tags` reads every account's tags (one request each on top of the walk),
    /// the same through 30 % throttling; `--tag` selects by them; a discovery without
    /// `--with-tags` keeps them, one with it replaces them.
    @Test(.timeLimit(.minutes(5)))
    func discoversAccountTagsUnderThrottlingAndSelectsByThem() throws {
        let moto = try MotoServer.start()
        defer { moto.stop() }
        let tree = try moto.buildTree(
            ous: ["Workloads", "Workloads/Prod", "Sandbox"],
            accounts: [("pay-prod", "Workloads/Prod"), ("pay-dev", "Workloads"), ("search-prod", "Workloads/Prod"),
                       ("sandbox-01", "Sandbox"), ("loose", nil)])
        let id = { (name: String) in tree.accounts[name]! }
        try moto.tagAccounts([
            id("pay-prod"): ["team": "payments", "env": "prod", "cost center": "4711"],
            id("pay-dev"): ["team": "payments", "env": "dev"],
            id("search-prod"): ["team": "search", "env": "prod"],
            id("sandbox-01"): ["pci": ""],
        ])

        // The walk alone, for the request count, and to show that it reads no tags.
        let plainEnv = environment(endpoint: moto.endpoint, home: "plain")
        let plain = try FleetformProcess.run(["inventory", "discover"], environment: plainEnv)
        #expect(plain.exitCode == 0, "\(plain.stderr)")
        #expect(try list(plainEnv).allSatisfy { $0.accountTags.isEmpty })

        let taggedEnv = environment(endpoint: moto.endpoint, home: "tagged")
        let tagged = try FleetformProcess.run(["inventory", "discover", "--with-tags"], environment: taggedEnv)
        #expect(tagged.exitCode == 0, "\(tagged.stderr)")
        #expect(tagged.stdout.hasPrefix("discovered 6 accounts (5 enabled) in 4 OUs with "), "\(tagged.stdout)")
        // One ListTagsForResource per account (the management account's too), nothing more.
        let walk = try #require(requests(plain.stdout))
        #expect(requests(tagged.stdout) == walk + 6, "\(plain.stdout)\(tagged.stdout)")
        let accounts = try list(taggedEnv)
        let byName = Dictionary(uniqueKeysWithValues: accounts.map { ($0.name, $0) })
        #expect(byName["pay-prod"]?.accountTags == ["team": "payments", "env": "prod", "cost center": "4711"])
        #expect(byName["sandbox-01"]?.accountTags == ["pci": ""])
        #expect(byName["loose"]?.accountTags == [:])
        let tableLine = try FleetformProcess.run(["inventory", "list"], environment: taggedEnv.merging(["COLUMNS": "200"]) { $1 })
            .stdout.split(separator: "\n").first { $0.hasPrefix(id("pay-dev")) }
        #expect(tableLine?.hasSuffix("  env=dev,team=payments") == true, "\(String(describing: tableLine))")

        // The same organization through a proxy that throttles 30 % of the calls (its
        // first among them), into a fresh home: the same inventory, tags included.
        let proxy = try FaultProxy.start(upstream: moto.endpoint, faults: .init(throttlePercent: 30))
        defer { proxy.stop() }
        let throttledEnv = environment(endpoint: proxy.endpoint, home: "throttled")
        let throttled = try FleetformProcess.run(["inventory", "discover", "--with-tags"], environment: throttledEnv)
        #expect(throttled.exitCode == 0, "\(throttled.stderr)")
        #expect(!proxy.injectedFaults.isEmpty, "the proxy throttled nothing")
        #expect(proxy.forwardedRequests.contains { $0.contains("ListTagsForResource") }, "\(proxy.forwardedRequests)")
        // Retries are requests too: more of them than without faults.
        #expect((requests(throttled.stdout) ?? 0) > walk + 6, "\(throttled.stdout)")
        let listed = try FleetformProcess.run(["inventory", "list", "--json"], environment: throttledEnv)
        #expect(listed.stdout == (try FleetformProcess.run(["inventory", "list", "--json"], environment: taggedEnv)).stdout)

        // --tag selects by the account tags: all filters must match; KEY alone matches any value.
        #expect(try selected(["--tag", "team=payments"], taggedEnv) == [id("pay-dev"), id("pay-prod")].sorted())
        #expect(try selected(["--tag", "team=payments", "--tag", "env=prod"], taggedEnv) == [id("pay-prod")])
        #expect(try selected(["--tag", "env", "--exclude-ou", "Root/Workloads/Prod"], taggedEnv) == [id("pay-dev")])
        #expect(try selected(["--tag", "pci"], taggedEnv) == [id("sandbox-01")])
        #expect(try selected(["--tag", "cost center=4711"], taggedEnv) == [id("pay-prod")])
        #expect(try selected(["--ou", "Root/Workloads", "--tag", "team=payments", "--exclude-account", id("pay-prod")], taggedEnv)
            == [id("pay-dev")])
        let preflight = try FleetformProcess.run(["preflight", "--tag", "team=payments"], environment: taggedEnv)
        #expect(preflight.stdout.contains("preflight: 2 of 2 accounts can be entered"), "\(preflight.stdout)\(preflight.stderr)")
        let nobody = try FleetformProcess.run(["status", "--tag", "team=nobody"], environment: taggedEnv)
        #expect(nobody.exitCode == 64)
        #expect(nobody.stderr.contains("--tag team=nobody: no account left of the 5 selected by all enabled accounts"),
                "\(nobody.stderr)")

        // Retagged in Organizations: a discovery without --with-tags keeps what was
        // recorded; one with it records the new tags, as an update of that account only.
        try moto.tagAccounts([id("pay-dev"): ["team": "search"]])
        let kept = try FleetformProcess.run(["inventory", "discover"], environment: taggedEnv)
        #expect(kept.stdout.hasSuffix("added 0, updated 0, unchanged 6, disabled 0\n"), "\(kept.stdout)")
        #expect(try selected(["--tag", "team=payments"], taggedEnv) == [id("pay-dev"), id("pay-prod")].sorted())
        let replaced = try FleetformProcess.run(["inventory", "discover", "--with-tags"], environment: taggedEnv)
        #expect(replaced.stdout.hasSuffix("added 0, updated 1, unchanged 5, disabled 0\n"), "\(replaced.stdout)")
        #expect(try selected(["--tag", "team=payments"], taggedEnv) == [id("pay-prod")])
        #expect(try list(taggedEnv).first { $0.name == "pay-dev" }?.accountTags == ["team": "search", "env": "dev"])
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
