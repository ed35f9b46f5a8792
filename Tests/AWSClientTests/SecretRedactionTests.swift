import Foundation
import Testing
import TestSupport
@testable import AWSClient

/// Secret keys and session tokens must never appear in text a user or a log can see.
@Suite struct SecretRedactionTests {
    static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let token = "FwoGZXIvYXdzEXAMPLETOKEN"
    let credentials = AWSCredentials(
        accessKeyID: "ASIAIOSFODNN7EXAMPLE", secretAccessKey: secret, sessionToken: token,
        expiration: Date(timeIntervalSince1970: 1_735_689_600))

    func assertClean(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!text.contains(Self.secret), "secret key in: \(text)", sourceLocation: sourceLocation)
        #expect(!text.contains(Self.token), "session token in: \(text)", sourceLocation: sourceLocation)
    }

    @Test func credentialsTextShowsOnlyAShortenedKeyID() {
        #expect(credentials.description == "ASIA…PLE (session, expires 2025-01-01T00:00:00Z)")
        #expect(AWSCredentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: Self.secret).description == "AKIA…PLE")
        #expect(!credentials.description.contains("ASIAIOSFODNN7EXAMPLE"))
        var dumped = ""
        dump(credentials, to: &dumped)
        for text in [credentials.description, credentials.debugDescription, "\(credentials)", String(reflecting: credentials),
                     dumped, "\([credentials])", "\(Optional(credentials) as Any)"] {
            assertClean(text)
        }
    }

    @Test func everyConfigurationErrorIsClean() {
        let errors: [AWSConfigurationError] = [
            .noCredentials(profile: "p", files: ["/h/.aws/credentials", "/h/.aws/config"], tried: ["AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"]),
            .webIdentity(setting: "AWS_WEB_IDENTITY_TOKEN_FILE", problem: "the token file /t does not exist."),
            .ssoLoginRequired(profile: "p", reason: "expired at 2025-01-01T00:00:00Z"),
            .ssoFailed(profile: "p", reason: "the portal answered HTTP 500."),
            .containerCredentials(endpoint: "http://169.254.170.2/v2/credentials", reason: "it answered HTTP 500."),
            .instanceMetadataUnreachable(endpoint: "http://169.254.169.254", reason: "connection refused"),
            .instanceMetadataFailed(endpoint: "http://169.254.169.254", reason: "PUT /latest/api/token answered HTTP 403."),
            .incompleteEnvironmentCredentials(missing: "AWS_SECRET_ACCESS_KEY"),
            .profileNotFound(name: "p", files: []),
            .invalidProfile(name: "p", reason: "aws_access_key_id is set but aws_secret_access_key is not."),
            .sourceProfileCycle(["a", "b", "a"]),
            .credentialProcessFailed(profile: "p", reason: "the command exited with status 1."),
            .unreadableFile(path: "/h/.aws/config", reason: "Permission denied"),
            .invalidEndpointURL(variable: "AWS_ENDPOINT_URL", value: "x"),
            .noRegion,
        ]
        for error in errors {
            assertClean(error.description)
            #expect(error.errorDescription == error.description)
            #expect(!error.description.isEmpty)
        }
    }

    /// The chain's real failures, with the secret and token in the files and the environment.
    @Test func chainFailuresDoNotEchoSecrets() async throws {
        let home = try TemporaryDirectory("fleetform-aws-redaction")
        try home.write(".aws/credentials", """
            [half]
            aws_secret_access_key = \(Self.secret)
            aws_session_token = \(Self.token)
            [proc]
            credential_process = printf '{"Version":1,"AccessKeyId":"A","SecretAccessKey":"\(Self.secret)","SessionToken":"\(Self.token)","Expiration":"1999-01-01T00:00:00Z"}'
            [proc-bad-json]
            credential_process = printf '{"Version":1,"AccessKeyId":"A","SecretAccessKey":"\(Self.secret)",'
            [proc-fails]
            credential_process = printf '{"SecretAccessKey":"\(Self.secret)"}'; exit 2
            """)
        let never: CredentialChain.RoleAssumer = { _, _, _, _, _ in throw CancellationError() }
        let environments: [[String: String]] = [
            ["AWS_PROFILE": "half"], ["AWS_PROFILE": "proc"], ["AWS_PROFILE": "proc-bad-json"], ["AWS_PROFILE": "proc-fails"],
            ["AWS_SECRET_ACCESS_KEY": Self.secret, "AWS_SESSION_TOKEN": Self.token],
            ["AWS_PROFILE": "missing", "AWS_SESSION_TOKEN": Self.token],
        ]
        for environment in environments {
            let chain = CredentialChain(environment: environment, homeDirectory: home.path, assumeRole: never)
            let error = await #expect(throws: AWSConfigurationError.self) { try await chain.resolve() }
            assertClean(error.map { "\($0) \($0.localizedDescription) \(String(reflecting: $0))" } ?? "")
        }
    }
}
