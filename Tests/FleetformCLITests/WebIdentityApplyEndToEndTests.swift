import Foundation
import Testing
import TestSupport

/// `fleetform apply` with web identity as the only credential source: fleetform's own
/// client (preflight) and terraform's aws provider each exchange the token themselves.
/// fleetform hands terraform no credentials: the provider (aws-sdk-go-v2) reads
/// `AWS_WEB_IDENTITY_TOKEN_FILE` / `AWS_ROLE_ARN` from the environment fleetform passes
/// through, and calls STS at `AWS_ENDPOINT_URL_STS`.
///
/// STS goes through a fault proxy (no faults) whose log names each operation, so the
/// test sees the provider's AssumeRoleWithWebIdentity besides fleetform's. moto does
/// not check signatures here: how many unsigned calls terraform makes is its business.
@Suite(.serialized) struct WebIdentityApplyEndToEndTests {
    @Test(.timeLimit(.minutes(6)))
    func applyWithWebIdentityAsTheOnlySource() throws {
        let scratch = try TemporaryDirectory("fleetform-web-identity-apply")
        let home = scratch.url.appendingPathComponent("home").path
        let terraform = try TerraformFixtures(in: scratch.url.appendingPathComponent("terraform"))
        let moto = try MotoServer.start()
        defer { moto.stop() }
        let organization = try moto.createOrganization(memberAccounts: 1)
        let account = try #require(organization.accounts.first)
        let roleARN = try moto.createAdministratorRole(name: "github-ci")
        let sts = try FaultProxy.start(upstream: moto.endpoint)
        defer { sts.stop() }

        let tokenFile = try scratch.write("oidc-token", "eyJhbGciOiJSUzI1NiJ9.github-actions-oidc-token.sig")
        var environment = terraform.awsEnvironment(endpoint: moto.endpoint)
        environment["AWS_ACCESS_KEY_ID"] = nil
        environment["AWS_SECRET_ACCESS_KEY"] = nil
        environment.merge([
            "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_ARN": roleARN, "AWS_ROLE_SESSION_NAME": "fleetform-apply",
            "AWS_ENDPOINT_URL_STS": sts.endpoint, "HOME": scratch.path,
        ]) { _, new in new }
        func fleetform(_ arguments: String...) throws -> FleetformProcess.Result {
            try FleetformProcess.run(arguments + ["--home", home], environment: environment)
        }

        let inventory = try scratch.write("inventory.json", """
            {"management_account_id": "\(organization.managementAccountId)", "defaults": {"region": "us-east-1"},
             "accounts": [{"id": "\(account.id)", "name": "\(account.name)", "email": "\(account.email)"}]}
            """)
        try #require(try fleetform("inventory", "import", inventory).exitCode == 0)

        let apply = try fleetform("apply")
        let log = (try? fleetform("logs", account.id))?.stdout ?? ""
        #expect(apply.exitCode == 0, "\(apply.stdout)\(apply.stderr)\n--- log\n\(log.suffix(3000))\n--- sts\n\(sts.process.logTail(20))")
        let status = try AWSEndToEndTests.status(try fleetform("status", "--json"))
        let record = try #require(status.accounts.first)
        #expect(record.status == "succeeded", "\(record.error ?? "")")
        AWSEndToEndTests.expectRecordedARNs(record)
        AWSEndToEndTests.expectOnboarded(try moto.inspectAccount(account.id), account: account.id)

        // fleetform's preflight exchanged the token once; terraform's provider at least
        // once more (plan/apply), at the STS endpoint of AWS_ENDPOINT_URL_STS.
        let forwarded = sts.process.log.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        let exchanges = forwarded.filter { $0.hasSuffix("FORWARD POST AssumeRoleWithWebIdentity") }
        #expect(exchanges.count >= 2, "\(sts.process.logTail(30))")
        #expect(forwarded.contains { $0.hasSuffix("FORWARD POST AssumeRole") },
                "the access role was not assumed through STS: \(sts.process.logTail(30))")
        #expect(!(apply.stdout + apply.stderr + log).contains("github-actions-oidc-token"), "the token must never be printed")
    }
}
