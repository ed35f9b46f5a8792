import AWSClient
import FleetformBasics
import Foundation
import Testing
import TestSupport
@testable import Inventory
@testable import Onboarding
@testable import Terraform

/// `--adopt`'s look-ups against moto, and the hint an existing object gets without it.
@Suite(.serialized) struct AdoptionTests {
    static let roleName = "terraform-akeyless-role"

    private func account(_ id: String) -> AccountRecord {
        AccountRecord(
            accountID: id, name: "member", email: nil, ouPath: "Root", region: "us-east-1", roleName: Self.roleName,
            accessRoleName: "OrganizationAccountAccessRole", managementAccountID: "123456789012", tags: [:], enabled: true,
            organizationState: "ACTIVE", source: .file, createdAt: "", updatedAt: "")
    }

    private func survey(_ survey: AdoptionSurvey, _ id: String, managed: Set<String> = []) async -> Result<AdoptionSurvey.Finding, AdoptionSurvey.Refusal> {
        let account = account(id)
        do throws(AdoptionSurvey.Refusal) {
            return .success(try await survey.survey(
                account: account, manifest: TerraformTemplate.builtIn.adoption!,
                variables: TemplateVariables.values(for: account), managed: managed))
        } catch {
            return .failure(error)
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func existingObjectsAreFoundAndUnsafeOnesRefuseTheAccount() async throws {
        let moto = try MotoServer.start()
        defer { moto.stop() }
        let organization = try moto.createOrganization(memberAccounts: 6)
        let ids = organization.accounts.map(\.id)
        let management = organization.managementAccountId
        try moto.createByHand(ids[0], managementAccount: management)
        try moto.createByHand(ids[1], managementAccount: management, rolePath: "/legacy/")
        try moto.createByHand(ids[2], managementAccount: management, policyVersions: 5)
        try moto.createByHand(ids[3], managementAccount: management, profileRole: "someone-else")
        try moto.createByHand(ids[4], managementAccount: management, policyVersions: 4)
        // ids[5]: nothing there.

        let session = AWSSession(environment: [
            "AWS_ENDPOINT_URL": moto.endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        ])
        let adoption = AdoptionSurvey(session: session)

        // One AssumeRole and one IAM call per object, plus the policy's versions.
        let start = session.requests.value
        let everything = try await survey(adoption, ids[0]).get()
        #expect(session.requests.value - start == 6)
        let policyARN = "arn:aws:iam::\(ids[0]):policy/\(Self.roleName)-policy"
        #expect(everything.kinds == [.role, .policy, .attachment, .instanceProfile])
        #expect(everything.imports == [
            ImportBlock(address: "aws_iam_role.this", id: Self.roleName),
            ImportBlock(address: "aws_iam_policy.this", id: policyARN),
            ImportBlock(address: "aws_iam_role_policy_attachment.this", id: "\(Self.roleName)/\(policyARN)"),
            ImportBlock(address: "aws_iam_instance_profile.this[0]", id: Self.roleName),
        ])

        // What the state already manages is not looked up again.
        let partly = try await survey(adoption, ids[0], managed: ["aws_iam_role.this", "aws_iam_policy.this"]).get()
        #expect(partly.kinds == [.attachment, .instanceProfile])
        let requests = session.requests.value
        let all: Set<String> = Set(TerraformTemplate.builtIn.adoption!.objects.map(\.address))
        #expect(try await survey(adoption, ids[0], managed: all).get() == .nothing)
        #expect(session.requests.value == requests, "a fully managed account cost AWS requests")

        let beforeEmpty = session.requests.value
        #expect(try await survey(adoption, ids[5]).get() == .nothing)
        #expect(session.requests.value - beforeEmpty == 5, "no policy, so no version listing")
        // Four versions leave room for the one bringing the policy to the template.
        #expect(try await survey(adoption, ids[4]).get().kinds.count == 4)

        func refusal(_ id: String) async -> String? {
            if case .failure(let refusal) = await survey(adoption, id) { return refusal.description }
            return nil
        }
        #expect(await refusal(ids[1]) == """
            cannot adopt role \(Self.roleName) in \(ids[1]): its path is /legacy/, the template's is /; adopting it \
            would replace it, so fleetform leaves it alone (rename or delete it by hand)
            """)
        #expect(await refusal(ids[2]) == """
            cannot adopt policy \(Self.roleName)-policy in \(ids[2]): it has 5 versions, the most IAM keeps, and bringing \
            it to the template adds one; delete an old version (aws iam delete-policy-version) and run again
            """)
        #expect(await refusal(ids[3]) == """
            cannot adopt instance profile \(Self.roleName) in \(ids[3]): it holds the role someone-else, not \
            \(Self.roleName); remove that role from it (aws iam remove-role-from-instance-profile) and run again
            """)
    }

    @Test func entityAlreadyExistsNamesTheObjectsTheAccountAndTheFix() {
        func diagnostic(_ kind: String, _ name: String, _ operation: String) -> TerraformReport.Diagnostic {
            TerraformReport.Diagnostic(
                severity: "error",
                summary: "creating IAM \(kind) (\(name)): operation error IAM: \(operation), https response error "
                    + "StatusCode: 409, RequestID: 7a62c49f-347e-4fc4-9331-6e8eEXAMPLE, EntityAlreadyExists: "
                    + "\(kind) with name \(name) already exists.",
                detail: "")
        }
        var report = TerraformReport()
        report.diagnostics = [diagnostic("Role", Self.roleName, "CreateRole")]
        #expect(AlreadyExistsHint.message(for: report, accountID: "012345678901")
            == "EntityAlreadyExists: role \(Self.roleName) already exists in 012345678901; run apply --adopt to take it over")
        report.diagnostics.append(diagnostic("Policy", "\(Self.roleName)-policy", "CreatePolicy"))
        report.diagnostics.append(diagnostic("Instance Profile", Self.roleName, "CreateInstanceProfile"))
        #expect(AlreadyExistsHint.message(for: report, accountID: "012345678901") == """
            EntityAlreadyExists: role \(Self.roleName), policy \(Self.roleName)-policy and instance profile \
            \(Self.roleName) already exist in 012345678901; run apply --adopt to take it over
            """)
        var other = TerraformReport()
        other.diagnostics = [TerraformReport.Diagnostic(severity: "error", summary: "AccessDenied: no", detail: "")]
        #expect(AlreadyExistsHint.message(for: other, accountID: "012345678901") == nil)
    }
}
