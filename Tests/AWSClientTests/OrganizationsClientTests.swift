import Foundation
import Synchronization
import Testing
@testable import AWSClient

/// Answers requests from a script, below the HTTP seam the real URLSession transport
/// also sits behind; records what was sent.
final class ScriptedTransport: HTTPTransport {
    private let state: Mutex<(answers: [HTTPResponse], sent: [HTTPRequest])>

    init(_ answers: [(Int, String)]) {
        state = Mutex((answers.map { HTTPResponse(status: $0.0, body: Array($0.1.utf8)) }, []))
    }

    var sent: [HTTPRequest] { state.withLock { $0.sent } }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try state.withLock { state in
            state.sent.append(request)
            guard !state.answers.isEmpty else { throw URLError(.badServerResponse) }
            return state.answers.removeFirst()
        }
    }
}

@Suite struct OrganizationsClientTests {
    private func session(_ transport: ScriptedTransport) -> AWSSession {
        AWSSession(
            environment: ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                          "AWS_REGION": "eu-west-1", "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"],
            homeDirectory: "/nonexistent", transport: transport,
            retry: RetryPolicy(maximumAttempts: 5, base: .milliseconds(1), cap: .milliseconds(5)))
    }

    @Test func followsEveryPageRetriesThrottlingAndReadsStateOrStatus() async throws {
        let transport = ScriptedTransport([
            (400, #"{"__type":"TooManyRequestsException","message":"AWS Organizations can't complete your request because another request is already in progress."}"#),
            (200, #"{"Accounts": [], "NextToken": "page-2"}"#),
            (200, #"{"Accounts": [{"Id": "012345678901", "Name": "old-server", "Email": "a@example.com", "Status": "ACTIVE"}], "NextToken": "page-3"}"#),
            (200, #"{"Accounts": [{"Id": "123456789013", "Name": "closing", "Email": "b@example.com", "State": "PENDING_CLOSURE", "Status": "ACTIVE"}]}"#),
        ])
        let accounts = try await session(transport).organizations().accounts(parentID: "ou-ab12-cd34ef56")
        #expect(accounts == [
            .init(id: "012345678901", name: "old-server", email: "a@example.com", state: "ACTIVE"),
            .init(id: "123456789013", name: "closing", email: "b@example.com", state: "PENDING_CLOSURE"),
        ])
        let sent = transport.sent
        #expect(sent.count == 4)
        // The empty page did not end the listing: its token was sent on.
        #expect(String(decoding: sent[2].body, as: UTF8.self) == #"{"NextToken":"page-2","ParentId":"ou-ab12-cd34ef56"}"#)
        #expect(sent[0].url.absoluteString == "https://organizations.us-east-1.amazonaws.com")
        #expect(sent[0].headers["x-amz-target"] == "AWSOrganizationsV20161128.ListAccountsForParent")
        #expect(sent[0].headers["authorization"]?.contains("/us-east-1/organizations/aws4_request") == true)
    }

    /// An account's tags: every page (an empty one included), throttling retried, the
    /// account ID sent as `ResourceId`.
    @Test func readsEveryPageOfAnAccountsTags() async throws {
        let transport = ScriptedTransport([
            (200, #"{"Tags": [{"Key": "team", "Value": "payments"}], "NextToken": "t-2"}"#),
            (400, #"{"__type":"TooManyRequestsException","message":"slow down"}"#),
            (200, #"{"Tags": [], "NextToken": "t-3"}"#),
            (200, #"{"Tags": [{"Key": "pci"}, {"Key": "env", "Value": "prod"}]}"#),
        ])
        let tags = try await session(transport).organizations().tags(resourceID: "012345678901")
        #expect(tags == [.init(key: "team", value: "payments"), .init(key: "pci", value: ""), .init(key: "env", value: "prod")])
        let sent = transport.sent
        #expect(sent.count == 4)
        #expect(sent[0].headers["x-amz-target"] == "AWSOrganizationsV20161128.ListTagsForResource")
        #expect(String(decoding: sent[0].body, as: UTF8.self) == #"{"ResourceId":"012345678901"}"#)
        #expect(String(decoding: sent[2].body, as: UTF8.self) == #"{"NextToken":"t-2","ResourceId":"012345678901"}"#)
        #expect(String(decoding: sent[3].body, as: UTF8.self) == #"{"NextToken":"t-3","ResourceId":"012345678901"}"#)
    }

    @Test func doesNotRetryWhatRetryingCannotFix() async throws {
        let transport = ScriptedTransport([
            (400, #"{"__type":"AccessDeniedException","message":"You don't have permissions to access this resource."}"#),
            (200, #"{"Roots": []}"#),
        ])
        await #expect(throws: AWSError(service: "Organizations", operation: "ListRoots", code: "AccessDeniedException",
                                       message: "You don't have permissions to access this resource.", httpStatus: 400)) {
            _ = try await session(transport).organizations().roots()
        }
        #expect(transport.sent.count == 1)
    }

    @Test func givesUpAfterTheLastAttempt() async throws {
        let throttled = (400, #"{"__type":"TooManyRequestsException","message":"slow down"}"#)
        let transport = ScriptedTransport(Array(repeating: throttled, count: 6))
        await #expect(throws: AWSError.self) {
            _ = try await session(transport).organizations().describeOrganization()
        }
        #expect(transport.sent.count == 5)
    }

    @Test func stsAnswersAreDecodedAndSTSErrorsRead() async throws {
        let transport = ScriptedTransport([
            (200, """
                <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
                <Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>s3cr3t</SecretAccessKey>
                <SessionToken>token</SessionToken><Expiration>2026-11-26T03:00:00Z</Expiration></Credentials>
                <AssumedRoleUser><Arn>arn:aws:sts::012345678901:assumed-role/R/s</Arn><AssumedRoleId>x:s</AssumedRoleId></AssumedRoleUser>
                </AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>
                """),
            (403, """
                <ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized</Message></Error></ErrorResponse>
                """),
        ])
        let sts = try session(transport).sts()
        let credentials = try await sts.assumeRole(roleARN: "arn:aws:iam::012345678901:role/R", sessionName: "s")
        #expect(credentials.accessKeyID == "ASIAEXAMPLE")
        #expect(credentials.sessionToken == "token")
        #expect(credentials.expiration != nil)
        #expect(String(decoding: transport.sent[0].body, as: UTF8.self)
            == "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A012345678901%3Arole%2FR&RoleSessionName=s&DurationSeconds=900")
        await #expect(throws: AWSError(service: "STS", operation: "AssumeRole", code: "AccessDenied", message: "not authorized", httpStatus: 403)) {
            _ = try await sts.assumeRole(roleARN: "arn:aws:iam::012345678901:role/R", sessionName: "s")
        }
    }
}
