import AWSClient
import FleetformBasics
import Foundation
import Synchronization
import Testing
@testable import Inventory
@testable import Onboarding

/// A fake Organizations / STS below the HTTP seam (the real URLSession transport sits
/// behind the same protocol): answers by `x-amz-target` and `ParentId`, counts requests.
final class FakeAWS: HTTPTransport {
    typealias Route = @Sendable (_ operation: String, _ body: [String: Any]) -> (Int, String)
    private let route: Route
    private let sent = Mutex(0)

    init(_ route: @escaping Route) {
        self.route = route
    }

    var requests: Int { sent.withLock { $0 } }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        sent.withLock { $0 += 1 }
        let operation: String
        var body: [String: Any] = [:]
        if let target = request.headers["x-amz-target"] {
            operation = String(target.split(separator: ".").last ?? "")
            body = (try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any]) ?? [:]
        } else {
            let form = String(decoding: request.body, as: UTF8.self)
            operation = form.split(separator: "&").first { $0.hasPrefix("Action=") }.map { String($0.dropFirst(7)) } ?? ""
        }
        let (status, text) = route(operation, body)
        return HTTPResponse(status: status, body: Array(text.utf8))
    }

    func session() -> AWSSession {
        AWSSession(
            environment: ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-east-1",
                          "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"],
            homeDirectory: "/nonexistent", transport: self,
            retry: RetryPolicy(maximumAttempts: 3, base: .milliseconds(1), cap: .milliseconds(2)))
    }

    static let organization = #"{"Organization": {"Id": "o-abc", "MasterAccountId": "111111111111"}}"#
    static let roots = #"{"Roots": [{"Id": "r-ab12", "Name": "Root"}]}"#

    static func units(_ units: [(String, String)]) -> String {
        #"{"OrganizationalUnits": [\#(units.map { #"{"Id": "\#($0.0)", "Name": "\#($0.1)"}"# }.joined(separator: ","))]}"#
    }

    static func accounts(_ json: String) -> String {
        #"{"Accounts": [\#(json)]}"#
    }
}

@Suite struct AWSAnswerTests {
    private func discover(_ fake: FakeAWS, _ options: OrganizationDiscovery.Options = .init()) async throws -> OrganizationDiscovery.Result {
        try await OrganizationDiscovery(organizations: fake.session().organizations()).discover(options)
    }

    @Test(.timeLimit(.minutes(1)))
    func anOUListedAsItsOwnDescendantFailsTheDiscovery() async throws {
        // Root → ou-a → ou-b → ou-a again.
        let fake = FakeAWS { operation, body in
            let parent = body["ParentId"] as? String ?? ""
            switch operation {
            case "DescribeOrganization": return (200, FakeAWS.organization)
            case "ListRoots": return (200, FakeAWS.roots)
            case "ListOrganizationalUnitsForParent":
                switch parent {
                case "r-ab12": return (200, FakeAWS.units([("ou-ab12-aaaaaaaa", "A")]))
                case "ou-ab12-aaaaaaaa": return (200, FakeAWS.units([("ou-ab12-bbbbbbbb", "B")]))
                default: return (200, FakeAWS.units([("ou-ab12-aaaaaaaa", "A")]))
                }
            default: return (200, FakeAWS.accounts(""))
            }
        }
        await #expect(throws: DiscoveryError(
            problem: "OU ou-ab12-aaaaaaaa appears twice in the OU tree, the second time under ou-ab12-bbbbbbbb: "
                + "Organizations describes a cycle",
            call: "Organizations ListOrganizationalUnitsForParent ou-ab12-bbbbbbbb")) {
            _ = try await discover(fake)
        }
        // Describe, roots, and two requests for each of the three levels.
        #expect(fake.requests == 8)
    }

    @Test(.timeLimit(.minutes(1)))
    func parentsThatLoopFailASubtreeDiscovery() async throws {
        let fake = FakeAWS { operation, body in
            switch operation {
            case "DescribeOrganization": return (200, FakeAWS.organization)
            case "DescribeOrganizationalUnit": return (200, #"{"OrganizationalUnit": {"Id": "x", "Name": "N"}}"#)
            case "ListParents":
                let child = body["ChildId"] as? String ?? ""
                let parent = child == "ou-ab12-aaaaaaaa" ? "ou-ab12-bbbbbbbb" : "ou-ab12-aaaaaaaa"
                return (200, #"{"Parents": [{"Id": "\#(parent)", "Type": "ORGANIZATIONAL_UNIT"}]}"#)
            default: return (200, FakeAWS.accounts(""))
            }
        }
        let error = await #expect(throws: DiscoveryError.self) {
            _ = try await discover(fake, .init(ouIDs: ["ou-ab12-aaaaaaaa"]))
        }
        #expect(error?.description == "the parents of OU ou-ab12-aaaaaaaa lead back to ou-ab12-aaaaaaaa: Organizations describes "
            + "a cycle (Organizations ListParents ou-ab12-aaaaaaaa)")
        #expect(fake.requests == 5)
    }

    @Test func controlAndBidiCharactersFromOrganizationsAreEscaped() async throws {
        let fake = FakeAWS { operation, body in
            let parent = body["ParentId"] as? String ?? ""
            switch operation {
            case "DescribeOrganization": return (200, FakeAWS.organization)
            case "ListRoots": return (200, FakeAWS.roots)
            case "ListOrganizationalUnitsForParent":
                return (200, parent == "r-ab12" ? FakeAWS.units([("ou-ab12-aaaaaaaa", #"Prod\u202E\u001b[31m"#)]) : FakeAWS.units([]))
            case "ListAccountsForParent" where parent == "ou-ab12-aaaaaaaa":
                return (200, FakeAWS.accounts(#"""
                    {"Id": "222222222222", "Name": "pay\u202Ements\u2066", "Email": "a\u0007@example.com\u0085", "State": "ACTIVE\u200F"}
                    """#))
            default: return (200, FakeAWS.accounts(""))
            }
        }
        let account = try #require(try await discover(fake).accounts.first)
        #expect(account.name == #"pay\u{202E}ments\u{2066}"#)
        #expect(account.email == #"a\u{7}@example.com\u{85}"#)
        #expect(account.ouPath == #"Root/Prod\u{202E}\u{1B}[31m"#)
        #expect(account.state == #"ACTIVE\u{200F}"#)
        #expect(![account.name, account.email ?? "", account.ouPath, account.state].contains(where: UnsafeText.containsUnsafe))
    }

    /// `withTags` reads each account's tags after the walk (one listing per account,
    /// every page), escaping what could steer a terminal; without it, none is read.
    @Test func tagsAreReadPerAccountOnlyWhenAsked() async throws {
        let fake = FakeAWS { operation, body in
            let parent = body["ParentId"] as? String ?? ""
            switch operation {
            case "DescribeOrganization": return (200, FakeAWS.organization)
            case "ListRoots": return (200, FakeAWS.roots)
            case "ListOrganizationalUnitsForParent":
                return (200, parent == "r-ab12" ? FakeAWS.units([("ou-ab12-aaaaaaaa", "Prod")]) : FakeAWS.units([]))
            case "ListAccountsForParent" where parent == "ou-ab12-aaaaaaaa":
                return (200, FakeAWS.accounts(#"""
                    {"Id": "222222222222", "Name": "payments", "State": "ACTIVE"},
                    {"Id": "333333333333", "Name": "search", "State": "ACTIVE"}
                    """#))
            case "ListAccountsForParent": return (200, FakeAWS.accounts(#"{"Id": "111111111111", "Name": "mgmt", "State": "ACTIVE"}"#))
            case "ListTagsForResource":
                switch (body["ResourceId"] as? String, body["NextToken"] as? String) {
                case ("222222222222", nil): return (200, #"{"Tags": [{"Key": "team", "Value": "payments"}], "NextToken": "n"}"#)
                case ("222222222222", "n"?): return (200, #"{"Tags": [{"Key": "env\u202E", "Value": "prod\u001b[31m"}]}"#)
                case ("333333333333", _): return (200, #"{"Tags": [{"Key": "team", "Value": "search"}]}"#)
                default: return (200, #"{"Tags": []}"#)
                }
            default: return (400, #"{"__type": "InvalidInputException", "Message": "unexpected"}"#)
            }
        }
        let plain = try await discover(fake)
        #expect(plain.accounts.allSatisfy { $0.tags == nil })
        // Describe, roots, and two listings for each of the two parents.
        #expect(fake.requests == 6)

        let tagged = try await discover(fake, .init(withTags: true))
        #expect(fake.requests == 6 + 6 + 4)
        let tags = Dictionary(uniqueKeysWithValues: tagged.accounts.map { ($0.accountID, $0.tags) })
        #expect(tags == [
            "111111111111": [:],
            "222222222222": ["team": "payments", #"env\u{202E}"#: #"prod\u{1B}[31m"#],
            "333333333333": ["team": "search"],
        ])
    }

    @Test func aTagListingThatFailsFailsTheDiscovery() async throws {
        let fake = FakeAWS { operation, _ in
            switch operation {
            case "DescribeOrganization": return (200, FakeAWS.organization)
            case "ListRoots": return (200, FakeAWS.roots)
            case "ListOrganizationalUnitsForParent": return (200, FakeAWS.units([]))
            case "ListAccountsForParent": return (200, FakeAWS.accounts(#"{"Id": "222222222222", "Name": "a", "State": "ACTIVE"}"#))
            default: return (400, #"{"__type": "AccessDeniedException", "Message": "not allowed: organizations:ListTagsForResource"}"#)
            }
        }
        let error = await #expect(throws: AWSError.self) {
            _ = try await discover(fake, .init(withTags: true))
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("ListTagsForResource 222222222222"), "\(String(describing: error))")
    }

    /// The account ID names the workspace directory: `../x` must never be recorded.
    @Test func anAccountIDThatIsNot12DigitsFailsTheDiscovery() async throws {
        let fake = FakeAWS { operation, _ in
            switch operation {
            case "DescribeOrganization": return (200, FakeAWS.organization)
            case "ListRoots": return (200, FakeAWS.roots)
            case "ListOrganizationalUnitsForParent": return (200, FakeAWS.units([]))
            default: return (200, FakeAWS.accounts(#"{"Id": "../../etc", "Name": "x", "State": "ACTIVE"}"#))
            }
        }
        await #expect(throws: DiscoveryError(
            problem: #"Organizations listed the account ID "../../etc", which is not 12 digits"#,
            call: "Organizations ListAccountsForParent r-ab12")) {
            _ = try await discover(fake)
        }
    }

    private func account(_ id: String) -> AccountRecord {
        AccountRecord(accountID: id, name: "a", email: nil, ouPath: "Root", region: "us-east-1",
                      roleName: "terraform-akeyless-role", accessRoleName: "OrganizationAccountAccessRole",
                      managementAccountID: nil, tags: [:], enabled: true, organizationState: "ACTIVE", source: .file,
                      createdAt: "", updatedAt: "")
    }

    /// The status table keeps ~40 characters: they must name the cause, not the role.
    @Test func preflightFailuresLeadWithTheCause() async throws {
        let denial = "User: arn:aws:iam::111111111111:user/ci is not authorized to perform: sts:AssumeRole"
        let fake = FakeAWS { _, _ in
            (403, "<ErrorResponse><Error><Code>AccessDenied</Code><Message>\(denial)</Message></Error></ErrorResponse>")
        }
        let failures = await AccessPreflight(session: fake.session()).failures([account("123456789012")])
        #expect(failures == ["123456789012": "AccessDenied: \(denial) "
            + "(assuming arn:aws:iam::123456789012:role/OrganizationAccountAccessRole)"])
    }

    @Test func verifyFailuresLeadWithTheCause() async throws {
        let fake = FakeAWS { _, _ in
            (403, "<ErrorResponse><Error><Code>AccessDenied</Code><Message>no</Message></Error></ErrorResponse>")
        }
        let state = AccountStanding(accountID: "123456789012", name: "a", ouPath: "Root", region: "us-east-1", status: .succeeded,
                                  roleARN: "arn:aws:iam::123456789012:role/terraform-akeyless-role", updatedAt: "")
        let database = try SQLiteInventoryStore.inMemory()
        let outcomes = try await RoleVerifier(session: fake.session()).verify([(account("123456789012"), state)], database: database)
        #expect(outcomes.map(\.finding) == [.unchecked(
            "AccessDenied: no (assuming arn:aws:iam::123456789012:role/OrganizationAccountAccessRole)")])
    }
}
