import Foundation
import Testing
import TestSupport

/// `--adopt` with the built binary, real terraform and the aws provider against moto
/// with signature checking on: the gateway role made by hand (the seed's Terraform run
/// in the account, trusting the management account) in 2 of 5 accounts.
///
/// Costly: about 15 terraform runs with the aws provider at `--parallel 2`.
@Suite(.serialized) struct AdoptionEndToEndTests {
    static let roleName = "terraform-akeyless-role"
    static let everything = ["role", "policy", "attachment", "instance_profile"]

    @Test(.timeLimit(.minutes(15)))
    func handMadeRolesFailWithTheHintThenPlanAdoptShowsImportsAndApplyAdoptTakesThemOver() throws {
        let scratch = try TemporaryDirectory("fleetform-adopt-e2e")
        let home = scratch.url.appendingPathComponent("home").path
        let terraform = try TerraformFixtures(in: scratch.url.appendingPathComponent("terraform"))

        let moto = try MotoServer.start(settings: [
            "INITIAL_NO_AUTH_ACTION_COUNT": "\(MotoServer.authSetupRequests(accounts: 5))",
        ])
        defer { moto.stop() }
        let key = try moto.authSetup(accounts: 5)

        var environment = terraform.awsEnvironment(endpoint: moto.endpoint)
        environment["AWS_ACCESS_KEY_ID"] = key.accessKeyId
        environment["AWS_SECRET_ACCESS_KEY"] = key.secretAccessKey
        func fleetform(_ arguments: String...) throws -> FleetformProcess.Result {
            try FleetformProcess.run(arguments + ["--home", home], environment: environment)
        }
        func diagnostics(_ result: FleetformProcess.Result) -> String {
            "exit \(result.exitCode)\n--- stdout\n\(result.stdout)\n--- stderr\n\(result.stderr)"
        }

        let discovered = try fleetform("inventory", "discover")
        try #require(discovered.exitCode == 0, "\(diagnostics(discovered))")
        let status = try Self.status(try fleetform("status", "--json"))
        let accounts = status.accounts.map(\.accountId).sorted()
        try #require(accounts.count == 5, "\(status.accounts)")
        let management = "123456789012"
        let handMade = Array(accounts.prefix(2))
        let fresh = Array(accounts.dropFirst(2))
        for account in handMade {
            try moto.createByHand(account, managementAccount: management, key: key)
        }

        // 1. Without --adopt: the three fresh accounts are onboarded; the two hand-made
        //    ones fail with a line that names the clash, the account and the fix.
        let apply = try fleetform("apply", "--parallel", "2")
        #expect(apply.exitCode == 1, "\(diagnostics(apply))")
        var standing = try Self.status(try fleetform("status", "--json"))
        #expect(standing.summary == ["succeeded": 3, "failed": 2], "\(diagnostics(apply))")
        for account in handMade {
            let record = try #require(standing.accounts.first { $0.accountId == account })
            let error = record.error ?? ""
            #expect(error.hasPrefix("EntityAlreadyExists: "), "\(account): \(error)")
            #expect(error.contains("role \(Self.roleName)"), "\(account): \(error)")
            #expect(error.hasSuffix("already exist in \(account); run apply --adopt to take it over")
                    || error.hasSuffix("already exists in \(account); run apply --adopt to take it over"), "\(account): \(error)")
            #expect(record.adopted == [])
        }
        for account in fresh {
            #expect(standing.accounts.first { $0.accountId == account }?.status == "succeeded")
        }
        // Terraform created nothing beside the hand-made objects: still one role each.
        for account in handMade {
            let iam = try moto.inspectAccount(account, key: key)
            #expect(iam.roleNames.filter { $0 != "OrganizationAccountAccessRole" } == [Self.roleName], "\(iam.roleNames)")
        }

        // 2. plan --adopt: every hand-made object would be imported, and nothing changes.
        let before = try handMade.map { try moto.inspectAccount($0, key: key) }
        let plan = try fleetform("plan", "--adopt", "--account", handMade[0], "--account", handMade[1], "--json")
        #expect(plan.exitCode == 0, "\(diagnostics(plan))")
        let planDocument = try JSONDecoder.snakeCase.decode(RunResultDocument.self, from: Data(plan.stdout.utf8))
        #expect(planDocument.command == "plan")
        #expect(planDocument.changes?.import == 8, "\(plan.stdout)")
        for account in handMade {
            let row = try #require(planDocument.accounts.first { $0.accountId == account }, "\(plan.stdout)")
            #expect(row.status == "succeeded")
            #expect(row.changes?.import == 4, "\(account): \(plan.stdout)")
            #expect(row.changes?.add == 0, "\(account) would create something: \(plan.stdout)")
            #expect(Set(row.adopted) == Set(Self.everything), "\(row.adopted)")
        }
        #expect(plan.stderr.contains("⇣4"), "\(plan.stderr)")
        let after = try handMade.map { try moto.inspectAccount($0, key: key) }
        for (old, new) in zip(before, after) {
            #expect(new.role.trustStatements?.count == old.role.trustStatements?.count)
            #expect(new.role.trustStatements?.first?.principals == ["AWS": ["arn:aws:iam::\(management):root"]],
                    "plan changed the trust policy of \(new.accountId)")
            #expect(new.attachedPolicies.first?.sids == ["HandMade"], "plan changed the policy of \(new.accountId)")
        }
        standing = try Self.status(try fleetform("status", "--json"))
        #expect(standing.summary == ["succeeded": 3, "failed": 2], "a plan changed the recorded state")

        // 3. retry --adopt takes them over and brings them to the template.
        let adopt = try fleetform("retry", "--adopt", "--parallel", "2")
        #expect(adopt.exitCode == 0, "\(diagnostics(adopt))")
        #expect(adopt.stdout.contains("adopted role, policy, attachment, instance_profile"), "\(adopt.stdout)")
        standing = try Self.status(try fleetform("status", "--json"))
        #expect(standing.summary == ["succeeded": 5], "\(diagnostics(adopt))")
        for record in standing.accounts {
            if handMade.contains(record.accountId) {
                #expect(record.adopted == Self.everything, "\(record.accountId): \(record.adopted)")
            } else {
                #expect(record.adopted == [], "\(record.accountId): \(record.adopted)")
            }
            #expect(record.roleArn == "arn:aws:iam::\(record.accountId):role/\(Self.roleName)")
        }
        for account in accounts {
            let iam = try moto.inspectAccount(account, key: key)
            AWSEndToEndTests.expectOnboarded(iam, account: account)
            #expect(iam.roleNames.filter { $0 != "OrganizationAccountAccessRole" } == [Self.roleName],
                    "\(account): \(iam.roleNames)")
            #expect(iam.localPolicyNames == ["\(Self.roleName)-policy"], "\(account): \(iam.localPolicyNames)")
            // The seed's trust in the management account is gone.
            #expect(!(iam.role.trustStatements ?? []).contains { $0.principals["AWS"] == ["arn:aws:iam::\(management):root"] },
                    "\(account) still trusts the management account")
        }

        // 4. The adopted accounts are now up to date like any other: no terraform starts,
        //    and what was adopted stays recorded.
        let again = try fleetform("apply", "--adopt")
        #expect(again.exitCode == 0, "\(diagnostics(again))")
        #expect(again.stdout.contains("0 to run"), "\(again.stdout)")
        standing = try Self.status(try fleetform("status", "--json"))
        #expect(standing.accounts.filter { $0.adopted == Self.everything }.map(\.accountId).sorted() == handMade)
    }

    // MARK: - fleetform's JSON

    struct StatusDocument: Decodable {
        struct Account: Decodable {
            var accountId: String
            var status: String
            var roleArn: String?
            var error: String?
            var adopted: [String]
        }

        var accounts: [Account]
        var summary: [String: Int]
    }

    struct RunResultDocument: Decodable {
        struct Changes: Decodable {
            var add: Int
            var change: Int
            var destroy: Int
            var `import`: Int
        }

        struct Account: Decodable {
            var accountId: String
            var status: String
            var changes: Changes?
            var adopted: [String]
            var error: String?
        }

        var runId: String?
        var command: String
        var outcome: String
        var changes: Changes?
        var accounts: [Account]
    }

    static func status(_ result: FleetformProcess.Result) throws -> StatusDocument {
        try #require(result.exitCode == 0, "status --json: \(result.stderr)")
        return try JSONDecoder.snakeCase.decode(StatusDocument.self, from: Data(result.stdout.utf8))
    }
}

extension JSONDecoder {
    static var snakeCase: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}
