import Foundation
import Testing
import TestSupport

/// The built binary with real terraform and the real hashicorp/aws provider against
/// moto, with a fault proxy in between that denies AssumeRole into some accounts.
///
/// Costly (each terraform with the aws provider takes ~4 s of CPU and ~800 MB), so
/// there is one test, three member accounts and `--parallel 2`.
@Suite(.serialized) struct AWSEndToEndTests {
    static let roleName = "terraform-akeyless-role"
    static let policySids: Set<String> = ["AkeylessSecrets", "AkeylessUSC", "AkeylessUSCAccess", "SelfAssume"]

    @Test(.timeLimit(.minutes(10)))
    func applyWithDeniedAccountsRetryAfterTheFaultIsLiftedThenNothingToDo() throws {
        let scratch = try TemporaryDirectory("fleetform-aws-e2e")
        let home = scratch.url.appendingPathComponent("home").path
        let terraform = try TerraformFixtures(in: scratch.url.appendingPathComponent("terraform"))

        let moto = try MotoServer.start()
        defer { moto.stop() }
        let organization = try moto.createOrganization(memberAccounts: 3)
        try #require(organization.accounts.count == 3)
        let accounts = organization.accounts.map(\.id)
        let healthy = accounts[0]
        let denied = Array(accounts[1...])

        let proxy = try FaultProxy.start(upstream: moto.endpoint, faults: .init(denyAssumeRole: denied))
        defer { proxy.stop() }

        let environment = terraform.awsEnvironment(endpoint: proxy.endpoint)
        func fleetform(_ arguments: String...) throws -> FleetformProcess.Result {
            try FleetformProcess.run(arguments + ["--home", home], environment: environment)
        }
        /// What to read when an expectation fails: fleetform's output and every account's log.
        func diagnostics(_ result: FleetformProcess.Result) -> String {
            var text = "exit \(result.exitCode)\n--- stdout\n\(result.stdout)\n--- stderr\n\(result.stderr)"
            for account in accounts {
                let log = (try? fleetform("logs", account))?.stdout ?? "(no log)"
                text += "\n--- log of \(account) (last 40 lines)\n"
                text += log.split(separator: "\n", omittingEmptySubsequences: false).suffix(40).joined(separator: "\n")
            }
            return text + "\n--- fault proxy (last 20 lines)\n" + proxy.process.logTail(20)
        }

        // The inventory: moto's organization, every account in us-east-1.
        let members = organization.accounts.map {
            "{\"id\": \"\($0.id)\", \"name\": \"\($0.name)\", \"email\": \"\($0.email)\"}"
        }
        let inventory = try scratch.write("inventory.json", """
            {"management_account_id": "\(organization.managementAccountId)",
             "defaults": {"region": "us-east-1"},
             "accounts": [\(members.joined(separator: ",\n  "))]}
            """)
        let imported = try fleetform("inventory", "import", inventory)
        try #require(imported.exitCode == 0, "\(imported.stderr)")
        #expect(imported.stdout == "added 3, updated 0, unchanged 0, disabled 0\n")

        // 1. AssumeRole is denied in two accounts: they fail, the third is onboarded.
        let firstApply = try fleetform("apply", "--parallel", "2")
        #expect(firstApply.exitCode == 1, "\(diagnostics(firstApply))")

        var status = try Self.status(try fleetform("status", "--json"))
        #expect(status.summary == ["succeeded": 1, "failed": 2], "\(diagnostics(firstApply))")
        let onboarded = try #require(status.accounts.first { $0.accountId == healthy })
        #expect(onboarded.status == "succeeded", "\(diagnostics(firstApply))")
        Self.expectRecordedARNs(onboarded)
        for account in denied {
            let failed = try #require(status.accounts.first { $0.accountId == account })
            #expect(failed.status == "failed")
            // The preflight failed it before terraform started, with a one-line reason that
            // leads with the cause (a status table keeps only its first ~40 characters).
            #expect(failed.error?.hasPrefix("AccessDenied: User: arn:aws:iam::123456789012:user/fleetform-test is not authorized") == true,
                    "error of \(account): \(failed.error ?? "nil")")
            #expect(failed.error?.hasSuffix(
                " (injected by fleetform's fault proxy) (assuming arn:aws:iam::\(account):role/OrganizationAccountAccessRole)") == true,
                "error of \(account): \(failed.error ?? "nil")")
            #expect(failed.roleArn == nil)
            #expect(failed.attempts == 0, "\(account) cost \(failed.attempts) terraform attempts")
            let log = try fleetform("logs", account)
            // No terraform log: `logs` shows the recorded error instead.
            #expect(log.exitCode == 0, "\(log.stdout)\(log.stderr)")
            #expect(log.stdout.contains("failed before terraform ran: \(failed.error ?? "?")"), "\(log.stdout)")
        }
        #expect(firstApply.stdout.contains("preflight: assumed the access role in 1 of 3 accounts; 2 failed"),
                "\(diagnostics(firstApply))")
        let injected = proxy.injectedFaults
        #expect(!injected.isEmpty)
        for account in denied {
            #expect(injected.contains { $0.contains("arn:aws:iam::\(account):role/OrganizationAccountAccessRole") },
                    "no AssumeRole into \(account) was denied: \(injected)")
        }
        #expect(!injected.contains { $0.contains(healthy) }, "\(injected)")

        // What terraform made, read from moto directly (not through the proxy).
        Self.expectOnboarded(try moto.inspectAccount(healthy), account: healthy)
        for account in denied {
            let iam = try moto.inspectAccount(account)
            #expect(iam.role.exists == false, "\(account) has the role although AssumeRole into it was denied")
            #expect(iam.instanceProfiles.isEmpty)
        }

        // 2. The fault is lifted: retry runs exactly the two failed accounts.
        try proxy.setFaults(.none)
        let retry = try fleetform("retry", "--parallel", "2")
        #expect(retry.exitCode == 0, "\(diagnostics(retry))")

        var runs = try Self.runs(try fleetform("runs", "--json"))
        let retryRun = try #require(runs.first)
        #expect(retryRun.command == "retry")
        #expect(retryRun.selected == 2, "\(retryRun)")
        #expect(retryRun.succeeded == 2, "\(retryRun)")
        #expect(retryRun.failed == 0, "\(retryRun)")
        #expect(retryRun.finishedAt != nil)
        // The first init of the run installs the provider alone; the other gets its lock
        // file first and so only links from the cache (hashicorp/terraform#31964: without
        // a lock file every init installs into the shared cache again, all at once).
        let retryLogs = try denied.map { account in
            try String(contentsOf: URL(fileURLWithPath: home).appendingPathComponent("logs/\(retryRun.runId)/\(account).log"),
                       encoding: .utf8)
        }
        #expect(retryLogs.filter { $0.contains("Installing hashicorp/aws") }.count == 1, "\(retryLogs)")
        #expect(retryLogs.filter { $0.contains("Using hashicorp/aws v5.100.0 from the shared cache directory") }.count == 1,
                "\(retryLogs)")

        status = try Self.status(try fleetform("status", "--json"))
        #expect(status.summary == ["succeeded": 3], "\(diagnostics(retry))")
        for account in accounts {
            let record = try #require(status.accounts.first { $0.accountId == account })
            #expect(record.status == "succeeded", "\(account)")
            #expect(record.error == nil, "\(account): \(record.error ?? "")")
            Self.expectRecordedARNs(record)
        }
        #expect(status.accounts.first { $0.accountId == healthy }?.lastRunId != retryRun.runId,
                "retry ran the account that had already succeeded")
        for account in denied {
            #expect(status.accounts.first { $0.accountId == account }?.lastRunId == retryRun.runId)
            Self.expectOnboarded(try moto.inspectAccount(account), account: account)
        }

        // 3. Nothing changed: every account is up to date, no terraform starts.
        let requestsBefore = proxy.forwardedRequests.count
        let again = try fleetform("apply", "--parallel", "2")
        #expect(again.exitCode == 0, "\(diagnostics(again))")
        runs = try Self.runs(try fleetform("runs", "--json"))
        #expect(runs.count == 3)
        let lastRun = try #require(runs.first)
        #expect(lastRun.command == "apply")
        #expect(lastRun.selected == 3, "\(lastRun)")
        #expect(lastRun.skipped == 3, "\(lastRun)")
        #expect(lastRun.succeeded == 0 && lastRun.failed == 0, "\(lastRun)")
        #expect(proxy.forwardedRequests.count == requestsBefore,
                "an up-to-date apply sent AWS requests: \(proxy.forwardedRequests.dropFirst(requestsBefore))")
        let lastRunLogs = URL(fileURLWithPath: home).appendingPathComponent("logs/\(lastRun.runId)")
        let logFiles = (try? FileManager.default.contentsOfDirectory(atPath: lastRunLogs.path)) ?? []
        #expect(logFiles.filter { $0.hasSuffix(".log") }.isEmpty, "terraform logs in the up-to-date run: \(logFiles)")
        #expect(try Self.status(try fleetform("status", "--json")).summary == ["succeeded": 3])

        // 4. verify: every role as recorded; one deleted behind fleetform's back is drifted.
        let verified = try fleetform("verify")
        #expect(verified.exitCode == 0, "\(diagnostics(verified))")
        #expect(verified.stdout.contains("3 accounts: 3 as recorded, 0 drifted, 0 not checked"), "\(verified.stdout)")
        try moto.deleteRole(healthy)
        let drift = try fleetform("verify")
        #expect(drift.exitCode == 1)
        #expect(drift.stdout.contains("drifted: role terraform-akeyless-role no longer exists"), "\(drift.stdout)")
        status = try Self.status(try fleetform("status", "--json"))
        #expect(status.summary == ["succeeded": 2, "drifted": 1])
        #expect(status.accounts.first { $0.accountId == healthy }?.error == "role terraform-akeyless-role no longer exists")
        let exported = try fleetform("export", "--format", "csv")
        #expect(exported.stdout.split(separator: "\r\n").count == 3, "header + the two accounts as recorded: \(exported.stdout)")
        #expect(!exported.stdout.contains(healthy))

        // A later apply re-creates the drifted role (it is not up to date) and clears the drift.
        let repair = try fleetform("apply", "--parallel", "2")
        #expect(repair.exitCode == 0, "\(diagnostics(repair))")
        let repairRun = try #require(try Self.runs(try fleetform("runs", "--json")).first)
        #expect(repairRun.succeeded == 1 && repairRun.skipped == 2, "\(repairRun)")
        Self.expectOnboarded(try moto.inspectAccount(healthy), account: healthy)
        #expect(try fleetform("verify").exitCode == 0)
        let script = try fleetform("export", "--format", "akeyless")
        #expect(script.stdout.components(separatedBy: "akeyless target create aws").count == 4)
    }

    // MARK: - Checks

    /// The ARNs fleetform recorded name the account's own role, policy and instance profile.
    static func expectRecordedARNs(_ record: StatusDocument.Account, sourceLocation: SourceLocation = #_sourceLocation) {
        let account = record.accountId
        #expect(record.roleArn == "arn:aws:iam::\(account):role/\(roleName)", sourceLocation: sourceLocation)
        #expect(record.policyArn == "arn:aws:iam::\(account):policy/\(roleName)-policy", sourceLocation: sourceLocation)
        #expect(record.instanceProfileArn == "arn:aws:iam::\(account):instance-profile/\(roleName)",
                sourceLocation: sourceLocation)
    }

    /// What the built-in template must leave in a member account's IAM.
    static func expectOnboarded(_ iam: MemberAccountIAM, account: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let roleArn = "arn:aws:iam::\(account):role/\(roleName)"
        #expect(iam.callerAccount == account, "moto did not map the assumed role to \(account)", sourceLocation: sourceLocation)
        #expect(iam.role.exists, "\(account) has no \(roleName)", sourceLocation: sourceLocation)
        #expect(iam.role.arn == roleArn, sourceLocation: sourceLocation)

        let trust = iam.role.trustStatements ?? []
        #expect(trust.count == 2, "\(trust)", sourceLocation: sourceLocation)
        #expect(trust.allSatisfy { $0.effect == "Allow" && $0.actions == ["sts:AssumeRole"] }, "\(trust)",
                sourceLocation: sourceLocation)
        #expect(trust.contains { $0.principals == ["Service": ["ec2.amazonaws.com"]] && $0.condition.isEmpty },
                "no ec2.amazonaws.com statement: \(trust)", sourceLocation: sourceLocation)
        #expect(trust.contains {
            $0.principals == ["AWS": ["arn:aws:iam::\(account):root"]]
                && $0.condition == ["StringEquals": ["aws:PrincipalArn": [roleArn]]]
        }, "no statement for the account's root limited to the role itself: \(trust)", sourceLocation: sourceLocation)

        #expect(iam.attachedPolicies.map(\.name) == ["\(roleName)-policy"], sourceLocation: sourceLocation)
        if let policy = iam.attachedPolicies.first {
            #expect(policy.arn == "arn:aws:iam::\(account):policy/\(roleName)-policy", sourceLocation: sourceLocation)
            #expect(Set(policy.sids) == policySids && policy.sids.count == 4, "\(policy.sids)", sourceLocation: sourceLocation)
            let selfAssume = policy.statements.first { $0.sid == "SelfAssume" }
            #expect(selfAssume?.resources == [roleArn], sourceLocation: sourceLocation)
        }

        let profiles = iam.instanceProfiles.filter { $0.name == roleName }
        #expect(profiles.count == 1, "\(iam.instanceProfiles)", sourceLocation: sourceLocation)
        #expect(profiles.first?.roles == [roleName], sourceLocation: sourceLocation)
        #expect(profiles.first?.arn == "arn:aws:iam::\(account):instance-profile/\(roleName)", sourceLocation: sourceLocation)
    }

    // MARK: - fleetform's JSON

    struct StatusDocument: Decodable {
        struct Account: Decodable {
            var accountId: String
            var status: String
            var roleArn: String?
            var policyArn: String?
            var instanceProfileArn: String?
            var lastRunId: String?
            var attempts: Int
            var error: String?
        }

        var accounts: [Account]
        var summary: [String: Int]
    }

    struct RunsDocument: Decodable {
        struct Run: Decodable {
            var runId: String
            var command: String
            var finishedAt: String?
            var selected: Int
            var succeeded: Int
            var failed: Int
            var skipped: Int
            var interrupted: Int
        }

        var runs: [Run]
    }

    static func status(_ result: FleetformProcess.Result, sourceLocation: SourceLocation = #_sourceLocation) throws -> StatusDocument {
        try #require(result.exitCode == 0, "status --json: \(result.stderr)", sourceLocation: sourceLocation)
        return try decoder.decode(StatusDocument.self, from: Data(result.stdout.utf8))
    }

    static func runs(_ result: FleetformProcess.Result, sourceLocation: SourceLocation = #_sourceLocation) throws -> [RunsDocument.Run] {
        try #require(result.exitCode == 0, "runs --json: \(result.stderr)", sourceLocation: sourceLocation)
        return try decoder.decode(RunsDocument.self, from: Data(result.stdout.utf8)).runs
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}
