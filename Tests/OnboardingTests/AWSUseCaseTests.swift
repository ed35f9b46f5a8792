import Foundation
import Testing
@testable import Inventory
@testable import Onboarding

@Suite struct AWSUseCaseTests {
    private let role = "arn:aws:iam::012345678901:role/terraform-akeyless-role"

    private func trust(_ statements: String) -> String {
        #"{"Version": "2012-10-17", "Statement": [\#(statements)]}"#
    }

    private let ec2 = #"{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}}"#
    private var selfAssume: String {
        #"{"Effect": "Allow", "Action": ["sts:AssumeRole"], "Principal": {"AWS": "arn:aws:iam::012345678901:root"}, "Condition": {"StringEquals": {"aws:PrincipalArn": ["\#(role)"]}}}"#
    }

    @Test func trustPolicyNeedsEC2AndTheRoleItself() {
        #expect(TrustPolicyCheck.problem(trust("\(ec2), \(selfAssume)"), roleARN: role, accountID: "012345678901") == nil)
        #expect(TrustPolicyCheck.problem(trust(selfAssume), roleARN: role, accountID: "012345678901")
            == "no longer allows ec2.amazonaws.com")
        #expect(TrustPolicyCheck.problem(trust(ec2), roleARN: role, accountID: "012345678901")
            == "no longer allows the role itself (\(role))")
        let direct = #"{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "\#(role)"}}"#
        #expect(TrustPolicyCheck.problem(trust("\(ec2), \(direct)"), roleARN: role, accountID: "012345678901") == nil)
        let denied = ec2.replacingOccurrences(of: "Allow", with: "Deny")
        #expect(TrustPolicyCheck.problem(trust("\(denied), \(selfAssume)"), roleARN: role, accountID: "012345678901")
            == "no longer allows ec2.amazonaws.com")
        #expect(TrustPolicyCheck.problem("not json", roleARN: role, accountID: "012345678901") == "cannot be read as JSON")
        #expect(TrustPolicyCheck.problem("[]", roleARN: role, accountID: "012345678901") == "cannot be read as JSON")
    }

    /// The policy grammar allows one value or a list almost everywhere, `"*"` as the
    /// principal, and numbers or booleans in conditions: none of them makes a policy unreadable.
    @Test func trustPolicyMembersMayBeOneValueOrAList() {
        func problem(_ document: String) -> String? {
            TrustPolicyCheck.problem(document, roleARN: role, accountID: "012345678901")
        }
        let ec2AsList = #"{"Effect": "Allow", "Action": ["sts:TagSession", 7, "sts:AssumeRole"], "Principal": {"Service": ["ec2.amazonaws.com"]}}"#
        let byAccountID = #"{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": ["012345678901"]}, "Condition": {"Bool": {"aws:MultiFactorAuthPresent": true}, "NumericLessThan": {"aws:MultiFactorAuthAge": 3600}, "StringEquals": {"aws:PrincipalArn": "\#(role)"}}}"#
        #expect(problem(trust("\(ec2AsList), \(byAccountID)")) == nil)
        // One statement, not in a list.
        #expect(problem(#"{"Version": "2012-10-17", "Statement": \#(ec2)}"#) == "no longer allows the role itself (\(role))")
        // Anyone (`*`) is not the role itself; no statements at all allow nothing.
        let anyone = #"{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": "*"}"#
        #expect(problem(trust("\(ec2), \(anyone), 42")) == "no longer allows the role itself (\(role))")
        #expect(problem(#"{"Version": "2012-10-17"}"#) == "allows neither ec2.amazonaws.com nor the role itself")
        #expect(problem(#"{"Statement": "none"}"#) == "allows neither ec2.amazonaws.com nor the role itself")
        // The root without the aws:PrincipalArn condition lets every principal of the account in.
        let rootOnly = #"{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "arn:aws:iam::012345678901:root"}, "Condition": "x"}"#
        #expect(problem(trust("\(ec2), \(rootOnly)")) == "no longer allows the role itself (\(role))")
    }

    /// The access role's ARN names the partition of the account's region, ISO ones included.
    @Test func accessRoleARNsNameTheRegionsPartition() {
        func arn(_ region: String) -> String {
            AccessRole.arn(account: AccountRecord(
                accountID: "012345678901", name: "a", email: nil, ouPath: "Root", region: region, roleName: "r",
                accessRoleName: "OrganizationAccountAccessRole", managementAccountID: nil, tags: [:], enabled: true,
                organizationState: "ACTIVE", source: .file, createdAt: "", updatedAt: ""))
        }
        #expect(arn("eu-west-1") == "arn:aws:iam::012345678901:role/OrganizationAccountAccessRole")
        #expect(arn("cn-northwest-1") == "arn:aws-cn:iam::012345678901:role/OrganizationAccountAccessRole")
        #expect(arn("us-gov-east-1") == "arn:aws-us-gov:iam::012345678901:role/OrganizationAccountAccessRole")
        #expect(arn("us-isob-east-1") == "arn:aws-iso-b:iam::012345678901:role/OrganizationAccountAccessRole")
    }

    private func record(_ id: String, name: String, region: String = "eu-west-1") -> FleetExport.Record {
        FleetExport.Record(accountID: id, name: name, ouPath: "Root/Prod", region: region,
                           roleARN: "arn:aws:iam::\(id):role/r", instanceProfileARN: nil, policyARN: "arn:aws:iam::\(id):policy/p")
    }

    @Test func akeylessScriptQuotesEveryValue() throws {
        let script = FleetExport.akeylessScript([record("012345678901", name: "it's; rm -rf /")], version: "0.1.0",
                                                date: Date(timeIntervalSince1970: 1_800_000_000))
        #expect(script.hasPrefix("#!/bin/sh\n"))
        #expect(script.contains(#"akeyless target create aws --name "$AKEYLESS_TARGET_PREFIX"/'it'\''s; rm -rf /-012345678901' --use-gw-cloud-identity --region 'eu-west-1'"#))
        #expect(script.contains("--bound-aws-account-id '012345678901'"))
        // The script is valid sh: `sh -n` parses it without running anything.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("fleetform-export-\(UUID()).sh")
        try script.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/bin/sh")
        check.arguments = ["-n", file.path]
        try check.run()
        check.waitUntilExit()
        #expect(check.terminationStatus == 0)
    }

    @Test func exportJSONHasTheDocumentedFields() throws {
        let json = FleetExport.json([record("012345678901", name: "a")])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let first = try #require((object["accounts"] as? [[String: Any]])?.first)
        #expect(Set(first.keys) == ["account_id", "name", "ou_path", "region", "role_arn", "instance_profile_arn", "policy_arn",
                                    "akeyless"])
        #expect(first["instance_profile_arn"] is NSNull)
        #expect(first["akeyless"] is NSNull)
        #expect(FleetExport.json([]) == "{\"accounts\": []}\n")
    }

    @Test func discoveryUpdatesInPlaceKeepsSettingsAndPrunesOnlyItsScope() throws {
        let db = try SQLiteInventoryStore.inMemory()
        // An account from a file, with its own region and tags.
        _ = try db.importAccounts([AccountSpec(accountID: "000000000001", name: "old", region: "eu-west-1", tags: ["t": "v"])],
                                  source: .file, origin: "f", prune: false)
        let defaults = DiscoveryDefaults(region: "us-east-1", managementAccountID: "123456789012")
        let first = try db.importDiscoveredAccounts([
            DiscoveredAccount(accountID: "000000000001", name: "payments", email: "a@example.com", ouPath: "Root/Prod", state: "ACTIVE", enabled: true),
            DiscoveredAccount(accountID: "000000000002", name: "old-sandbox", email: nil, ouPath: "Root/Sandbox", state: "SUSPENDED", enabled: false),
            DiscoveredAccount(accountID: "000000000003", name: "dev", email: nil, ouPath: "Root/Dev", state: "ACTIVE", enabled: true),
        ], defaults: defaults, origin: "organizations:123456789012", pruneUnder: nil)
        #expect(first == InventoryImportSummary(added: 2, updated: 1))
        let accounts = Dictionary(uniqueKeysWithValues: try db.allAccounts().map { ($0.accountID, $0) })
        #expect(accounts["000000000001"]?.region == "eu-west-1")
        #expect(accounts["000000000001"]?.tags == ["t": "v"])
        #expect(accounts["000000000001"]?.ouPath == "Root/Prod")
        #expect(accounts["000000000001"]?.source == .organizations)
        #expect(accounts["000000000002"]?.organizationState == "SUSPENDED")
        #expect(accounts["000000000002"]?.enabled == false)
        #expect(accounts["000000000003"]?.region == "us-east-1")

        // Re-discovery of a subtree that no longer lists 000000000003 prunes only inside it.
        let again = try db.importDiscoveredAccounts([
            DiscoveredAccount(accountID: "000000000001", name: "payments", email: "a@example.com", ouPath: "Root/Prod", state: "ACTIVE", enabled: true),
        ], defaults: defaults, origin: "organizations:123456789012", pruneUnder: ["Root/Prod"])
        #expect(again == InventoryImportSummary(unchanged: 1))
        let everything = try db.importDiscoveredAccounts([], defaults: defaults, origin: "o", pruneUnder: ["Root"])
        #expect(everything.disabled == 2)
        #expect(try db.allAccounts().count == 3)
    }

    /// Account tags come from a discovery that read them (`--with-tags`) and are kept by
    /// one that did not; a change to them alone is an update.
    @Test func discoveryReplacesAccountTagsOnlyWhenItReadThem() throws {
        let db = try SQLiteInventoryStore.inMemory()
        let defaults = DiscoveryDefaults(region: "us-east-1", managementAccountID: "123456789012")
        func discover(_ tags: [String: String]?) throws -> InventoryImportSummary {
            try db.importDiscoveredAccounts([
                DiscoveredAccount(accountID: "000000000001", name: "payments", email: nil, ouPath: "Root", state: "ACTIVE",
                                  enabled: true, tags: tags),
            ], defaults: defaults, origin: "o", pruneUnder: nil)
        }
        func accountTags() throws -> [String: String]? { try db.allAccounts().first?.accountTags }
        #expect(try discover(["team": "payments"]) == InventoryImportSummary(added: 1))
        #expect(try accountTags() == ["team": "payments"])
        #expect(try discover(nil) == InventoryImportSummary(unchanged: 1))
        #expect(try accountTags() == ["team": "payments"])
        #expect(try discover(["team": "payments"]) == InventoryImportSummary(unchanged: 1))
        #expect(try discover(["team": "search", "env": "prod"]) == InventoryImportSummary(updated: 1))
        #expect(try accountTags() == ["team": "search", "env": "prod"])
        #expect(try discover([:]) == InventoryImportSummary(updated: 1))
        #expect(try accountTags() == [:])
        // Resource tags are the file's business: discovery never touches them.
        #expect(try db.allAccounts().first?.tags == [:])
    }

    /// A user's `enabled: false` survives discovery, which may only disable (or re-enable
    /// what it disabled itself); `inventory list` says why each account is disabled.
    @Test func discoveryNeverEnablesAnAccountTheUserDisabled() throws {
        let db = try SQLiteInventoryStore.inMemory()
        _ = try db.importAccounts([
            AccountSpec(accountID: "000000000001", name: "paused", region: "eu-west-1", enabled: false),
            AccountSpec(accountID: "000000000002", name: "live", region: "eu-west-1"),
        ], source: .file, origin: "f", prune: false)
        let defaults = DiscoveryDefaults(region: "us-east-1", managementAccountID: "000000000009")
        func discover(_ states: [String: String], prune: [String]? = nil) throws {
            _ = try db.importDiscoveredAccounts(states.map { id, state in
                DiscoveredAccount(accountID: id, name: "n\(id.suffix(1))", email: nil, ouPath: "Root",
                                  state: state, enabled: state == "ACTIVE" && id != "000000000009")
            }, defaults: defaults, origin: "o", pruneUnder: prune)
        }
        func reasons() throws -> [String: String] {
            var result: [String: String] = [:]
            for account in try db.allAccounts() {
                result[account.accountID] = account.enabled ? "enabled" : account.disabledReason?.rawValue ?? "?"
            }
            return result
        }
        try discover(["000000000001": "ACTIVE", "000000000002": "SUSPENDED", "000000000009": "ACTIVE"])
        #expect(try reasons() == ["000000000001": "user", "000000000002": "suspended", "000000000009": "management"])
        // Reactivated: discovery lifts its own reason, never the user's.
        try discover(["000000000001": "ACTIVE", "000000000002": "ACTIVE", "000000000009": "ACTIVE"])
        #expect(try reasons() == ["000000000001": "user", "000000000002": "enabled", "000000000009": "management"])
        try discover(["000000000001": "ACTIVE"], prune: ["Root"])
        #expect(try reasons() == ["000000000001": "user", "000000000002": "removed", "000000000009": "management"])
        // Only the user lifts the user's reason, with the file.
        _ = try db.importAccounts([AccountSpec(accountID: "000000000001", name: "n1", region: "eu-west-1")],
                                  source: .file, origin: "f", prune: false)
        #expect(try reasons()["000000000001"] == "enabled")
    }
}
