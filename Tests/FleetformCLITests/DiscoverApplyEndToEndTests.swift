import Foundation
import Testing
import TestSupport

/// `apply --discover` through the built binary: discovery against moto, the provider-free
/// `scripted` template for the runs (so every terraform started is counted). Accounts
/// that joined the organization are onboarded, a closed one is disabled and left alone,
/// a failed one is run again, and up-to-date accounts start no terraform.
@Suite(.serialized) struct DiscoverApplyEndToEndTests {
    @Test(.timeLimit(.minutes(5)))
    func onboardsNewAccountsDisablesClosedOnesAndTouchesNothingElse() throws {
        let scratch = try TemporaryDirectory("fleetform-discover-apply")
        let control = try FixtureControl()
        let moto = try MotoServer.start()
        defer { moto.stop() }
        let tree = try moto.buildTree(ous: ["Apps"], accounts: (1...4).map { (name: "app-\($0)", ou: Optional("Apps")) })
        let app = (1...4).map { tree.accounts["app-\($0)"]! }

        var environment = control.environment
        environment.merge([
            "FLEETFORM_HOME": scratch.url.appendingPathComponent("home").path,
            "AWS_ENDPOINT_URL": moto.endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "eu-west-1", "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "HOME": scratch.path,
        ]) { $1 }
        func fleetform(_ arguments: [String]) throws -> FleetformProcess.Result {
            try FleetformProcess.run(arguments, environment: environment)
        }
        let apply = ["apply", "--discover", "--template", FixtureControl.scriptedTemplate.path, "--skip-preflight"]
        func text(_ result: FleetformProcess.Result) -> String { "exit \(result.exitCode)\n\(result.stdout)\(result.stderr)" }

        // First run: the inventory is empty; discovery fills it and every member is applied; app-4 fails.
        try control.fail(app[3])
        let first = try fleetform(apply)
        #expect(first.exitCode == 1, "\(text(first))")
        #expect(first.stdout.hasPrefix("discovered 5 accounts (4 enabled) in 2 OUs with "), "\(text(first))")
        #expect(first.stdout.contains("added 5, updated 0, unchanged 0, disabled 0"), "\(text(first))")
        #expect(first.stdout.contains(": 4 selected, 4 to run"), "\(text(first))")
        #expect(control.appliedCounts() == [app[0]: 1, app[1]: 1, app[2]: 1])

        // Two accounts join, one is closed, app-4 is healed: one command does the rest.
        let joined = try moto.buildTree(ous: [], accounts: [(name: "new-1", ou: nil), (name: "new-2", ou: nil)])
        let new = [joined.accounts["new-1"]!, joined.accounts["new-2"]!]
        try moto.closeAccount(app[1])
        try control.heal(app[3])
        let startsBefore = control.executions().count
        let second = try fleetform(apply)
        #expect(second.exitCode == 0, "\(text(second))")
        #expect(second.stdout.contains("discovered 7 accounts (5 enabled)"), "\(text(second))")
        #expect(second.stdout.contains("added 2, updated 1, unchanged 4"), "\(text(second))")
        #expect(second.stdout.contains(": 5 selected, 3 to run, 2 up to date"), "\(text(second))")
        let started = control.executions().dropFirst(startsBefore).map(\.account).sorted()
        #expect(started == (new + [app[3]]).sorted(), "terraform ran for exactly the new and the failed accounts")
        #expect(control.appliedCounts() == [app[0]: 1, app[1]: 1, app[2]: 1, app[3]: 1, new[0]: 1, new[1]: 1])

        struct Listed: Decodable { var accountId: String; var enabled: Bool; var disabledReason: String?; var state: String? }
        struct Document: Decodable { var accounts: [Listed] }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let listed = try decoder.decode(Document.self, from: Data(try fleetform(["inventory", "list", "--json"]).stdout.utf8))
        let closed = try #require(listed.accounts.first { $0.accountId == app[1] })
        #expect(!closed.enabled && closed.disabledReason == "suspended" && closed.state == "SUSPENDED")
        // Disabled, never destroyed: its last result stays.
        let status = try fleetform(["status", "--json"])
        let accounts = (try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["accounts"] as? [[String: Any]]
        #expect(accounts?.first { $0["account_id"] as? String == app[1] }?["role_arn"] as? String
                == "arn:aws:iam::\(app[1]):role/terraform-akeyless-role", "\(status.stdout)")
        #expect(accounts?.count == 6)
        #expect(accounts?.allSatisfy { $0["status"] as? String == "succeeded" } == true, "\(status.stdout)")

        // Nothing new: discovery (reading tags this time), then no terraform at all;
        // retagging an account changes its record, never its apply.
        try moto.tagAccounts([new[0]: ["team": "payments"]])
        let startsBeforeIdle = control.executions().count
        let idle = try fleetform(apply + ["--with-tags"])
        #expect(idle.exitCode == 0, "\(text(idle))")
        #expect(idle.stdout.contains("added 0, updated 1, unchanged 6, disabled 0"), "\(text(idle))")
        #expect(idle.stdout.contains(": 5 selected, 0 to run, 5 up to date"), "\(text(idle))")
        #expect(control.executions().count == startsBeforeIdle)
        // With --json the discovery's line goes to stderr with the progress; stdout is one document.
        let quiet = try fleetform(apply + ["--json"])
        #expect(quiet.exitCode == 0, "\(text(quiet))")
        #expect(quiet.stderr.contains("discovered 7 accounts"), "\(text(quiet))")
        let document = try JSONSerialization.jsonObject(with: Data(quiet.stdout.utf8)) as? [String: Any]
        #expect(document?["outcome"] as? String == "succeeded", "\(quiet.stdout)")
        #expect((document?["counts"] as? [String: Int])?["skipped"] == 5, "\(quiet.stdout)")

        let tagged = try fleetform(["status", "--tag", "team=payments", "--json"])
        let taggedIDs = ((try JSONSerialization.jsonObject(with: Data(tagged.stdout.utf8)) as? [String: Any])?["accounts"]
            as? [[String: Any]])?.compactMap { $0["account_id"] as? String }
        #expect(taggedIDs == [new[0]], "\(text(tagged))")

        // Discovery options without --discover are a usage error.
        for flag in ["--include-suspended", "--with-tags"] {
            let stray = try fleetform(["apply", flag, "--template", FixtureControl.scriptedTemplate.path])
            #expect(stray.exitCode == 64)
            #expect(stray.stderr.contains("\(flag) needs --discover"), "\(stray.stderr)")
        }
    }
}
