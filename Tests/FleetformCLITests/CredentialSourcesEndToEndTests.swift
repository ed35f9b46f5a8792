import Foundation
import Testing
import TestSupport

/// `inventory discover` and `preflight` through the built binary with one credential
/// source at a time and nothing else (no keys, no shared files, no metadata service
/// unless it is the source), against moto with signature checking on; and the one-line
/// errors of the sources that are configured but broken.
@Suite(.serialized) struct CredentialSourcesEndToEndTests {
    private let scratch: TemporaryDirectory

    init() throws {
        scratch = try TemporaryDirectory("fleetform-credential-sources")
    }

    /// Only what every run needs; each test adds its one source.
    private func environment(endpoint: String, home: String, _ source: [String: String]) -> [String: String] {
        [
            "FLEETFORM_HOME": scratch.url.appendingPathComponent(home).path, "AWS_ENDPOINT_URL": endpoint,
            "AWS_REGION": "eu-west-1", "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "HOME": scratch.path, "AWS_EC2_METADATA_DISABLED": "true",
        ].merging(source) { _, new in new }
    }

    private func listedAccounts(_ env: [String: String]) throws -> Int {
        struct Document: Decodable { var accounts: [[String: JSONAny]] }
        struct JSONAny: Decodable { init(from decoder: any Decoder) throws {} }
        let result = try FleetformProcess.run(["inventory", "list", "--json"], environment: env)
        return try JSONDecoder().decode(Document.self, from: Data(result.stdout.utf8)).accounts.count
    }

    /// The one-line error a failed command prints, and its exit code 1.
    private func expectOneLineFailure(_ result: FleetformProcess.Result, containing parts: [String],
                                      sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.exitCode == 1, "\(result.stdout)\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)", sourceLocation: sourceLocation)
        for part in parts {
            #expect(result.stderr.contains(part), "'\(part)' missing from: \(result.stderr)", sourceLocation: sourceLocation)
        }
    }

    /// discover and preflight pass, and the secrets the source used are printed nowhere.
    private func expectDiscoverAndPreflight(_ env: [String: String], moto: MotoServer, secrets: [String],
                                            sourceLocation: SourceLocation = #_sourceLocation) throws {
        let discover = try FleetformProcess.run(["inventory", "discover"], environment: env)
        #expect(discover.exitCode == 0, "\(discover.stdout)\(discover.stderr)\n--- moto\n\(moto.process.logTail(20))",
                sourceLocation: sourceLocation)
        #expect(try listedAccounts(env) == 3, sourceLocation: sourceLocation)
        let preflight = try FleetformProcess.run(["preflight"], environment: env)
        #expect(preflight.exitCode == 0, "\(preflight.stdout)\(preflight.stderr)", sourceLocation: sourceLocation)
        #expect(preflight.stdout.contains("preflight: 2 of 2 accounts can be entered"), "\(preflight.stdout)",
                sourceLocation: sourceLocation)
        let printed = discover.stdout + discover.stderr + preflight.stdout + preflight.stderr
        for secret in secrets {
            #expect(!printed.contains(secret), "a secret was printed", sourceLocation: sourceLocation)
        }
    }

    /// moto checking signatures, and what the stand-in hands out: a session of a role in
    /// the management account that is allowed everything, from moto's own AssumeRole, so
    /// moto accepts it (the expiry the stand-in announces is its own). Short-lived ones
    /// expire inside the session's refresh window, so every call resolves them again.
    private func signedMoto(expiresInSeconds: Int = 3600) throws -> (MotoServer, CredentialEndpoints.Configuration.Credentials) {
        let moto = try MotoServer.start(settings: ["INITIAL_NO_AUTH_ACTION_COUNT": "\(MotoServer.authSetupRequests)"])
        let key = try moto.authSetup()
        let role = try moto.createAdministratorRole(name: "fleetform-host", key: key)
        let session = try moto.temporaryCredentials(roleARN: role, key: key)
        return (moto, .init(accessKeyID: session.accessKeyId, secretAccessKey: session.secretAccessKey,
                            sessionToken: session.sessionToken, expiresInSeconds: expiresInSeconds))
    }

    // MARK: Instance metadata, container, IAM Identity Center against the stand-ins

    @Test(.timeLimit(.minutes(3)))
    func instanceMetadataAloneDiscoversAndPreflights() throws {
        let (moto, credentials) = try signedMoto()
        defer { moto.stop() }
        let endpoints = try CredentialEndpoints.start(.init(credentials: credentials, imds: .init(roleName: "fleetform-host")))
        defer { endpoints.stop() }
        let env = environment(endpoint: moto.endpoint, home: "imds", [
            "AWS_EC2_METADATA_DISABLED": "", "AWS_EC2_METADATA_SERVICE_ENDPOINT": endpoints.url,
        ])
        try expectDiscoverAndPreflight(env, moto: moto, secrets: [credentials.secretAccessKey, credentials.sessionToken])
        // One resolution per command: token, role, credentials.
        #expect(endpoints.requests(matching: "/latest/api/token") == 2, "\(endpoints.requestLines)")
        #expect(endpoints.requests(matching: "/latest/meta-data/iam/security-credentials/fleetform-host") == 2)

        // Credentials that expire within five minutes are fetched again before each use.
        try endpoints.setConfiguration(.init(credentials: .init(
            accessKeyID: credentials.accessKeyID, secretAccessKey: credentials.secretAccessKey,
            sessionToken: credentials.sessionToken, expiresInSeconds: 120), imds: .init(roleName: "fleetform-host")))
        let again = try FleetformProcess.run(["inventory", "discover"], environment: env)
        #expect(again.exitCode == 0, "\(again.stderr)")
        #expect(endpoints.requests(matching: "/latest/api/token") >= 2 + 3, "\(endpoints.requestLines)")
    }

    @Test(.timeLimit(.minutes(3)))
    func containerCredentialsAloneDiscoverAndPreflight() throws {
        let (moto, credentials) = try signedMoto(expiresInSeconds: 120)
        defer { moto.stop() }
        let endpoints = try CredentialEndpoints.start(.init(credentials: credentials, container: .init(authorizationToken: "eks-pod-identity-token")))
        defer { endpoints.stop() }
        let tokenFile = try scratch.write("pod-identity-token", "eks-pod-identity-token")
        let env = environment(endpoint: moto.endpoint, home: "container", [
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": endpoints.containerCredentialsURL,
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile,
        ])
        try expectDiscoverAndPreflight(env, moto: moto, secrets: [credentials.secretAccessKey, "eks-pod-identity-token"])
        // Two-minute credentials: resolved again for the calls of each command.
        #expect(endpoints.requests(matching: "/container/") > 2, "\(endpoints.requestLines)")
        #expect(endpoints.requestLines.allSatisfy { $0.hasSuffix(" 200") }, "\(endpoints.requestLines)")

        // A wrong token: the agent's 401 becomes one line naming the token variables.
        try scratch.write("pod-identity-token", "stale-token")
        let refused = try FleetformProcess.run(["inventory", "discover"], environment: env)
        expectOneLineFailure(refused, containing: [
            "Container credentials from \(endpoints.containerCredentialsURL)", "HTTP 401", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        ])
        #expect(!refused.stderr.contains("stale-token"))
    }

    @Test(.timeLimit(.minutes(3)))
    func ssoAloneDiscoversAndPreflights() throws {
        let (moto, credentials) = try signedMoto()
        defer { moto.stop() }
        let accessToken = "aoa-sso-access-token-\(UUID().uuidString)"
        let endpoints = try CredentialEndpoints.start(.init(
            credentials: credentials, sso: .init(accessToken: accessToken, accountID: "123456789012", roleName: "OrgAdmin")))
        defer { endpoints.stop() }
        let config = try scratch.write("sso-signed-config", """
            [profile corp]
            sso_session = corp-signed
            sso_account_id = 123456789012
            sso_role_name = OrgAdmin
            [sso-session corp-signed]
            sso_start_url = https://corp.awsapps.com/start
            sso_region = eu-west-1
            """)
        let expiry = Date(timeIntervalSinceNow: 3600).formatted(.iso8601)
        try scratch.write(".aws/sso/cache/\(Self.sha1Hex("corp-signed")).json",
                          #"{"accessToken": "\#(accessToken)", "expiresAt": "\#(expiry)", "region": "eu-west-1"}"#)
        let env = environment(endpoint: moto.endpoint, home: "sso", [
            "AWS_CONFIG_FILE": config, "AWS_PROFILE": "corp", "AWS_ENDPOINT_URL_SSO": endpoints.url,
        ])
        try expectDiscoverAndPreflight(env, moto: moto, secrets: [credentials.secretAccessKey, accessToken])
        #expect(endpoints.requests(matching: "/federation/credentials") == 2, "\(endpoints.requestLines)")

        // The portal no longer knows the token (signed out elsewhere): sign in again.
        try endpoints.setConfiguration(.init(credentials: credentials, sso: .init(accessToken: "another", accountID: "123456789012", roleName: "OrgAdmin")))
        let refused = try FleetformProcess.run(["inventory", "discover"], environment: env)
        expectOneLineFailure(refused, containing: ["was refused by the portal (HTTP 401", "run aws sso login --profile corp"])
    }

    // MARK: Web identity

    @Test(.timeLimit(.minutes(3)))
    func webIdentityAloneDiscoversAndPreflightsAgainstSignatureCheckingMoto() throws {
        let moto = try MotoServer.start(settings: ["INITIAL_NO_AUTH_ACTION_COUNT": "\(MotoServer.authSetupRequests)"])
        defer { moto.stop() }
        let key = try moto.authSetup()
        let roleARN = try moto.createAdministratorRole(name: "github-ci", key: key)
        let tokenFile = try scratch.write("oidc-token", "eyJhbGciOiJSUzI1NiJ9.github-actions-oidc-token.sig\n")
        let env = environment(endpoint: moto.endpoint, home: "web-identity", [
            "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_ARN": roleARN, "AWS_ROLE_SESSION_NAME": "fleetform-e2e",
        ])

        // Each command exchanges the token once, unsigned; everything after is signed
        // with the role's temporary keys and checked.
        try moto.allowUnsignedRequests(1)
        let discover = try FleetformProcess.run(["inventory", "discover"], environment: env)
        #expect(discover.exitCode == 0, "\(discover.stdout)\(discover.stderr)\n--- moto\n\(moto.process.logTail(20))")
        #expect(try listedAccounts(env) == 3)

        try moto.allowUnsignedRequests(1)
        let preflight = try FleetformProcess.run(["preflight"], environment: env)
        #expect(preflight.exitCode == 0, "\(preflight.stdout)\(preflight.stderr)")
        #expect(preflight.stdout.contains("preflight: 2 of 2 accounts can be entered"), "\(preflight.stdout)")
        #expect(!(discover.stdout + discover.stderr + preflight.stdout + preflight.stderr).contains("github-actions-oidc-token"))
    }

    @Test func aMissingWebIdentityTokenFileNamesTheFileAndTheVariable() throws {
        let missing = scratch.url.appendingPathComponent("no-such-token").path
        let env = environment(endpoint: "http://127.0.0.1:9", home: "no-token", [
            "AWS_WEB_IDENTITY_TOKEN_FILE": missing, "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/github-ci",
        ])
        let result = try FleetformProcess.run(["inventory", "discover"], environment: env)
        expectOneLineFailure(result, containing: [
            "Web identity credentials (AWS_WEB_IDENTITY_TOKEN_FILE): the token file \(missing) does not exist",
        ])
        // preflight needs the credentials as soon as there is an account to enter.
        let inventory = try scratch.write("one-account.json", """
            {"management_account_id": "123456789012", "defaults": {"region": "eu-west-1"},
             "accounts": [{"id": "210987654321", "name": "payments-prod", "email": "aws+payments@example.com"}]}
            """)
        let imported = try FleetformProcess.run(["inventory", "import", inventory], environment: env)
        try #require(imported.exitCode == 0, "\(imported.stderr)")
        // A broken source is one error for the command, not the same line for every account.
        let preflight = try FleetformProcess.run(["preflight"], environment: env)
        expectOneLineFailure(preflight, containing: [
            "preflight: Web identity credentials (AWS_WEB_IDENTITY_TOKEN_FILE): the token file \(missing) does not exist",
        ])
        #expect(!preflight.stdout.contains("210987654321"), "\(preflight.stdout)")
        let apply = try FleetformProcess.run(["apply", "--account", "210987654321"], environment: env)
        expectOneLineFailure(apply, containing: ["preflight: Web identity credentials (AWS_WEB_IDENTITY_TOKEN_FILE)"])
    }

    // MARK: Instance metadata

    @Test func anUnreachableMetadataEndpointNamesItAndTheSwitch() throws {
        let closed = "http://127.0.0.1:\(try LoopbackNetwork.freePort())"
        let env = environment(endpoint: "http://127.0.0.1:9", home: "no-imds", [
            "AWS_EC2_METADATA_DISABLED": "", "AWS_EC2_METADATA_SERVICE_ENDPOINT": closed,
        ])
        let result = try FleetformProcess.run(["inventory", "discover"], environment: env)
        expectOneLineFailure(result, containing: [
            "EC2 instance metadata at \(closed) cannot be reached (connection refused)", "AWS_EC2_METADATA_DISABLED=true",
        ])
    }

    /// A metadata endpoint that is not a URL is a usage error, like a bad AWS_ENDPOINT_URL_*.
    @Test func aMetadataEndpointThatIsNotAURLIsAUsageError() throws {
        let env = environment(endpoint: "http://127.0.0.1:9", home: "bad-imds", [
            "AWS_EC2_METADATA_DISABLED": "", "AWS_EC2_METADATA_SERVICE_ENDPOINT": "169.254.169.254",
        ])
        let result = try FleetformProcess.run(["inventory", "discover"], environment: env)
        #expect(result.exitCode == 64, "\(result.stderr)")
        #expect(result.stderr.contains("AWS_EC2_METADATA_SERVICE_ENDPOINT is '169.254.169.254', which is not an absolute http:// or https:// URL."),
                "\(result.stderr)")
    }

    // MARK: IAM Identity Center

    @Test func anExpiredSSOTokenSaysToSignInAgain() throws {
        let config = try scratch.write("sso-config", """
            [profile corp]
            sso_session = corp
            sso_account_id = 123456789012
            sso_role_name = OrgAdmin
            [sso-session corp]
            sso_start_url = https://corp.awsapps.com/start
            sso_region = eu-west-1
            """)
        // sha1("corp"): the file `aws sso login` writes for sso-session corp.
        try scratch.write(".aws/sso/cache/\(Self.sha1Hex("corp")).json",
                          #"{"accessToken": "expired-sso-access-token", "expiresAt": "2020-01-01T00:00:00Z"}"#)
        let env = environment(endpoint: "http://127.0.0.1:9", home: "sso-expired", ["AWS_CONFIG_FILE": config, "AWS_PROFILE": "corp"])
        let result = try FleetformProcess.run(["inventory", "discover"], environment: env)
        expectOneLineFailure(result, containing: [
            "IAM Identity Center (SSO) sign-in of AWS profile 'corp' expired at 2020-01-01T00:00:00Z; run aws sso login --profile corp",
        ])
        #expect(!result.stderr.contains("expired-sso-access-token"))
    }

    static func sha1Hex(_ text: String) -> String {
        // Through a subprocess: the test targets do not link swift-crypto.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import hashlib,sys;print(hashlib.sha1(sys.argv[1].encode()).hexdigest())", text]
        let out = Pipe()
        process.standardOutput = out
        try? process.run()
        process.waitUntilExit()
        return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
