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

    // MARK: Web identity

    @Test(.timeLimit(.minutes(3)))
    func webIdentityAloneDiscoversAndPreflightsAgainstSignatureCheckingMoto() throws {
        let moto = try MotoServer.start(settings: ["INITIAL_NO_AUTH_ACTION_COUNT": "\(MotoServer.authSetupRequests)"])
        defer { moto.stop() }
        let key = try moto.authSetup()
        let roleARN = try moto.createWebIdentityRole(name: "github-ci", key: key)
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
        // preflight reports per account, on the account's line.
        let preflight = try FleetformProcess.run(["preflight"], environment: env)
        #expect(preflight.exitCode == 1, "\(preflight.stdout)\(preflight.stderr)")
        #expect(preflight.stdout.contains(
            "failed  210987654321  payments-prod  Web identity credentials (AWS_WEB_IDENTITY_TOKEN_FILE): the token file \(missing) does not exist"),
            "\(preflight.stdout)")
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
