import Foundation
import Inventory
import Terraform
import Testing
@testable import Onboarding

@Suite struct PolicyTests {
    @Test func failureToleranceFollowsStackSets() {
        #expect(FailureTolerance("3") == .count(3))
        #expect(FailureTolerance("10%") == .percent(10))
        #expect(FailureTolerance("-1") == nil)
        #expect(FailureTolerance("101%") == nil)
        #expect(FailureTolerance("x") == nil)
        #expect(FailureTolerance.count(3).allowedFailures(of: 500) == 3)
        // Percentages round down: 10% of 15 accepts 1 failure, 10% of 9 accepts none.
        #expect(FailureTolerance.percent(10).allowedFailures(of: 15) == 1)
        #expect(FailureTolerance.percent(10).allowedFailures(of: 9) == 0)
        #expect(FailureTolerance.percent(100).allowedFailures(of: 7) == 7)
    }

    @Test func parallelismDefaultsToTwoPerCoreAndFitsMemory() {
        let gib: UInt64 = 1024 * 1024 * 1024
        #expect(ParallelismPolicy.decide(requested: nil, cores: 2, availableMemory: 22 * gib)
            == .init(parallel: 4, notice: nil))
        #expect(ParallelismPolicy.decide(requested: 8, cores: 2, availableMemory: nil) == .init(parallel: 8, notice: nil))
        let lowered = ParallelismPolicy.decide(requested: 32, cores: 2, availableMemory: 4 * gib)
        #expect(lowered.parallel == 5)
        #expect(lowered.notice?.contains("instead of --parallel 32") == true)
        let loweredDefault = ParallelismPolicy.decide(requested: nil, cores: 16, availableMemory: 2 * gib)
        #expect(loweredDefault.parallel == 2)
        #expect(loweredDefault.notice?.contains("the default of 32") == true)
        #expect(ParallelismPolicy.decide(requested: nil, cores: 1, availableMemory: 100).parallel == 1)
    }

    @Test(arguments: [
        ("Error: creating IAM Role: Throttling: Rate exceeded", true),
        ("RequestLimitExceeded: Request limit exceeded.", true),
        ("operation error STS: AssumeRole, TooManyRequestsException", true),
        ("read tcp 10.0.0.1:443: read: connection reset by peer", true),
        ("Error acquiring the state lock", true),
        ("Error acquiring the state lock: Error message: 2 problems: - Unsupported state file format: The state file could not be parsed as JSON", false),
        ("StatusCode: 503, ServiceUnavailable", true),
        ("AccessDenied: User is not authorized to perform: sts:AssumeRole", false),
        ("EntityAlreadyExists: Role with name terraform-akeyless-role already exists", false),
        ("InvalidClientTokenId: The security token included in the request is invalid", false),
        ("Invalid value for variable", false),
        ("AccessDenied (Service: STS, Status Code: 403) … throttling", false),
        ("Failed to install provider: Error while installing hashicorp/aws v5.100.0: after installing registry.terraform.io/hashicorp/aws it is still not detected in /h/plugin-cache; this is a bug in Terraform", true),
    ])
    func classifiesTransientErrors(message: String, transient: Bool) {
        var report = TerraformReport()
        report.diagnostics = [.init(severity: "error", summary: "failed", detail: message)]
        #expect(TransientErrors.isTransient(report: report) == transient)
    }

    @Test func selectionMatchesOUPathPrefixesBySegment() throws {
        let accounts = [
            record("000000000001", ou: "Root/Workloads/Prod"),
            record("000000000002", ou: "Root/Workloads"),
            record("000000000003", ou: "Root/WorkloadsArchive"),
            record("000000000004", ou: "Root/Security", enabled: false),
        ]
        let byOU = try AccountSelection(ouPrefixes: ["Root/Workloads"]).apply(to: accounts)
        #expect(byOU.map(\.accountID) == ["000000000001", "000000000002"])
        #expect(try AccountSelection().apply(to: accounts).count == 3)
        #expect(try AccountSelection(accountIDs: ["000000000003"], ouPrefixes: ["Root/Workloads/Prod"])
            .apply(to: accounts).map(\.accountID) == ["000000000001", "000000000003"])
        #expect(throws: SelectionError.unknownAccount("999999999999")) {
            try AccountSelection(accountIDs: ["999999999999"]).apply(to: accounts)
        }
        #expect(throws: SelectionError.disabledAccount("000000000004", "acct-000000000004")) {
            try AccountSelection(accountIDs: ["000000000004"]).apply(to: accounts)
        }
    }

    /// `--tag` (all must match, by value or by key), then `--exclude-account` and
    /// `--exclude-ou`, after `--account` / `--ou`; each filter's own failure names it.
    @Test func selectionByTagsAndExclusions() throws {
        let accounts = [
            record("000000000001", ou: "Root/Workloads/Prod", accountTags: ["team": "payments", "env": "prod", "pci": ""]),
            record("000000000002", ou: "Root/Workloads/Dev", accountTags: ["team": "payments", "env": "dev"]),
            record("000000000003", ou: "Root/Workloads/Prod", accountTags: ["team": "search", "env": "prod"]),
            // Resource tags (on its IAM objects) never select an account.
            record("000000000004", ou: "Root/Security", tags: ["team": "payments", "env": "prod"],
                   accountTags: ["team": "security"]),
            record("000000000005", ou: "Root/Workloads/Prod", enabled: false, accountTags: ["team": "payments", "env": "prod"]),
        ]
        func ids(_ selection: AccountSelection) throws -> [String] {
            try selection.apply(to: accounts).map(\.accountID)
        }
        let tag = { (text: String) in AccountSelection.TagFilter(text)! }
        #expect(try ids(.init(tags: [tag("team=payments")])) == ["000000000001", "000000000002"])
        #expect(try ids(.init(tags: [tag("team=payments"), tag("env=prod")])) == ["000000000001"])
        #expect(try ids(.init(tags: [tag("env")])) == ["000000000001", "000000000002", "000000000003"])
        #expect(try ids(.init(tags: [tag("pci")])) == ["000000000001"])
        #expect(try ids(.init(tags: [tag("pci=")])) == ["000000000001"])
        #expect(try ids(.init(ouPrefixes: ["Root/Workloads"], tags: [tag("env=prod")])) == ["000000000001", "000000000003"])
        #expect(try ids(.init(excludedAccountIDs: ["000000000002"])) == ["000000000001", "000000000003", "000000000004"])
        #expect(try ids(.init(excludedOUPrefixes: ["Root/Workloads/Prod"])) == ["000000000002", "000000000004"])
        #expect(try ids(.init(ouPrefixes: ["Root/Workloads"], tags: [tag("team=payments")],
                              excludedAccountIDs: ["000000000001"])) == ["000000000002"])
        #expect(AccountSelection.TagFilter("") == nil)
        #expect(AccountSelection.TagFilter("=x") == nil)
        #expect(AccountSelection.TagFilter("a=b=c") == .init(key: "a", value: "b=c"))

        func refusal(_ selection: AccountSelection) -> String? {
            do {
                _ = try selection.apply(to: accounts)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(refusal(.init(ouPrefixes: ["Root/Sandbox"])) == "--ou Root/Sandbox: no enabled account matches")
        #expect(refusal(.init(ouPrefixes: ["Root/Security"], tags: [tag("team=payments")]))
            == "--tag team=payments: no account left of the 1 selected by --ou Root/Security")
        #expect(refusal(.init(tags: [tag("team=payments"), tag("env=qa")]))
            == "--tag env=qa: no account left of the 2 selected by all enabled accounts --tag team=payments")
        #expect(refusal(.init(tags: [tag("team=search")], excludedAccountIDs: ["000000000003"]))
            == "--exclude-account 000000000003: no account left of the 1 selected by all enabled accounts --tag team=search")
        #expect(refusal(.init(ouPrefixes: ["Root/Workloads/Prod"], excludedOUPrefixes: ["Root/Workloads"]))
            == "--exclude-ou Root/Workloads: no account left of the 2 selected by --ou Root/Workloads/Prod")
        // The disabled account is never selected, by tag or otherwise.
        #expect(try !ids(.init(tags: [tag("team=payments")])).contains("000000000005"))
    }

    /// Every filter at once, in the documented order: `--account` or `--ou` include,
    /// each `--tag` narrows (by value, or by key alone), then the exclusions.
    @Test func selectionCombinesEveryFilter() throws {
        let accounts = [
            record("000000000001", ou: "Root/Workloads/Prod", accountTags: ["team": "payments", "env": "prod"]),
            record("000000000002", ou: "Root/Workloads/Dev", accountTags: ["team": "payments", "env": "dev"]),
            record("000000000003", ou: "Root/Workloads/Staging", accountTags: ["team": "payments", "env": "staging"]),
            record("000000000004", ou: "Root/Workloads/Staging", accountTags: ["team": "payments"]),
            record("000000000005", ou: "Root/Workloads/Staging", accountTags: ["team": "search", "env": "staging"]),
            record("000000000006", ou: "Root/Security", accountTags: ["team": "payments", "env": "audit"]),
            record("000000000007", ou: "Root/Sandbox", accountTags: ["team": "payments", "env": "sandbox"]),
            record("000000000008", ou: "Root/Workloads/Prod", enabled: false, accountTags: ["team": "payments", "env": "prod"]),
        ]
        let tag = { (text: String) in AccountSelection.TagFilter(text)! }
        var selection = AccountSelection(
            accountIDs: ["000000000006"], ouPrefixes: ["Root/Workloads"], tags: [tag("team=payments"), tag("env")],
            excludedAccountIDs: ["000000000001"], excludedOUPrefixes: ["Root/Workloads/Dev"])
        // --account 6 / --ou Root/Workloads: 1–6; team=payments: not 5; env: not 4;
        // not 1; not under Dev: 3 and 6 are left, in inventory order.
        #expect(try selection.apply(to: accounts).map(\.accountID) == ["000000000003", "000000000006"])
        selection.excludedAccountIDs.append("000000000006")
        #expect(try selection.apply(to: accounts).map(\.accountID) == ["000000000003"])
        selection.tags.append(tag("env=qa"))
        #expect(throws: SelectionError.emptied(
            by: "--tag env=qa", before: ("--account 000000000006 --ou Root/Workloads --tag team=payments --tag env", 4))) {
            try selection.apply(to: accounts)
        }
        func refusal(_ selection: AccountSelection) -> String? {
            do {
                _ = try selection.apply(to: accounts)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(refusal(selection) == "--tag env=qa: no account left of the 4 selected by --account 000000000006 "
            + "--ou Root/Workloads --tag team=payments --tag env")
        // A key alone that no account carries is named as such.
        #expect(refusal(.init(tags: [tag("cost-center")]))
            == "--tag cost-center: no account left of the 7 selected by all enabled accounts")
    }

    @Test func runIDsSortByTime() {
        let earlier = RunID.make(at: Date(timeIntervalSince1970: 1_800_000_000))
        let later = RunID.make(at: Date(timeIntervalSince1970: 1_800_000_061))
        #expect(earlier.hasPrefix("20270115-"))
        #expect(earlier < later)
        #expect(earlier.count == 20)
    }

    @Test func templateVariablesCarryTheAccount() {
        let values = TemplateVariables.values(for: record("012345678901", ou: "Root"))
        #expect(values["account_id"] == .string("012345678901"))
        #expect(values["management_account_id"] == .string("123456789012"))
        #expect(values["tags"] == .object(.init(members: [.init("team", .string("t"))])))
    }

    /// Account tags select accounts and stay out of terraform: not in the variables, so
    /// not in the config hash, and retagging an account re-runs nothing. Resource tags
    /// are in both.
    @Test func accountTagsReachNeitherTheVariablesNorTheConfigHash() {
        let renderer = WorkspaceRenderer(layout: HomeLayout(home: URL(fileURLWithPath: "/h")), terraformVersion: "1.11.0")
        func hash(_ account: AccountRecord) -> String {
            renderer.rendering(accountID: account.accountID, template: .builtIn,
                               variables: TemplateVariables.values(for: account)).configHash
        }
        var account = record("012345678901", ou: "Root")
        let values = TemplateVariables.values(for: account)
        let base = hash(account)
        account.accountTags = ["team": "payments", "env": "prod"]
        #expect(TemplateVariables.values(for: account) == values)
        #expect(hash(account) == base)
        account.tags = ["team": "payments"]
        #expect(hash(account) != base)
    }

    private func record(_ id: String, ou: String, enabled: Bool = true, tags: [String: String] = ["team": "t"],
                        accountTags: [String: String] = [:]) -> AccountRecord {
        AccountRecord(
            accountID: id, name: "acct-\(id)", email: nil, ouPath: ou, region: "us-east-1",
            roleName: "terraform-akeyless-role", accessRoleName: "OrganizationAccountAccessRole",
            managementAccountID: "123456789012", tags: tags, accountTags: accountTags, enabled: enabled,
            organizationState: nil, source: .file,
            createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z")
    }
}
