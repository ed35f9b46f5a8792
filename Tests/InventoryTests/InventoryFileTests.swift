import Foundation
import FleetformBasics
import Testing
import TestSupport
@testable import Inventory

/// One failing input per validation rule, each checked for its JSON path and message.
@Suite struct InventoryFileTests {
    /// A valid file whose first account is `account` (JSON object text).
    private func file(account: String, defaults: String = #"{"region": "us-east-1"}"#,
                      management: String = #""123456789012""#) -> String {
        #"{"management_account_id": \#(management), "defaults": \#(defaults), "accounts": [\#(account)]}"#
    }

    private func problems(_ text: String) -> [String] {
        do {
            _ = try InventoryFile.parse(Array(text.utf8))
            return []
        } catch {
            return error.problemLines
        }
    }

    @Test func parsesTheExampleFile() throws {
        let data = try Data(contentsOf: RepositoryFiles.url("inventory.example.json"))
        let file = try InventoryFile.parse([UInt8](data))
        #expect(file.managementAccountID == "123456789012")
        #expect(file.accounts.count == 10)
        #expect(file.accounts.filter { !$0.enabled }.map(\.name) == ["sandbox-legacy"])
        let checkout = try #require(file.accounts.first { $0.accountID == "034567890123" })
        // IDs keep their leading zero; defaults fill the region; account tags override default tags.
        #expect(checkout.region == "us-east-1")
        #expect(checkout.tags == ["managed-by": "fleetform", "cost-center": "commerce", "team": "checkout"])
        #expect(checkout.roleName == "terraform-akeyless-role")
        #expect(checkout.managementAccountID == "123456789012")
        // Account tags (selection) stand alone: no defaults, no merging with resource tags.
        #expect(checkout.accountTags == [:])
        let payments = try #require(file.accounts.first { $0.accountID == "210987654321" })
        #expect(payments.accountTags == ["team": "payments", "env": "prod"])
        #expect(payments.tags == ["managed-by": "fleetform", "cost-center": "platform", "team": "payments"])
        let dataLake = try #require(file.accounts.first { $0.name == "data-lake-prod" })
        #expect(dataLake.roleName == "akeyless-gateway-data")
        #expect(Set(file.accounts.map(\.ouPath)).count >= 4)
    }

    @Test func appliesBuiltInDefaultsWhenTheFileHasNone() throws {
        let parsed = try InventoryFile.parse(Array(file(account: #"{"id": "000000000001", "name": "a"}"#).utf8))
        let account = try #require(parsed.accounts.first)
        #expect(account.roleName == AccountSpec.defaultRoleName)
        #expect(account.accessRoleName == "OrganizationAccountAccessRole")
        #expect(account.ouPath == "Root")
        #expect(account.email == nil)
        #expect(account.enabled)
    }

    @Test(arguments: [
        // Account IDs
        (#"{"id": 210987654321, "name": "a"}"#,
         #"accounts[0].id: must be a string, not a number: write it in quotes ("210987654321"), because account IDs can start with 0"#),
        (#"{"id": 10987654321, "name": "a"}"#,
         #"accounts[0].id: must be a string, not a number: write it in quotes ("10987654321"), because account IDs can start with 0; this number has 11 digits, so a leading 0 was probably lost"#),
        (#"{"id": "12345", "name": "a"}"#, #"accounts[0].id: must be exactly 12 digits, got "12345""#),
        (#"{"id": "12345678901a", "name": "a"}"#, #"accounts[0].id: must be exactly 12 digits, got "12345678901a""#),
        (#"{"id": ["1"], "name": "a"}"#, "accounts[0].id: expected a string of 12 digits, got an array"),
        (#"{"name": "a"}"#, "accounts[0].id: missing; give the account's 12-digit ID as a string"),
        // Names
        (#"{"id": "000000000001"}"#, "accounts[0].name: missing; give the account's name"),
        (#"{"id": "000000000001", "name": ""}"#, "accounts[0].name: must not be empty"),
        (#"{"id": "000000000001", "name": "a\u0007b"}"#, #"accounts[0].name: contains the control character U+0007"#),
        // Bidirectional overrides reorder what a terminal shows; refused wherever they appear.
        (#"{"id": "000000000001", "name": "prod\u202Edorp"}"#, #"accounts[0].name: contains the control character U+202E"#),
        (#"{"id": "000000000001", "name": "n", "ou_path": "Root/\u2066Prod"}"#, #"accounts[0].ou_path: contains the control character U+2066"#),
        (#"{"id": "000000000001", "name": "n", "tags": {"team": "pay\u200Fments"}}"#, #"accounts[0].tags.team: contains the control character U+200F"#),
        (#"{"id": "000000000001", "name": "n", "email": "a\u0085@example.com"}"#, #"accounts[0].email: contains the control character U+0085"#),
        (#"{"id": "000000000001", "name": "café"}"#, #"accounts[0].name: must be printable ASCII characters, got "café""#),
        (#"{"id": "000000000001", "name": "\#(String(repeating: "n", count: 51))"}"#, "accounts[0].name: must be at most 50 characters, got 51"),
        (#"{"id": "000000000001", "name": 7}"#, "accounts[0].name: expected a string, got a number"),
        // E-mail
        (#"{"id": "000000000001", "name": "a", "email": "not-an-address"}"#,
         #"accounts[0].email: must be an e-mail address like name@example.com, got "not-an-address""#),
        (#"{"id": "000000000001", "name": "a", "email": "a@b@example.com"}"#,
         #"accounts[0].email: must be an e-mail address like name@example.com, got "a@b@example.com""#),
        (#"{"id": "000000000001", "name": "a", "email": "me @example.com"}"#,
         #"accounts[0].email: must be an e-mail address like name@example.com, got "me @example.com""#),
        // OU paths
        (#"{"id": "000000000001", "name": "a", "ou_path": "Workloads/Prod"}"#,
         #"accounts[0].ou_path: must be a path of OU names starting at Root, like Root/Workloads/Prod, got "Workloads/Prod""#),
        (#"{"id": "000000000001", "name": "a", "ou_path": "Root//Prod"}"#,
         #"accounts[0].ou_path: must be a path of OU names starting at Root, like Root/Workloads/Prod, got "Root//Prod""#),
        // Regions
        (#"{"id": "000000000001", "name": "a", "region": "useast1"}"#,
         #"accounts[0].region: must be an AWS region like us-east-1 or eu-central-2, got "useast1""#),
        (#"{"id": "000000000001", "name": "a", "region": "US-EAST-1"}"#,
         #"accounts[0].region: must be an AWS region like us-east-1 or eu-central-2, got "US-EAST-1""#),
        // IAM role names
        (#"{"id": "000000000001", "name": "a", "role_name": "has space"}"#,
         #"accounts[0].role_name: must be an IAM role name of 1–64 letters, digits and +=,.@_-, got "has space""#),
        (#"{"id": "000000000001", "name": "a", "access_role_name": "\#(String(repeating: "r", count: 65))"}"#,
         #"accounts[0].access_role_name: must be an IAM role name of 1–64 letters, digits and +=,.@_-, got "\#(String(repeating: "r", count: 60))…""#),
        // Tags
        (#"{"id": "000000000001", "name": "a", "tags": {"team": 5}}"#, "accounts[0].tags.team: tag values must be strings, got a number"),
        (#"{"id": "000000000001", "name": "a", "tags": {"aws:x": "y"}}"#, #"accounts[0].tags["aws:x"]: tag keys starting with aws: are reserved by AWS"#),
        (#"{"id": "000000000001", "name": "a", "tags": {"\#(String(repeating: "k", count: 129))": "v"}}"#,
         "accounts[0].tags.\(String(repeating: "k", count: 129)): tag keys must be 1–128 characters"),
        (#"{"id": "000000000001", "name": "a", "tags": {"k": "\#(String(repeating: "v", count: 257))"}}"#,
         "accounts[0].tags.k: tag values must be at most 256 characters, got 257"),
        (#"{"id": "000000000001", "name": "a", "tags": {"k": "semi;colon"}}"#,
         #"accounts[0].tags.k: tag values may hold only letters, digits, spaces and _.:/=+-@, got "semi;colon""#),
        (#"{"id": "000000000001", "name": "a", "tags": ["team"]}"#,
         "accounts[0].tags: expected an object of string keys to string values, got an array"),
        // Enabled
        (#"{"id": "000000000001", "name": "a", "enabled": "no"}"#, "accounts[0].enabled: expected true or false, got a string"),
        // Unknown keys
        (#"{"id": "000000000001", "name": "a", "regoin": "us-east-1"}"#, #"accounts[0].regoin: unknown key; did you mean "region"?"#),
        (#"{"id": "000000000001", "name": "a", "colour": "blue"}"#,
         "accounts[0].colour: unknown key (allowed: id, name, email, ou_path, region, role_name, access_role_name, tags, account_tags, enabled)"),
        (#"{"id": "000000000001", "name": "a", "account_tag": {"team": "x"}}"#,
         #"accounts[0].account_tag: unknown key; did you mean "account_tags"?"#),
        // Account tags follow the tag rules, with their own path.
        (#"{"id": "000000000001", "name": "a", "account_tags": ["team"]}"#,
         "accounts[0].account_tags: expected an object of string keys to string values, got an array"),
        (#"{"id": "000000000001", "name": "a", "account_tags": {"team": 1}}"#,
         "accounts[0].account_tags.team: tag values must be strings, got a number"),
        (#"{"id": "000000000001", "name": "a", "account_tags": {"aws:x": "y"}}"#,
         #"accounts[0].account_tags["aws:x"]: tag keys starting with aws: are reserved by AWS"#),
        (#"{"id": "000000000001", "name": "a", "account_tags": {"cost center": "a;b"}}"#,
         #"accounts[0].account_tags["cost center"]: tag values may hold only letters, digits, spaces and _.:/=+-@, got "a;b""#),
        (#"{"id": "000000000001", "name": "a", "account_tags": {"team": "x\u202E"}}"#,
         "accounts[0].account_tags.team: contains the control character U+202E"),
        (#"{"id": "000000000001", "name": "a", "account_tags": {"": "x"}}"#,
         #"accounts[0].account_tags[""]: tag keys must be 1–128 characters"#),
        (#"{"id": "000000000001", "name": "a", "name": "b"}"#, "accounts[0].name: duplicate key"),
        (#"[]"#, "accounts[0]: expected an object, got an array"),
    ])
    func reportsEachBrokenRule(account: String, expected: String) {
        #expect(problems(file(account: account)) == [expected])
    }

    @Test func reportsMissingRegionOnlyWhenDefaultsHaveNone() {
        #expect(problems(file(account: #"{"id": "000000000001", "name": "a"}"#, defaults: "{}"))
            == ["accounts[0].region: missing, and defaults.region is not set"])
    }

    @Test func checksTopLevelAndDefaults() {
        #expect(problems(#"[1, 2]"#) == [#"$: the file must hold a JSON object with "management_account_id" and "accounts", got an array"#])
        #expect(problems(#"{"accounts": []}"#)
            == ["management_account_id: missing; give the 12-digit ID of the organization's management account"])
        #expect(problems(#"{"management_account_id": "123456789012"}"#)
            == ["accounts: missing; give a list of accounts (it may be empty)"])
        #expect(problems(#"{"management_account_id": "123456789012", "accounts": {}}"#)
            == ["accounts: expected an array of accounts, got an object"])
        #expect(problems(file(account: #"{"id": "000000000001", "name": "a"}"#, management: "123456789012"))
            == [#"management_account_id: must be a string, not a number: write it in quotes ("123456789012"), because account IDs can start with 0"#])
        #expect(problems(file(account: #"{"id": "000000000001", "name": "a"}"#, defaults: #"{"region": "us-east-1", "regions": "x"}"#))
            == [#"defaults.regions: unknown key; did you mean "region"?"#])
        #expect(problems(file(account: #"{"id": "000000000001", "name": "a"}"#, defaults: #"{"region": "mars-1"}"#))
            == [#"defaults.region: must be an AWS region like us-east-1 or eu-central-2, got "mars-1""#])
        #expect(problems(#"{"management_account_id": "123456789012", "accounts": [], "extra": 1}"#)
            == ["extra: unknown key (allowed: management_account_id, defaults, accounts)"])
    }

    @Test func rejectsDuplicateAccountIDs() {
        let text = #"{"management_account_id": "123456789012", "defaults": {"region": "us-east-1"}, "accounts": [{"id": "000000000001", "name": "a"}, {"id": "000000000002", "name": "b"}, {"id": "000000000001", "name": "c"}]}"#
        #expect(problems(text) == ["accounts[2].id: 000000000001 is listed twice (first at accounts[0])"])
    }

    @Test func reportsEveryProblemInOnePass() {
        let text = #"{"management_account_id": "1", "accounts": [{"id": 1, "name": ""}, {"id": "000000000002", "name": "b", "region": "x"}]}"#
        #expect(problems(text).map { $0.prefix(while: { $0 != ":" }) }
            == ["management_account_id", "accounts[0].id", "accounts[0].name", "accounts[0].region", "accounts[1].region"])
    }

    @Test func reportsTagCountOverTheIAMLimit() {
        let tags = (0..<51).map { #""k\#($0)": "v""# }.joined(separator: ", ")
        #expect(problems(file(account: #"{"id": "000000000001", "name": "a", "tags": {\#(tags)}}"#))
            == ["accounts[0].tags: 51 tags including defaults.tags; IAM allows at most 50"])
    }

    /// Account tags are the account's own: not allowed in `defaults`, not merged with
    /// `tags`, and limited to the 50 Organizations allows.
    @Test func accountTagsAreNeitherDefaultedNorMerged() throws {
        #expect(problems(file(account: #"{"id": "000000000001", "name": "a"}"#,
                              defaults: #"{"region": "us-east-1", "account_tags": {"team": "x"}}"#))
            == ["defaults.account_tags: not allowed in defaults: account tags describe one account; give them per account"])
        let parsed = try InventoryFile.parse(Array(file(
            account: #"{"id": "000000000001", "name": "a", "tags": {"team": "r"}, "account_tags": {"team": "s", "pci": ""}}"#,
            defaults: #"{"region": "us-east-1", "tags": {"managed-by": "fleetform"}}"#).utf8))
        let account = try #require(parsed.accounts.first)
        #expect(account.tags == ["managed-by": "fleetform", "team": "r"])
        #expect(account.accountTags == ["team": "s", "pci": ""])
        let many = (0..<51).map { #""k\#($0)": "v""# }.joined(separator: ", ")
        #expect(problems(file(account: #"{"id": "000000000001", "name": "a", "account_tags": {\#(many)}}"#))
            == ["accounts[0].account_tags: 51 tags; Organizations allows at most 50 on an account"])
    }

    @Test func reportsSyntaxErrorsWithPosition() {
        #expect(problems("{\"accounts\": [}") == ["not valid JSON: line 1, column 15: unexpected '}'; expected a value"])
        #expect(problems("") == ["not valid JSON: line 1, column 1: the file is empty; expected a JSON object"])
    }

    @Test(arguments: ["us-east-1", "eu-central-2", "us-gov-west-1", "ap-southeast-3", "cn-north-1", "il-central-1",
                      "us-iso-east-1", "us-isob-east-1", "eu-isoe-west-1", "us-isof-south-1"])
    func acceptsRealRegions(region: String) {
        #expect(AccountFieldRules.regionProblem(region) == nil)
    }

    /// The file and the environment follow one rule (`AWSRegionName`): a region the
    /// AWS client refuses for `AWS_REGION` can never be imported, and the other way round.
    @Test(arguments: ["us-gov-iso-east-1", "us-east-100", "evil.com#", "us-east-1.evil.com", "us-east", "US-EAST-1",
                      "us-" + String(repeating: "a", count: 60) + "-1", "eu-isoe-west-1"])
    func regionsFollowTheSharedRule(region: String) {
        #expect((AccountFieldRules.regionProblem(region) == nil) == AWSRegionName.isValid(region))
    }
}
