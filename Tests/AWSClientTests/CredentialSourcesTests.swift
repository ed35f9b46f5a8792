import Crypto
import Foundation
import Synchronization
import Testing
import TestSupport
@testable import AWSClient
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Web identity, IAM Identity Center, container and instance metadata credentials:
/// their settings, their place in the chain's order, and their errors. STS is the fake
/// of `CredentialChainTests`; the HTTP sources answer through a stub at the transport
/// seam (the end-to-end tests run them against real local servers).
@Suite struct CredentialSourcesTests {
    let home: TemporaryDirectory
    let sts = CredentialChainTests.FakeSTS()

    init() throws {
        home = try TemporaryDirectory("fleetform-aws-sources")
    }

    func chain(_ environment: [String: String], transport: StubTransport = .refusingEverything()) -> CredentialChain {
        CredentialChain(environment: environment, homeDirectory: home.path, transports: CredentialTransports(all: transport),
                        assumeRoleWithWebIdentity: sts.webIdentityAssumer, assumeRole: sts.assumer)
    }

    static let metadataCredentials = """
        {"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": "ASIAMETA", "SecretAccessKey": "meta-secret",
         "Token": "meta-token", "Expiration": "2999-01-01T00:00:00Z", "LastUpdated": "2024-01-01T00:00:00Z"}
        """

    /// An IMDSv2 that hands out `metadataCredentials` for role `gateway-host`, refusing
    /// requests without the token it issued.
    static func instanceMetadata(role: String? = "gateway-host", tokenStatus: Int = 200) -> StubTransport {
        StubTransport { request in
            let path = request.url.path
            if request.method == "PUT", path == "/latest/api/token" {
                guard request.headers["X-aws-ec2-metadata-token-ttl-seconds"] == "21600" else { return .json("", status: 400) }
                return .json(tokenStatus == 200 ? "imds-session-token" : "", status: tokenStatus)
            }
            guard request.headers["X-aws-ec2-metadata-token"] == "imds-session-token" else { return .json("", status: 401) }
            switch path {
            case "/latest/meta-data/iam/security-credentials/", "/latest/meta-data/iam/security-credentials":
                return role.map { .json($0) } ?? .json("", status: 404)
            case "/latest/meta-data/iam/security-credentials/\(role ?? "")": return .json(metadataCredentials)
            default: return .json("", status: 404)
            }
        }
    }

    // MARK: Web identity

    @Test func webIdentityFromTheEnvironmentReadsTheTokenFileOnEveryCall() async throws {
        let tokenFile = try home.write("token", "first-token\n")
        let environment = [
            "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/ci",
            "AWS_ROLE_SESSION_NAME": "github-run-7", "AWS_REGION": "eu-central-1",
        ]
        let credentials = try await chain(environment).resolve()
        #expect(credentials.accessKeyID == "ASIA-WI-ci")
        // EKS rotates the file in place: the next resolution sends the new token.
        try home.write("token", "second-token")
        _ = try await chain(environment).resolve()
        #expect(sts.webIdentityRecorded == [
            .init(roleARN: "arn:aws:iam::123456789012:role/ci", sessionName: "github-run-7", token: "first-token", region: "eu-central-1"),
            .init(roleARN: "arn:aws:iam::123456789012:role/ci", sessionName: "github-run-7", token: "second-token", region: "eu-central-1"),
        ])
    }

    @Test func webIdentityInAProfileAndEachVariableWinsOverItsKey() async throws {
        let profileToken = try home.write("profile-token", "profile-token")
        let envToken = try home.write("env-token", "env-token")
        try home.write(".aws/config", """
            [profile ci]
            web_identity_token_file = \(profileToken)
            role_arn = arn:aws:iam::123456789012:role/from-profile
            role_session_name = profile-session
            """)
        _ = try await chain(["AWS_PROFILE": "ci"]).resolve()
        _ = try await chain(["AWS_PROFILE": "ci", "AWS_WEB_IDENTITY_TOKEN_FILE": envToken]).resolve()
        _ = try await chain(["AWS_PROFILE": "ci", "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/from-env"]).resolve()
        let calls = sts.webIdentityRecorded
        #expect(calls.map(\.token) == ["profile-token", "env-token", "profile-token"])
        #expect(calls.map { $0.roleARN.split(separator: "/").last.map(String.init) } == ["from-profile", "from-profile", "from-env"])
        #expect(calls.allSatisfy { $0.sessionName == "profile-session" && $0.region == CredentialChain.defaultSTSRegion })
    }

    @Test func aMissingTokenFileNamesTheFileAndTheSetting() async throws {
        let missing = home.url.appendingPathComponent("nope/token").path
        let error = await #expect(throws: AWSConfigurationError.self) {
            try await chain(["AWS_WEB_IDENTITY_TOKEN_FILE": missing, "AWS_ROLE_ARN": "arn:aws:iam::1:role/r"]).resolve()
        }
        #expect(error == .webIdentity(
            setting: "AWS_WEB_IDENTITY_TOKEN_FILE",
            problem: "the token file \(missing) does not exist; fix the path or unset AWS_WEB_IDENTITY_TOKEN_FILE to use other credentials."))
        #expect(error?.description.hasPrefix("Web identity credentials (AWS_WEB_IDENTITY_TOKEN_FILE): the token file \(missing) does not exist") == true)
        #expect(error?.description.contains("\n") == false)

        try home.write(".aws/config", "[default]\nweb_identity_token_file = \(missing)\nrole_arn = arn:aws:iam::1:role/r\n")
        let fromProfile = await #expect(throws: AWSConfigurationError.self) { try await chain([:]).resolve() }
        #expect(fromProfile?.description.contains("(web_identity_token_file of AWS profile 'default')") == true)
        #expect(sts.webIdentityRecorded.isEmpty)
    }

    @Test func aTokenFileWithoutARoleOrWithNothingInItIsAnError() async throws {
        let tokenFile = try home.write("token", "t")
        let noRole = await #expect(throws: AWSConfigurationError.self) {
            try await chain(["AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile]).resolve()
        }
        #expect(noRole?.description.contains("AWS_ROLE_ARN is not set") == true)
        let empty = try home.write("empty", "\n")
        let emptyError = await #expect(throws: AWSConfigurationError.self) {
            try await chain(["AWS_WEB_IDENTITY_TOKEN_FILE": empty, "AWS_ROLE_ARN": "arn:aws:iam::1:role/r"]).resolve()
        }
        #expect(emptyError?.description.contains("is empty") == true)
    }

    // MARK: Order

    /// botocore's order: env keys, then a role profile, then web identity, then the
    /// profile's own keys.
    @Test func webIdentitySitsBetweenRoleProfilesAndProfileKeys() async throws {
        let tokenFile = try home.write("token", "t")
        try home.write(".aws/credentials", "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s\n")
        try home.write(".aws/config", "[profile admin]\nrole_arn = arn:aws:iam::1:role/Admin\nsource_profile = default\n")
        let webIdentity = ["AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_ARN": "arn:aws:iam::1:role/ci"]
        #expect(try await chain(webIdentity.merging(["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "s"]) { a, _ in a })
            .resolve().accessKeyID == "AKIDENV")
        #expect(try await chain(webIdentity.merging(["AWS_PROFILE": "admin"]) { a, _ in a }).resolve().accessKeyID == "ASIA-Admin")
        #expect(try await chain(webIdentity).resolve().accessKeyID == "ASIA-WI-ci")
        #expect(try await chain([:]).resolve().accessKeyID == "AKIDDEFAULT")
    }

    /// No profile at all and AWS_PROFILE unset: the sources after the profile are tried.
    @Test func withoutAnyProfileTheChainGoesOnToContainerAndInstanceMetadata() async throws {
        let credentials = try await chain([:], transport: Self.instanceMetadata()).resolve()
        #expect(credentials.accessKeyID == "ASIAMETA")
        #expect(credentials.expiration == Date(timeIntervalSince1970: 32_472_144_000))
    }

    @Test func theFinalErrorListsWhatWasTried() async throws {
        let error = await #expect(throws: AWSConfigurationError.self) { try await chain([:]).resolve() }
        let message = error?.description ?? ""
        for tried in ["AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set", "AWS_WEB_IDENTITY_TOKEN_FILE is not set",
                      "profile 'default' is not defined", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI are not set",
                      "EC2 instance metadata: cannot reach http://169.254.169.254 (connection refused); set AWS_EC2_METADATA_DISABLED=true to skip it"] {
            #expect(message.contains(tried), "'\(tried)' missing from: \(message)")
        }
        #expect(!message.contains("\n"))
        let off = await #expect(throws: AWSConfigurationError.self) { try await chain(["AWS_EC2_METADATA_DISABLED": "TRUE"]).resolve() }
        #expect(off?.description.contains("EC2 instance metadata is off (AWS_EC2_METADATA_DISABLED=true)") == true)
    }

    // MARK: Container

    @Test func containerRelativeURIGoesToTheECSAgentWithTheTokenFileWinning() async throws {
        let transport = StubTransport { request in
            guard request.headers["Authorization"] != nil else { return .json("", status: 401) }
            return .json(#"{"AccessKeyId": "ASIACONT", "SecretAccessKey": "c-secret", "Token": "c-token", "Expiration": "2999-01-01T00:00:00.000Z"}"#)
        }
        let tokenFile = try home.write("eks-token", "file-token\n")
        let environment = [
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "variable-token",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile,
        ]
        let credentials = try await chain(environment, transport: transport).resolve()
        #expect(credentials == AWSCredentials(accessKeyID: "ASIACONT", secretAccessKey: "c-secret", sessionToken: "c-token",
                                              expiration: Date(timeIntervalSince1970: 32_472_144_000)))
        try home.write("eks-token", "rotated-token")
        _ = try await chain(environment, transport: transport).resolve()
        var variableOnly = environment
        variableOnly["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = nil
        _ = try await chain(variableOnly, transport: transport).resolve()
        #expect(transport.requests.map(\.url.absoluteString) == Array(repeating: "http://169.254.170.2/v2/credentials/abc", count: 3))
        #expect(transport.requests.map { $0.headers["Authorization"] } == ["file-token", "rotated-token", "variable-token"])
    }

    @Test(arguments: [
        ("http://127.0.0.1:8080/creds", true), ("http://localhost/creds", true), ("http://169.254.170.23/v1/credentials", true),
        ("http://[fd00:ec2::23]/v1/credentials", true), ("https://creds.example.com/x", true), ("http://[::1]:9/x", true),
        ("http://creds.example.com/x", false), ("http://10.0.0.7/creds", false), ("ftp://127.0.0.1/x", false), ("/relative", false),
    ])
    func containerFullURIOverPlainHTTPOnlyToThisMachineOrTheAgents(uri: String, allowed: Bool) {
        let accepted = (try? ContainerCredentials.checkedFullURI(uri)) != nil
        #expect(accepted == allowed, "\(uri)")
    }

    @Test func containerFailuresNameTheEndpointAndWhatToCheck() async throws {
        let refusing = StubTransport { _ in .json("{}", status: 403) }
        let denied = await #expect(throws: AWSConfigurationError.self) {
            try await chain(["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/creds?x=1", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "wrong-secret-token"],
                            transport: refusing).resolve()
        }
        #expect(denied?.description == "Container credentials from http://127.0.0.1:9/creds (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI): "
            + "it answered HTTP 403 (check AWS_CONTAINER_AUTHORIZATION_TOKEN or AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE).")
        #expect(denied?.description.contains("wrong-secret-token") == false)
        let notAllowed = await #expect(throws: AWSConfigurationError.self) {
            try await chain(["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://creds.example.com/x"]).resolve()
        }
        #expect(notAllowed?.description.contains("use https for creds.example.com") == true)
        let broken = StubTransport { _ in .json(#"{"AccessKeyId": "A"}"#) }
        let unusable = await #expect(throws: AWSConfigurationError.self) {
            try await chain(["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://localhost/x"], transport: broken).resolve()
        }
        #expect(unusable?.description.hasSuffix("the answer has no AccessKeyId and SecretAccessKey.") == true)
    }

    // MARK: Instance metadata

    @Test func instanceMetadataIsIMDSv2TokenFirst() async throws {
        let transport = Self.instanceMetadata()
        let credentials = try await chain(["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:8111/"], transport: transport).resolve()
        #expect(credentials.accessKeyID == "ASIAMETA")
        #expect(credentials.sessionToken == "meta-token")
        #expect(transport.requests.map { "\($0.method) \($0.url.absoluteString)" } == [
            "PUT http://127.0.0.1:8111/latest/api/token",
            "GET http://127.0.0.1:8111/latest/meta-data/iam/security-credentials/",
            "GET http://127.0.0.1:8111/latest/meta-data/iam/security-credentials/gateway-host",
        ])
        #expect(transport.requests.dropFirst().allSatisfy { $0.headers["X-aws-ec2-metadata-token"] == "imds-session-token" })
    }

    @Test func aConfiguredMetadataEndpointThatCannotBeReachedIsAnError() async throws {
        let error = await #expect(throws: AWSConfigurationError.self) {
            try await chain(["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:9"]).resolve()
        }
        #expect(error == .instanceMetadataUnreachable(endpoint: "http://127.0.0.1:9", reason: "connection refused"))
        #expect(error?.description == "EC2 instance metadata at http://127.0.0.1:9 cannot be reached (connection refused); "
            + "off EC2, set AWS_EC2_METADATA_DISABLED=true, or point AWS_EC2_METADATA_SERVICE_ENDPOINT at a running metadata service")
    }

    @Test func anInstanceWithoutARoleOrWithoutIMDSv2() async throws {
        let noRole = await #expect(throws: AWSConfigurationError.self) { try await chain([:], transport: Self.instanceMetadata(role: nil)).resolve() }
        #expect(noRole?.description.contains("says this instance has no IAM role (instance profile)") == true)
        let v1Only = await #expect(throws: AWSConfigurationError.self) {
            try await chain([:], transport: Self.instanceMetadata(tokenStatus: 403)).resolve()
        }
        #expect(v1Only?.description.contains("PUT /latest/api/token answered HTTP 403; fleetform uses IMDSv2 only") == true)
    }

    @Test func credentialSourceNamesTheContainerOrTheInstance() async throws {
        try home.write(".aws/config", """
            [profile on-ec2]
            role_arn = arn:aws:iam::123456789012:role/OrgAdmin
            credential_source = Ec2InstanceMetadata
            [profile in-ecs]
            role_arn = arn:aws:iam::123456789012:role/OrgAdmin
            credential_source = EcsContainer
            """)
        #expect(try await chain(["AWS_PROFILE": "on-ec2"], transport: Self.instanceMetadata()).resolve().accessKeyID == "ASIA-OrgAdmin")
        #expect(sts.recorded.map(\.source.accessKeyID) == ["ASIAMETA"])
        let container = StubTransport { _ in .json(#"{"AccessKeyId": "ASIACONT", "SecretAccessKey": "c", "Token": "t"}"#) }
        _ = try await chain(["AWS_PROFILE": "in-ecs", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/x"], transport: container).resolve()
        #expect(sts.recorded.map(\.source.accessKeyID) == ["ASIAMETA", "ASIACONT"])
        let missing = await #expect(throws: AWSConfigurationError.self) { try await chain(["AWS_PROFILE": "in-ecs"]).resolve() }
        #expect(missing?.description.contains("credential_source = EcsContainer, but neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") == true)
    }

    // MARK: IAM Identity Center

    static let ssoConfig = """
        [profile corp]
        sso_session = corp-sso
        sso_account_id = 111122223333
        sso_role_name = OrgAdmin
        region = eu-west-1
        [sso-session corp-sso]
        sso_start_url = https://corp.awsapps.com/start
        sso_region = eu-central-1
        sso_registration_scopes = sso:account:access
        [profile legacy]
        sso_start_url = https://legacy.awsapps.com/start
        sso_region = us-west-2
        sso_account_id = 444455556666
        sso_role_name = ReadOnly
        """

    func cacheToken(key: String, token: String = "sso-access-token", expiresAt: String = "2999-01-01T00:00:00Z") throws {
        let name = Insecure.SHA1.hash(data: Data(key.utf8)).map { String(format: "%02x", $0) }.joined()
        try home.write(".aws/sso/cache/\(name).json", #"{"startUrl": "x", "region": "eu-central-1", "accessToken": "\#(token)", "expiresAt": "\#(expiresAt)"}"#)
    }

    static func portal(status: Int = 200) -> StubTransport {
        StubTransport { request in
            guard status == 200 else { return .json(#"{"message": "Session token not found or invalid"}"#, status: status) }
            return .json(#"{"roleCredentials": {"accessKeyId": "ASIASSO", "secretAccessKey": "sso-secret", "sessionToken": "sso-session", "expiration": 32472144000000}}"#)
        }
    }

    @Test func ssoSessionProfileExchangesTheCachedTokenAtThePortal() async throws {
        try home.write(".aws/config", Self.ssoConfig)
        try cacheToken(key: "corp-sso")
        let portal = Self.portal()
        let credentials = try await chain(["AWS_PROFILE": "corp"], transport: portal).resolve()
        #expect(credentials == AWSCredentials(accessKeyID: "ASIASSO", secretAccessKey: "sso-secret", sessionToken: "sso-session",
                                              expiration: Date(timeIntervalSince1970: 32_472_144_000)))
        let request = try #require(portal.requests.first)
        #expect(request.method == "GET")
        #expect(request.url.absoluteString
            == "https://portal.sso.eu-central-1.amazonaws.com/federation/credentials?role_name=OrgAdmin&account_id=111122223333")
        #expect(request.headers["x-amz-sso_bearer_token"] == "sso-access-token")
        #expect(request.headers["Authorization"] == nil)
    }

    @Test func legacySSOProfileUsesTheStartURLsCacheFileAndTheEndpointVariable() async throws {
        try home.write(".aws/config", Self.ssoConfig)
        // The AWS CLI's own format of expiresAt.
        try cacheToken(key: "https://legacy.awsapps.com/start", token: "legacy-token", expiresAt: "2999-01-01T00:00:00UTC")
        let portal = Self.portal()
        _ = try await chain(["AWS_PROFILE": "legacy", "AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_SSO": "http://127.0.0.1:4510/"],
                            transport: portal).resolve()
        #expect(portal.requests.map(\.url.absoluteString) == ["http://127.0.0.1:4510/federation/credentials?role_name=ReadOnly&account_id=444455556666"])
        #expect(portal.requests.first?.headers["x-amz-sso_bearer_token"] == "legacy-token")
    }

    @Test func anExpiredOrRefusedSSOTokenAsksForASignIn() async throws {
        try home.write(".aws/config", Self.ssoConfig)
        try cacheToken(key: "corp-sso", expiresAt: "2001-01-01T00:00:00Z")
        let portal = Self.portal()
        let expired = await #expect(throws: AWSConfigurationError.self) { try await chain(["AWS_PROFILE": "corp"], transport: portal).resolve() }
        #expect(expired?.description
            == "IAM Identity Center (SSO) sign-in of AWS profile 'corp' expired at 2001-01-01T00:00:00Z; run aws sso login --profile corp")
        #expect(portal.requests.isEmpty)

        try cacheToken(key: "corp-sso", token: "revoked-token")
        let refused = await #expect(throws: AWSConfigurationError.self) {
            try await chain(["AWS_PROFILE": "corp"], transport: Self.portal(status: 401)).resolve()
        }
        #expect(refused?.description.hasSuffix("was refused by the portal (HTTP 401: the token is invalid or expired); run aws sso login --profile corp") == true)
        #expect(refused?.description.contains("revoked-token") == false)
        let forbidden = await #expect(throws: AWSConfigurationError.self) {
            try await chain(["AWS_PROFILE": "corp"], transport: Self.portal(status: 403)).resolve()
        }
        #expect(forbidden?.description.contains("the portal refused role OrgAdmin in account 111122223333 (HTTP 403)") == true)
    }

    @Test func incompleteSSOProfilesSayWhatIsMissing() async throws {
        try home.write(".aws/config", """
            [profile nosession]
            sso_session = ghost
            sso_account_id = 1
            sso_role_name = R
            [profile norole]
            sso_start_url = https://x.awsapps.com/start
            sso_region = eu-west-1
            """)
        let ghost = await #expect(throws: AWSConfigurationError.self) { try await chain(["AWS_PROFILE": "nosession"]).resolve() }
        #expect(ghost?.description.contains("its sso_session 'ghost' has no [sso-session ghost] section") == true)
        let norole = await #expect(throws: AWSConfigurationError.self) { try await chain(["AWS_PROFILE": "norole"]).resolve() }
        #expect(norole?.description.contains("it needs sso_account_id and sso_role_name") == true)
    }

    /// The real exchange against moto's STS: unsigned, and with an expiry, without which
    /// the session would never refresh the role's credentials.
    @Test(.timeLimit(.minutes(1)))
    func webIdentityAgainstMotoGivesCredentialsWithAnExpiry() async throws {
        let moto = try MotoServer.start()
        defer { moto.stop() }
        let tokenFile = try home.write("token", "oidc-token")
        let session = AWSSession(environment: [
            "AWS_ENDPOINT_URL": moto.endpoint, "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile,
            "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/ci", "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        ], homeDirectory: home.path, credentialTransports: CredentialTransports(all: StubTransport.refusingEverything()))
        let credentials = try await session.credentials()
        #expect(credentials.accessKeyID.hasPrefix("ASIA"))
        #expect(credentials.sessionToken?.isEmpty == false)
        let left = try #require(credentials.expiration).timeIntervalSinceNow
        #expect(left > 3000 && left <= 3600, "\(left) s left")
        #expect(try await session.sts().callerIdentity().arn.hasPrefix("arn:aws:sts::123456789012:assumed-role/ci/fleetform-"))
        #expect(session.requests.value == 2, "one exchange, then the credentials are kept")

        // A window longer than the hour STS grants: every use exchanges the token again.
        let refreshing = AWSSession(environment: [
            "AWS_ENDPOINT_URL": moto.endpoint, "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile,
            "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/ci", "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        ], homeDirectory: home.path, credentialTransports: CredentialTransports(all: StubTransport.refusingEverything()),
           credentialRefreshWindow: 4000)
        let first = try await refreshing.credentials()
        try home.write("token", "rotated-oidc-token")
        let second = try await refreshing.credentials()
        #expect(first.accessKeyID != second.accessKeyID)
        #expect(refreshing.requests.value == 2)
    }

    // MARK: Refresh

    /// A session handed credentials that expire within the refresh window resolves them
    /// again before each use; long-lived ones are fetched once.
    @Test func aSessionRefreshesShortLivedMetadataCredentials() async throws {
        let lifetime = Mutex<TimeInterval>(120)
        let transport = StubTransport { request in
            switch (request.method, request.url.path) {
            case ("PUT", _): return .json("imds-session-token")
            case (_, "/latest/meta-data/iam/security-credentials/"): return .json("gateway-host")
            default:
                let expiry = Date(timeIntervalSinceNow: lifetime.withLock { $0 }).formatted(.iso8601)
                return .json(#"{"Code": "Success", "AccessKeyId": "ASIAMETA", "SecretAccessKey": "s", "Token": "t", "Expiration": "\#(expiry)"}"#)
            }
        }
        let session = AWSSession(environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:8111"], homeDirectory: home.path,
                                 credentialTransports: CredentialTransports(all: transport))
        for _ in 0..<3 { _ = try await session.credentials() }
        #expect(transport.requests.count == 9, "three resolutions of three requests each")
        lifetime.withLock { $0 = 3600 }
        for _ in 0..<3 { _ = try await session.credentials() }
        #expect(transport.requests.count == 12, "one more resolution, then the credentials are kept")
    }
}

/// The cache in front of the chain: refresh before expiry, failures of the first
/// resolution kept, failed refreshes retried.
@Suite struct CredentialCacheTests {
    final class Clock: Sendable {
        let time = Mutex(Date(timeIntervalSince1970: 1_000_000))
        var now: Date { time.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { time.withLock { $0 += seconds } }
    }

    final class Source: Sendable {
        struct Down: Error, Equatable {}
        let calls = Mutex(0)
        let failing = Mutex(false)
        let clock: Clock
        let lifetime: TimeInterval

        init(clock: Clock, lifetime: TimeInterval) {
            self.clock = clock
            self.lifetime = lifetime
        }

        var count: Int { calls.withLock { $0 } }

        @Sendable func resolve() async throws -> AWSCredentials {
            let number = calls.withLock { $0 += 1; return $0 }
            if failing.withLock({ $0 }) { throw Down() }
            return AWSCredentials(accessKeyID: "ASIA\(number)", secretAccessKey: "s", sessionToken: "t",
                                  expiration: clock.now.addingTimeInterval(lifetime))
        }
    }

    @Test func credentialsAreRefreshedInsideTheWindowOnly() async throws {
        let clock = Clock()
        let source = Source(clock: clock, lifetime: 3600)
        let cache = CredentialCache(refreshWindow: 300, now: { clock.now })
        #expect(try await cache.get(source.resolve).accessKeyID == "ASIA1")
        clock.advance(3000)
        #expect(try await cache.get(source.resolve).accessKeyID == "ASIA1")
        clock.advance(400) // 200 s left
        #expect(try await cache.get(source.resolve).accessKeyID == "ASIA2")
        #expect(source.count == 2)
    }

    @Test func concurrentFirstCallersShareOneResolution() async throws {
        let clock = Clock()
        let source = Source(clock: clock, lifetime: 3600)
        let cache = CredentialCache(now: { clock.now })
        try await withThrowingTaskGroup(of: AWSCredentials.self) { group in
            for _ in 0..<20 { group.addTask { try await cache.get(source.resolve) } }
            for try await credentials in group { #expect(credentials.accessKeyID == "ASIA1") }
        }
        #expect(source.count == 1)
    }

    @Test func aFailedFirstResolutionIsKeptForTheSession() async throws {
        let clock = Clock()
        let source = Source(clock: clock, lifetime: 3600)
        source.failing.withLock { $0 = true }
        let cache = CredentialCache(now: { clock.now })
        for _ in 0..<3 { await #expect(throws: Source.Down()) { try await cache.get(source.resolve) } }
        clock.advance(600)
        await #expect(throws: Source.Down()) { try await cache.get(source.resolve) }
        #expect(source.count == 1)
    }

    /// A refresh that fails while the old credentials still work keeps them; once they
    /// have expired the failure is reported, but retried after the interval, not kept.
    @Test func aFailedRefreshIsRetriedAndNotKeptForever() async throws {
        let clock = Clock()
        let source = Source(clock: clock, lifetime: 600)
        let cache = CredentialCache(refreshWindow: 300, retryInterval: 10, now: { clock.now })
        #expect(try await cache.get(source.resolve).accessKeyID == "ASIA1")
        source.failing.withLock { $0 = true }
        clock.advance(400) // 200 s left: refresh, fails, the old ones are still good
        #expect(try await cache.get(source.resolve).accessKeyID == "ASIA1")
        #expect(try await cache.get(source.resolve).accessKeyID == "ASIA1")
        #expect(source.count == 2, "the failure is not retried within the interval")
        clock.advance(300) // expired 100 s ago
        await #expect(throws: Source.Down()) { try await cache.get(source.resolve) }
        await #expect(throws: Source.Down()) { try await cache.get(source.resolve) }
        #expect(source.count == 3)
        source.failing.withLock { $0 = false }
        clock.advance(11)
        #expect(try await cache.get(source.resolve).accessKeyID == "ASIA4")
        #expect(source.count == 4)
    }
}
