import Foundation
import Testing
import TestSupport

/// The Akeyless side end to end: the built binary with real terraform and the aws
/// provider against moto, and the Akeyless stand-in: `apply --akeyless` of five
/// accounts, a second sync that writes nothing, a target deleted behind fleetform's
/// back found by `verify --akeyless` and restored by `sync`, a destroy that unbinds one
/// account while the others stay, a destroy refused without Akeyless credentials, and
/// a sync through 20 % injected 429/503 answers that makes everything again, the same. Every command's
/// output, every file under the home and every command line is checked for the
/// Akeyless access key, its tokens and the AWS session token, each a unique marker.
///
/// Costly like `AWSEndToEndTests`: five accounts applied once, one destroyed.
@Suite(.serialized) struct AkeylessEndToEndTests {
    private struct Status: Decodable {
        struct Account: Decodable {
            struct Akeyless: Decodable {
                var status: String
                var target: String
                var authMethod: String
                var accessId: String?
                var syncedAt: String?
                var error: String?
            }

            var accountId: String
            var status: String
            var roleArn: String?
            var error: String?
            var akeyless: Akeyless?
        }

        var accounts: [Account]

        func account(_ id: String) -> Account? { accounts.first { $0.accountId == id } }
    }

    @Test(.timeLimit(.minutes(10)))
    func syncVerifyRepairDestroyAndThrottling() throws {
        let scratch = try TemporaryDirectory("fleetform-akeyless-e2e")
        let home = scratch.url.appendingPathComponent("home")
        let terraform = try TerraformFixtures(in: scratch.url.appendingPathComponent("terraform"))
        let moto = try MotoServer.start()
        defer { moto.stop() }
        let organization = try moto.createOrganization(memberAccounts: 5)
        let ids = organization.accounts.map(\.id)
        try #require(ids.count == 5)

        let unique = { UUID().uuidString.replacingOccurrences(of: "-", with: "") }
        let accessKey = "FFAKLKEY\(unique())"
        let tokenMarker = "FFAKLTOKEN\(unique())"
        let sessionToken = "FFAWSTOKEN\(unique())"
        let markers = [accessKey, tokenMarker, sessionToken]
        let standInConfiguration = AkeylessStandIn.Configuration(
            accessKeys: ["p-fleetformE2E": accessKey], tokenPrefix: "t-\(tokenMarker)-")
        let akeyless = try AkeylessStandIn.start(configuration: standInConfiguration)
        defer { akeyless.stop() }

        var aws = terraform.awsEnvironment(endpoint: moto.endpoint)
        aws["AWS_SESSION_TOKEN"] = sessionToken
        var environment = aws
        environment["AKEYLESS_API_URL"] = akeyless.url
        environment["AKEYLESS_ACCESS_ID"] = "p-fleetformE2E"
        environment["AKEYLESS_ACCESS_KEY"] = accessKey

        let sampler = CommandLineSampler(markers: markers)
        var outputs: [(String, FleetformProcess.Result)] = []
        func fleetform(_ arguments: [String], environment: [String: String] = environment) throws -> FleetformProcess.Result {
            let result = try FleetformProcess.run(arguments + ["--home", home.path], environment: environment)
            outputs.append((arguments.joined(separator: " "), result))
            return result
        }
        func text(_ result: FleetformProcess.Result) -> String {
            "exit \(result.exitCode)\n--- stdout\n\(result.stdout)\n--- stderr\n\(result.stderr)\n--- stand-in\n\(akeyless.logTail(15))"
        }
        func status() throws -> Status {
            let result = try fleetform(["status", "--json"])
            try #require(result.exitCode == 0, "\(text(result))")
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            return try decoder.decode(Status.self, from: Data(result.stdout.utf8))
        }
        let target = { (id: String) in "/fleetform/aws/\(id)" }
        let method = "/fleetform/aws-gateways"

        let members = organization.accounts.map {
            "{\"id\": \"\($0.id)\", \"name\": \"\($0.name)\", \"email\": \"\($0.email)\"}"
        }
        let inventory = try scratch.write("inventory.json", """
            {"management_account_id": "\(organization.managementAccountId)",
             "defaults": {"region": "eu-west-1"},
             "accounts": [\(members.joined(separator: ",\n  "))]}
            """)
        let imported = try fleetform(["inventory", "import", inventory])
        try #require(imported.exitCode == 0, "\(text(imported))")

        // 1. apply --akeyless: five roles, five targets, one auth method bound to all five.
        let apply = try fleetform(["apply", "--akeyless", "--parallel", "2"])
        try #require(apply.exitCode == 0, "\(text(apply))")
        #expect(apply.stdout.contains("akeyless sync: 5 accounts: 5 synced (targets: 5 created, 0 updated, 0 unchanged)"),
                "\(text(apply))")
        var state = try akeyless.state()
        #expect(state.targets.map(\.name).sorted() == ids.map(target).sorted())
        let shared = try #require(state.authMethod(method))
        #expect(Set(shared.boundAWSAccountIDs) == Set(ids))
        #expect(shared.boundRoleNames == ["terraform-akeyless-role"])
        for id in ids {
            let item = try #require(state.target(target(id)))
            #expect(item.region == "eu-west-1")
            #expect(item.useGatewayCloudIdentity)
            #expect(item.description.contains("role/terraform-akeyless-role"))
        }
        var fleet = try status()
        for id in ids {
            let account = try #require(fleet.account(id))
            #expect(account.status == "succeeded")
            #expect(account.akeyless?.status == "synced")
            #expect(account.akeyless?.target == target(id))
            #expect(account.akeyless?.authMethod == method)
            #expect(account.akeyless?.accessId == shared.accessID)
            #expect(account.akeyless?.syncedAt != nil)
        }

        // 2. A second sync reads and writes nothing.
        try akeyless.resetCalls()
        let again = try fleetform(["akeyless", "sync"])
        #expect(again.exitCode == 0, "\(text(again))")
        var calls = try akeyless.calls()
        #expect(calls.writes == 0, "\(calls.operations)")
        #expect(calls.requests("target-get-details") == 5)
        #expect(calls.requests("auth-method-get") == 1)
        #expect(again.stdout.contains("5 unchanged"), "\(text(again))")
        #expect(again.stdout.contains(" 0 writes "), "\(text(again))")

        // 3. A target deleted behind fleetform's back: verify finds it, sync restores it.
        try akeyless.deleteTarget(target(ids[1]))
        var wide = environment
        wide["COLUMNS"] = "200"  // the reason is cut to fit 80 columns otherwise
        let verify = try fleetform(["verify", "--akeyless"], environment: wide)
        #expect(verify.exitCode == 1, "\(text(verify))")
        #expect(verify.stdout.contains("drifted: target \(target(ids[1])) is missing"), "\(text(verify))")
        #expect(verify.stdout.contains("5 accounts: 4 as recorded, 1 drifted, 0 not checked"), "\(text(verify))")
        fleet = try status()
        #expect(fleet.account(ids[1])?.status == "drifted")
        #expect(fleet.account(ids[1])?.akeyless?.status == "drifted")
        #expect(fleet.account(ids[1])?.error == "akeyless: target \(target(ids[1])) is missing")
        #expect(fleet.account(ids[0])?.status == "succeeded")
        try akeyless.resetCalls()
        let repair = try fleetform(["akeyless", "sync"])
        #expect(repair.exitCode == 0, "\(text(repair))")
        calls = try akeyless.calls()
        #expect(calls.writes == 1 && calls.requests("target-create-aws") == 1, "\(calls.operations)")
        #expect(try akeyless.state().target(target(ids[1])) != nil)
        fleet = try status()
        #expect(fleet.account(ids[1])?.status == "succeeded")
        #expect(fleet.account(ids[1])?.akeyless?.status == "synced")
        #expect(try fleetform(["verify", "--akeyless"]).exitCode == 0)

        // 4. destroy of one account removes its target and its binding; the others stay.
        let destroy = try fleetform(["destroy", "--account", ids[4], "--yes"])
        #expect(destroy.exitCode == 0, "\(text(destroy))")
        state = try akeyless.state()
        #expect(state.target(target(ids[4])) == nil)
        #expect(state.targets.count == 4)
        #expect(Set(state.authMethod(method)?.boundAWSAccountIDs ?? []) == Set(ids[0..<4]))
        #expect(try !moto.inspectAccount(ids[4]).role.exists)
        fleet = try status()
        #expect(fleet.account(ids[4])?.status == "destroyed")
        #expect(fleet.account(ids[4])?.akeyless == nil)
        #expect(fleet.account(ids[0])?.akeyless?.status == "synced")

        // 5. Without Akeyless credentials, a synced account's destroy is refused, and
        // nothing is destroyed; --keep-akeyless is named as the way out.
        var withoutAkeyless = aws
        withoutAkeyless["AKEYLESS_API_URL"] = akeyless.url
        let refused = try fleetform(["destroy", "--account", ids[3], "--yes"], environment: withoutAkeyless)
        #expect(refused.exitCode == 1, "\(text(refused))")
        #expect(refused.stdout.contains("AKEYLESS_ACCESS_ID is not set"), "\(text(refused))")
        #expect(refused.stdout.contains("--keep-akeyless"), "\(text(refused))")
        #expect(try moto.inspectAccount(ids[3]).role.exists)
        #expect(try akeyless.state().target(target(ids[3])) != nil)

        // 6. Akeyless loses everything and then answers 20 % of the calls with 429 or
        // 503: one sync makes it all again, the same.
        let expected = try akeyless.state()
        try akeyless.reset()
        var faulty = standInConfiguration
        faulty.faultPercent = 20
        faulty.seed = 11
        try akeyless.setConfiguration(faulty)
        let throttledSync = try fleetform(["akeyless", "sync"])
        #expect(throttledSync.exitCode == 0, "\(text(throttledSync))")
        #expect(akeyless.injectedFaults.count > 0)
        let got = try akeyless.state()
        func summary(_ state: AkeylessStandIn.State) -> [String] {
            state.targets.map { "\($0.name) \($0.region) \($0.useGatewayCloudIdentity) \($0.description)" }.sorted()
        }
        #expect(summary(got) == summary(expected))
        #expect(summary(got).count == 4)
        #expect(got.authMethods.count == 1)
        #expect(Set(got.authMethod(method)?.boundAWSAccountIDs ?? []) == Set(ids[0..<4]))
        #expect(got.authMethod(method)?.boundRoleNames == ["terraform-akeyless-role"])
        fleet = try status()
        for id in ids[0..<4] { #expect(fleet.account(id)?.akeyless?.accessId == got.authMethod(method)?.accessID) }
        let sampled = sampler.stop()

        // No secret in any output, file under the home, or command line.
        for (command, result) in outputs {
            for marker in markers {
                #expect(!result.stdout.contains(marker), "\(command) printed a secret on stdout")
                #expect(!result.stderr.contains(marker), "\(command) printed a secret on stderr")
            }
        }
        var files = 0
        let walker = FileManager.default.enumerator(at: home, includingPropertiesForKeys: [.isRegularFileKey, .isSymbolicLinkKey])
        while let url = walker?.nextObject() as? URL {
            let values = try url.resourceValues(forKeys: [.isRegularFileKey, .isSymbolicLinkKey])
            guard values.isRegularFile == true, values.isSymbolicLink != true,
                  let data = FileManager.default.contents(atPath: url.path) else { continue }
            files += 1
            let bytes = [UInt8](data)
            for marker in markers where bytes.contains(subsequence: Array(marker.utf8)) {
                Issue.record("\(url.path.dropFirst(home.path.count)) holds a secret")
            }
        }
        #expect(files > 10)
        #expect(sampled.hits.isEmpty, "secrets on command lines: \(sampled.hits)")
        #expect(sampled.samples > 20)
        // The stand-in's tokens were really issued with the marker, so their absence means something.
        #expect(try akeyless.calls().auths >= 1)
    }
}
