import AWSClient
import Foundation
import Testing
import TestSupport

/// The credential providers' tests trust credential_endpoints.py to act as IMDS, the
/// container endpoint and the SSO portal do. That trust is only earned if the official
/// client, botocore, accepts the stand-in and fails against it where it fails against
/// AWS; so these tests run boto3's own providers against it. Without python3 or boto3
/// they fail and name what is missing: a stand-in nobody checked is worth nothing.
@Suite struct CredentialEndpointsStandInTests {
    @Test func botocoreAcceptsTheStandInsAsItAcceptsAWS() throws {
        let endpoints = try CredentialEndpoints.start(.init(
            credentials: .random(), imds: .init(), container: .init(authorizationToken: "tok"),
            sso: .init(accessToken: "sso-token")))
        defer { endpoints.stop() }

        let outcome = try PythonFixture.run(
            "check_credential_endpoints.py", arguments: ["--endpoint", endpoints.url, "--config", endpoints.configFile.path])

        let summary = "exit \(outcome.status)\nstdout:\n\(outcome.stdout)\nstderr:\n\(outcome.stderr)\n"
            + "stand-in log:\n\(endpoints.logTail())"
        #expect(outcome.succeeded, "check_credential_endpoints.py failed (boto3 missing? see stderr): \(summary)")
        let okLine = outcome.stdout.split(separator: "\n").first { $0.hasPrefix("OK ") && $0.hasSuffix(" checks") }
        #expect(okLine != nil, "no 'OK <n> checks' line: \(summary)")
        // botocore really talked to this stand-in, through every endpoint.
        #expect(endpoints.requests(matching: "/latest/api/token") > 0, "\(summary)")
        #expect(endpoints.requests(matching: "/latest/meta-data/iam/security-credentials/") > 0, "\(summary)")
        #expect(endpoints.requests(matching: "/container/") > 0, "\(summary)")
        #expect(endpoints.requests(matching: "/federation/credentials") > 0, "\(summary)")
    }

    /// The wrapper's own contract: a new configuration applies to the next request, and
    /// requests are counted by path prefix.
    @Test func aNewConfigurationAppliesToTheNextRequest() async throws {
        let keys = CredentialEndpoints.Configuration.Credentials.random()
        let endpoints = try CredentialEndpoints.start(.init(credentials: keys, container: .init(authorizationToken: "first")))
        defer { endpoints.stop() }
        let transport = URLSessionTransport()
        let request = HTTPRequest(method: "GET", url: URL(string: endpoints.containerCredentialsURL)!,
                                  headers: ["Authorization": "first"], body: [])

        let answer = try await transport.send(request)
        #expect(answer.status == 200, "\(endpoints.logTail())")
        let document = try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any]
        #expect(document?["AccessKeyId"] as? String == keys.accessKeyID)
        #expect(document?["Token"] as? String == keys.sessionToken)

        try endpoints.setConfiguration(.init(credentials: keys, container: .init(authorizationToken: "second")))
        #expect(try await transport.send(request).status == 401, "\(endpoints.logTail())")
        try endpoints.setConfiguration(.init(credentials: keys))
        #expect(try await transport.send(request).status == 404, "\(endpoints.logTail())")

        #expect(endpoints.requests(matching: "/container/") == 3)
        #expect(endpoints.requests(matching: "/latest/") == 0)
        #expect(endpoints.requestLines.last == "REQUEST GET /container/creds 404")
    }
}
