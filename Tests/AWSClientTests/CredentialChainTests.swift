import Foundation
import Synchronization
import Testing
import TestSupport
@testable import AWSClient

/// The chain against temporary home directories holding `.aws/credentials` and
/// `.aws/config`, with a fake role assumer standing in for STS.
@Suite struct CredentialChainTests {
    /// Records AssumeRole calls and answers each with credentials naming the role.
    final class FakeSTS: Sendable {
        struct Call: Sendable, Equatable {
            var source: AWSCredentials
            var roleARN: String
            var sessionName: String
            var externalID: String?
            var region: String
        }

        let calls = Mutex<[Call]>([])

        struct WebIdentityCall: Sendable, Equatable {
            var roleARN: String
            var sessionName: String
            var token: String
            var region: String
        }

        let webIdentityCalls = Mutex<[WebIdentityCall]>([])

        var webIdentityAssumer: CredentialChain.WebIdentityAssumer {
            { roleARN, sessionName, token, region in
                self.webIdentityCalls.withLock {
                    $0.append(WebIdentityCall(roleARN: roleARN, sessionName: sessionName, token: token, region: region))
                }
                return AWSCredentials(
                    accessKeyID: "ASIA-WI-\(roleARN.split(separator: "/").last ?? "")", secretAccessKey: "wi-secret",
                    sessionToken: "wi-token", expiration: Date(timeIntervalSinceNow: 3600))
            }
        }

        var webIdentityRecorded: [WebIdentityCall] { webIdentityCalls.withLock { $0 } }

        var assumer: CredentialChain.RoleAssumer {
            { source, roleARN, sessionName, externalID, region in
                self.calls.withLock { $0.append(Call(source: source, roleARN: roleARN, sessionName: sessionName, externalID: externalID, region: region)) }
                return AWSCredentials(
                    accessKeyID: "ASIA-\(roleARN.split(separator: "/").last ?? "")", secretAccessKey: "assumed-secret",
                    sessionToken: "assumed-token", expiration: Date(timeIntervalSinceNow: 3600))
            }
        }

        var recorded: [Call] { calls.withLock { $0 } }
    }

    let home: TemporaryDirectory
    let sts = FakeSTS()

    init() throws {
        home = try TemporaryDirectory("fleetform-aws-home")
    }

    /// No metadata service, container agent or portal answers: the chain's HTTP sources
    /// find nothing (and no test reaches the real link-local addresses).
    let network = StubTransport.refusingEverything()

    func chain(_ environment: [String: String] = [:], credentialProcessTimeout: Duration = .seconds(60)) -> CredentialChain {
        CredentialChain(environment: environment, homeDirectory: home.path, credentialProcessTimeout: credentialProcessTimeout,
                        transports: CredentialTransports(all: network), assumeRoleWithWebIdentity: sts.webIdentityAssumer,
                        assumeRole: sts.assumer)
    }

    func write(credentials: String = "", config: String = "") throws {
        if !credentials.isEmpty { try home.write(".aws/credentials", credentials) }
        if !config.isEmpty { try home.write(".aws/config", config) }
    }

    static let twoProfiles = """
        [default]
        aws_access_key_id = AKIDDEFAULT
        aws_secret_access_key = default-secret

        [dev]
        aws_access_key_id = AKIDDEV
        aws_secret_access_key = dev-secret
        aws_session_token = dev-token
        """

    // MARK: Order

    @Test func environmentWinsOverProfiles() async throws {
        try write(credentials: Self.twoProfiles)
        let credentials = try await chain([
            "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "env-token",
            "AWS_PROFILE": "dev",
        ]).resolve()
        #expect(credentials == AWSCredentials(accessKeyID: "AKIDENV", secretAccessKey: "env-secret", sessionToken: "env-token"))
    }

    @Test func halfAnEnvironmentKeyPairIsAnErrorNotAFallback() async throws {
        try write(credentials: Self.twoProfiles)
        await #expect(throws: AWSConfigurationError.incompleteEnvironmentCredentials(missing: "AWS_SECRET_ACCESS_KEY")) {
            try await chain(["AWS_ACCESS_KEY_ID": "AKIDENV"]).resolve()
        }
        // Empty variables count as unset.
        let credentials = try await chain(["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""]).resolve()
        #expect(credentials.accessKeyID == "AKIDDEFAULT")
    }

    @Test func defaultProfileThenAWSProfile() async throws {
        try write(credentials: Self.twoProfiles)
        #expect(try await chain().resolve() == AWSCredentials(accessKeyID: "AKIDDEFAULT", secretAccessKey: "default-secret"))
        #expect(try await chain(["AWS_PROFILE": "dev"]).resolve()
            == AWSCredentials(accessKeyID: "AKIDDEV", secretAccessKey: "dev-secret", sessionToken: "dev-token"))
    }

    @Test func keysInTheConfigFileWorkAndTheCredentialsFileWinsPerKey() async throws {
        try write(
            credentials: "[dev]\naws_secret_access_key = from-credentials\n",
            config: "[profile dev]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = from-config\n")
        let credentials = try await chain(["AWS_PROFILE": "dev"]).resolve()
        #expect(credentials == AWSCredentials(accessKeyID: "AKIDCONFIG", secretAccessKey: "from-credentials"))
    }

    @Test func fileLocationsComeFromTheEnvironment() async throws {
        let elsewhere = try TemporaryDirectory("fleetform-aws-files")
        let credentialsPath = try elsewhere.write("creds.ini", "[ci]\naws_access_key_id = AKIDCI\naws_secret_access_key = ci-secret\n")
        let configPath = try elsewhere.write("config.ini", "[profile ci]\nregion = ap-southeast-2\n")
        try write(credentials: Self.twoProfiles)
        let chain = chain(["AWS_SHARED_CREDENTIALS_FILE": credentialsPath, "AWS_CONFIG_FILE": configPath, "AWS_PROFILE": "ci"])
        #expect(try await chain.resolve().accessKeyID == "AKIDCI")
        #expect(try chain.region() == "ap-southeast-2")
        // "~/" in the variables is the home directory.
        try home.write("custom/creds", "[default]\naws_access_key_id = AKIDTILDE\naws_secret_access_key = s\n")
        #expect(try await self.chain(["AWS_SHARED_CREDENTIALS_FILE": "~/custom/creds"]).resolve().accessKeyID == "AKIDTILDE")
    }

    /// `/dev/null` is the usual way to switch a file off (a device, not a regular file).
    @Test func devNullIsAnEmptyFile() async throws {
        try write(credentials: Self.twoProfiles, config: "[default]\nregion = eu-west-1\n")
        let chain = chain(["AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_CONFIG_FILE": "/dev/null"])
        #expect(try chain.region() == nil)
        let error = await #expect(throws: AWSConfigurationError.self) { try await chain.resolve() }
        guard case .noCredentials(let profile, let files, _)? = error else {
            Issue.record("expected noCredentials, got \(String(describing: error))")
            return
        }
        #expect(profile == "default")
        #expect(files == ["/dev/null", "/dev/null"])
    }

    // MARK: Missing and broken profiles

    @Test func missingProfileNamesTheProfileAndTheFiles() async throws {
        try write(credentials: Self.twoProfiles)
        let credentialsPath = home.url.appendingPathComponent(".aws/credentials").path
        let configPath = home.url.appendingPathComponent(".aws/config").path
        let expected = AWSConfigurationError.profileNotFound(name: "prod", files: [credentialsPath, configPath])
        await #expect(throws: expected) { try await chain(["AWS_PROFILE": "prod"]).resolve() }
        #expect(throws: expected) { try chain(["AWS_PROFILE": "prod"]).region() }
        #expect(expected.description.contains("'prod'"))
        #expect(expected.description.contains(credentialsPath))
        #expect(expected.description.contains("[profile prod]"))
    }

    @Test func nothingConfiguredSaysWhatToCheck() async throws {
        let error = await #expect(throws: AWSConfigurationError.self) { try await chain().resolve() }
        guard case .noCredentials(let profile, _, _)? = error else {
            Issue.record("expected noCredentials, got \(String(describing: error))")
            return
        }
        #expect(profile == "default")
        let message = error?.description ?? ""
        for hint in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", ".aws/credentials"] {
            #expect(message.contains(hint), "\(hint) missing from: \(message)")
        }
        // A default profile with only a region has no credentials either.
        try write(config: "[default]\nregion = eu-west-1\n")
        await #expect(throws: AWSConfigurationError.self) { try await chain().resolve() }
    }

    @Test func halfAKeyPairInAProfileIsReported() async throws {
        try write(credentials: "[default]\naws_access_key_id = AKIDONLY\n")
        await #expect(throws: AWSConfigurationError.invalidProfile(
            name: "default", reason: "aws_access_key_id is set but aws_secret_access_key is not.")) {
            try await chain().resolve()
        }
    }

    @Test func ssoProfilesWithoutASignInSayHowToSignIn() async throws {
        try write(config: """
            [profile corp]
            sso_session = corp
            sso_account_id = 111111111111
            sso_role_name = Admin
            [sso-session corp]
            sso_start_url = https://corp.awsapps.com/start
            sso_region = eu-west-1
            """)
        let error = await #expect(throws: AWSConfigurationError.self) { try await chain(["AWS_PROFILE": "corp"]).resolve() }
        #expect(error?.description.hasSuffix("; run aws sso login --profile corp") == true, "\(String(describing: error))")
        #expect(network.requests.isEmpty, "no token, so no call to the portal")
    }

    // MARK: credential_process

    @Test func credentialProcessOutputIsUsed() async throws {
        let json = #"{"Version": 1, "AccessKeyId": "ASIAPROC", "SecretAccessKey": "proc-secret", "SessionToken": "proc-token", "Expiration": "2999-01-01T00:00:00Z"}"#
        try write(config: "[profile proc]\ncredential_process = printf '%s' '\(json)'\n")
        let credentials = try await chain(["AWS_PROFILE": "proc"]).resolve()
        #expect(credentials.accessKeyID == "ASIAPROC")
        #expect(credentials.secretAccessKey == "proc-secret")
        #expect(credentials.sessionToken == "proc-token")
        #expect(credentials.expiration == Date(timeIntervalSince1970: 32_472_144_000))
    }

    @Test func credentialProcessSeesTheChainsEnvironmentAndFractionalExpiry() async throws {
        let json = #"{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"s","Expiration":"2999-01-01T00:00:00.250Z"}"#
        try write(config: "[default]\ncredential_process = printf '\(json)' \"$FLEETFORM_TEST_KEY\"\n")
        let credentials = try await chain(["FLEETFORM_TEST_KEY": "AKIDFROMENV"]).resolve()
        #expect(credentials.accessKeyID == "AKIDFROMENV")
        #expect(credentials.sessionToken == nil)
        #expect(credentials.expiration == Date(timeIntervalSince1970: 32_472_144_000.25))
    }

    @Test func failingCredentialProcessNamesTheProfileAndQuotesStderr() async throws {
        try write(config: """
            [profile broken]
            credential_process = printf '{"Version":1,"AccessKeyId":"AKIDX","SecretAccessKey":"leaked-secret"}'; echo 'token expired, run login' >&2; exit 1
            """)
        let error = await #expect(throws: AWSConfigurationError.self) { try await chain(["AWS_PROFILE": "broken"]).resolve() }
        guard case .credentialProcessFailed(let profile, let reason)? = error else {
            Issue.record("expected credentialProcessFailed, got \(String(describing: error))")
            return
        }
        #expect(profile == "broken")
        #expect(reason == "the command exited with status 1: token expired, run login")
        #expect(error?.description.contains("'broken'") == true)
        #expect(error?.description.contains("leaked-secret") == false)
    }

    @Test(arguments: [
        ("printf 'not json {{ secret-in-output'", "its output is not valid JSON"),
        (#"printf '{"Version":2,"AccessKeyId":"A","SecretAccessKey":"secret-in-output"}'"#, "\"Version\": 1"),
        (#"printf '{"Version":1,"SecretAccessKey":"secret-in-output"}'"#, "no \"AccessKeyId\""),
        (#"printf '{"Version":1,"AccessKeyId":"A","SecretAccessKey":"secret-in-output","Expiration":"2001-01-01T00:00:00Z"}'"#, "expired"),
        (#"printf '{"Version":1,"AccessKeyId":"A","SecretAccessKey":"secret-in-output","Expiration":"soon"}'"#, "ISO 8601"),
        ("exit 3", "status 3 and printed nothing"),
    ])
    func unusableCredentialProcessOutput(command: String, expected: String) async throws {
        try write(config: "[default]\ncredential_process = \(command)\n")
        let error = await #expect(throws: AWSConfigurationError.self) { try await chain().resolve() }
        let message = error?.description ?? ""
        #expect(message.contains(expected), "\(message)")
        #expect(!message.contains("secret-in-output"))
    }

    // MARK: credential_process deadlines

    /// Whether `pid` is gone (or a zombie nobody has reaped yet).
    private func isGone(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return true }
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? true
    }

    @Test(.timeLimit(.minutes(1)))
    func aCredentialProcessPastItsDeadlineIsKilledWithEverythingItStarted() async throws {
        let pids = home.url.appendingPathComponent("pids")
        // The shell waits for a grandchild that would run for five minutes.
        try write(config: "[profile ci]\ncredential_process = sleep 300 & echo $$ $! > '\(pids.path)'; wait\n")
        let clock = ContinuousClock()
        let started = clock.now
        await #expect(throws: AWSConfigurationError.credentialProcessTimedOut(profile: "ci", limit: .seconds(1))) {
            try await chain(["AWS_PROFILE": "ci"], credentialProcessTimeout: .seconds(1)).resolve()
        }
        let elapsed = clock.now - started
        #expect(elapsed < .seconds(3), "took \(elapsed)")
        #expect(AWSConfigurationError.credentialProcessTimedOut(profile: "ci", limit: .seconds(60)).description
            == "credential_process of profile ci did not finish within 60 s (its deadline); it and every process it started were killed")
        let started2 = try String(contentsOf: pids, encoding: .utf8).split(separator: " ")
            .compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        try #require(started2.count == 2)
        var waited = 0
        while !started2.allSatisfy(isGone), waited < 40 {
            try await Task.sleep(for: .milliseconds(50))
            waited += 1
        }
        #expect(isGone(started2[0]), "the shell \(started2[0]) survived")
        #expect(isGone(started2[1]), "the grandchild sleep \(started2[1]) survived")
    }

    /// `sleep 300 & echo {...}`: the shell exits at once, a background process keeps
    /// stdout open. The printed credentials are used without waiting for it.
    @Test(.timeLimit(.minutes(1)))
    func aBackgroundProcessHoldingStdoutDoesNotHoldTheCredentials() async throws {
        let json = #"{"Version": 1, "AccessKeyId": "ASIABG", "SecretAccessKey": "bg-secret"}"#
        let pidFile = home.url.appendingPathComponent("bg.pid")
        try write(config: "[profile bg]\ncredential_process = sleep 300 & echo $! > '\(pidFile.path)'; printf '%s' '\(json)'\n")
        let clock = ContinuousClock()
        let started = clock.now
        let credentials = try await chain(["AWS_PROFILE": "bg"]).resolve()
        let elapsed = clock.now - started
        #expect(credentials.accessKeyID == "ASIABG")
        #expect(elapsed < .seconds(5), "took \(elapsed)")
        if let pid = Int32((try? String(contentsOf: pidFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") {
            kill(pid, SIGKILL)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func cancellingTheTaskKillsTheCredentialProcess() async throws {
        let pidFile = home.url.appendingPathComponent("cancel.pid")
        try write(config: "[profile slow]\ncredential_process = echo $$ > '\(pidFile.path)'; exec sleep 300\n")
        let chain = self.chain(["AWS_PROFILE": "slow"])
        let task = Task { try await chain.resolve() }
        var pid: Int32?
        for _ in 0..<100 where pid == nil {
            try await Task.sleep(for: .milliseconds(20))
            pid = Int32((try? String(contentsOf: pidFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "")
        }
        let running = try #require(pid)
        let clock = ContinuousClock()
        let cancelled = clock.now
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(clock.now - cancelled < .seconds(2))
        #expect(isGone(running))
    }

    // MARK: Roles

    @Test func roleProfileAssumesWithTheSourceProfilesCredentials() async throws {
        try write(
            credentials: Self.twoProfiles,
            config: """
                [profile admin]
                role_arn = arn:aws:iam::123456789012:role/OrgAdmin
                source_profile = dev
                role_session_name = fleetform-test
                external_id = ext-42
                region = eu-west-1
                """)
        let credentials = try await chain(["AWS_PROFILE": "admin"]).resolve()
        #expect(credentials.accessKeyID == "ASIA-OrgAdmin")
        #expect(sts.recorded == [FakeSTS.Call(
            source: AWSCredentials(accessKeyID: "AKIDDEV", secretAccessKey: "dev-secret", sessionToken: "dev-token"),
            roleARN: "arn:aws:iam::123456789012:role/OrgAdmin", sessionName: "fleetform-test", externalID: "ext-42",
            region: "eu-west-1")])
    }

    @Test func rolesChainAndDefaultTheSessionNameAndRegion() async throws {
        try write(
            credentials: Self.twoProfiles,
            config: """
                [profile first]
                role_arn = arn:aws:iam::111111111111:role/First
                source_profile = default
                [profile second]
                role_arn = arn:aws:iam::222222222222:role/Second
                source_profile = first
                """)
        let credentials = try await chain(["AWS_PROFILE": "second"]).resolve()
        #expect(credentials.accessKeyID == "ASIA-Second")
        let calls = sts.recorded
        #expect(calls.map(\.roleARN) == ["arn:aws:iam::111111111111:role/First", "arn:aws:iam::222222222222:role/Second"])
        #expect(calls.map(\.source.accessKeyID) == ["AKIDDEFAULT", "ASIA-First"])
        #expect(calls.allSatisfy { $0.sessionName.hasPrefix("fleetform-") && $0.externalID == nil })
        #expect(calls.allSatisfy { $0.region == CredentialChain.defaultSTSRegion })
        // A configured region is where STS is called.
        _ = try await chain(["AWS_PROFILE": "second", "AWS_REGION": "ap-south-1"]).resolve()
        #expect(sts.recorded.last?.region == "ap-south-1")
    }

    @Test func aProfileMaySourceItsOwnKeys() async throws {
        try write(credentials: """
            [self]
            aws_access_key_id = AKIDSELF
            aws_secret_access_key = self-secret
            role_arn = arn:aws:iam::123456789012:role/Self
            source_profile = self
            """)
        #expect(try await chain(["AWS_PROFILE": "self"]).resolve().accessKeyID == "ASIA-Self")
        #expect(sts.recorded.map(\.source.accessKeyID) == ["AKIDSELF"])
    }

    @Test func sourceProfileCyclesAreDetected() async throws {
        try write(config: """
            [profile a]
            role_arn = arn:aws:iam::111111111111:role/A
            source_profile = b
            [profile b]
            role_arn = arn:aws:iam::111111111111:role/B
            source_profile = c
            [profile c]
            role_arn = arn:aws:iam::111111111111:role/C
            source_profile = a
            [profile loop]
            role_arn = arn:aws:iam::111111111111:role/Loop
            source_profile = loop
            """)
        await #expect(throws: AWSConfigurationError.sourceProfileCycle(["a", "b", "c", "a"])) {
            try await chain(["AWS_PROFILE": "a"]).resolve()
        }
        await #expect(throws: AWSConfigurationError.sourceProfileCycle(["loop", "loop"])) {
            try await chain(["AWS_PROFILE": "loop"]).resolve()
        }
        #expect(sts.recorded.isEmpty)
    }

    @Test func brokenRoleProfilesAreReportedAgainstTheProfile() async throws {
        try write(config: """
            [profile nosource]
            role_arn = arn:aws:iam::111111111111:role/A
            [profile missing]
            role_arn = arn:aws:iam::111111111111:role/A
            source_profile = ghost
            [profile both]
            role_arn = arn:aws:iam::111111111111:role/A
            source_profile = default
            credential_source = Environment
            [profile unknown]
            role_arn = arn:aws:iam::111111111111:role/A
            credential_source = Laptop
            """)
        await #expect(throws: AWSConfigurationError.invalidProfile(
            name: "nosource", reason: "role_arn is set but source_profile (or credential_source) is not.")) {
            try await chain(["AWS_PROFILE": "nosource"]).resolve()
        }
        let missing = await #expect(throws: AWSConfigurationError.self) { try await chain(["AWS_PROFILE": "missing"]).resolve() }
        #expect(missing?.description.contains("AWS profile 'missing': its source_profile 'ghost' is not defined") == true)
        let both = await #expect(throws: AWSConfigurationError.self) { try await chain(["AWS_PROFILE": "both"]).resolve() }
        #expect(both?.description.contains("source_profile and credential_source are both set") == true)
        let unknown = await #expect(throws: AWSConfigurationError.self) { try await chain(["AWS_PROFILE": "unknown"]).resolve() }
        #expect(unknown?.description.contains("credential_source = Laptop is not one of Environment, Ec2InstanceMetadata, EcsContainer") == true)
        #expect(sts.recorded.isEmpty)
    }

    @Test func assumerErrorsPassThroughUnchanged() async throws {
        struct AccessDenied: Error, Equatable {}
        try write(credentials: Self.twoProfiles, config: "[profile admin]\nrole_arn = arn:aws:iam::1:role/R\nsource_profile = dev\n")
        let chain = CredentialChain(environment: ["AWS_PROFILE": "admin"], homeDirectory: home.path) { _, _, _, _, _ in
            throw AccessDenied()
        }
        await #expect(throws: AccessDenied()) { try await chain.resolve() }
    }

    // MARK: Region

    @Test func regionOrder() throws {
        try write(config: "[default]\nregion = eu-west-1\n[profile dev]\nregion = us-west-2\n")
        #expect(try chain().region() == "eu-west-1")
        #expect(try chain(["AWS_PROFILE": "dev"]).region() == "us-west-2")
        #expect(try chain(["AWS_PROFILE": "dev", "AWS_DEFAULT_REGION": "ap-northeast-1"]).region() == "ap-northeast-1")
        #expect(try chain(["AWS_PROFILE": "dev", "AWS_DEFAULT_REGION": "ap-northeast-1", "AWS_REGION": "ca-central-1"]).region()
            == "ca-central-1")
        #expect(try chain(["AWS_REGION": ""]).region() == "eu-west-1")
    }

    /// The region goes into host names: `evil.com#` would send the signed request there.
    @Test func aRegionThatIsNotARegionNameIsRefusedNamingWhereItCameFrom() throws {
        try write(config: "[default]\nregion = eu-west-1\n[profile ci]\nregion = evil.com#\n")
        #expect(throws: AWSConfigurationError.invalidRegion(source: "AWS_REGION", value: "evil.com#")) {
            try chain(["AWS_REGION": "evil.com#"]).region()
        }
        #expect(throws: AWSConfigurationError.invalidRegion(source: "AWS_DEFAULT_REGION", value: "us-east-1.evil.com")) {
            try chain(["AWS_DEFAULT_REGION": "us-east-1.evil.com"]).region()
        }
        #expect(throws: AWSConfigurationError.invalidRegion(source: "region of AWS profile 'ci'", value: "evil.com#")) {
            try chain(["AWS_PROFILE": "ci"]).region()
        }
        #expect(AWSConfigurationError.invalidRegion(source: "AWS_REGION", value: "evil.com#").description
            == #"AWS_REGION "evil.com#": not an AWS region name"#)
        #expect(AWSConfigurationError.invalidRegion(source: "AWS_REGION", value: "x\u{1B}[2J\"").description
            == #"AWS_REGION "x\u{1B}[2J\"": not an AWS region name"#)
        // The partitions' own forms are regions.
        for region in ["us-gov-west-1", "cn-north-1", "us-iso-east-1", "eu-isoe-west-1"] {
            #expect(try chain(["AWS_REGION": region]).region() == region)
        }
    }

    /// A role profile calls STS in the configured region: a bad one stops before any call.
    @Test func roleAssumptionRefusesABadRegionBeforeCallingSTS() async throws {
        try write(credentials: Self.twoProfiles, config: "[profile admin]\nrole_arn = arn:aws:iam::1:role/R\nsource_profile = dev\nregion = a/b\n")
        await #expect(throws: AWSConfigurationError.invalidRegion(source: "region of AWS profile 'admin'", value: "a/b")) {
            try await chain(["AWS_PROFILE": "admin"]).resolve()
        }
        #expect(sts.recorded.isEmpty)
    }

    @Test func noRegionAnywhereIsNil() throws {
        #expect(try chain().region() == nil)
        try write(credentials: "[default]\naws_access_key_id = A\naws_secret_access_key = B\n")
        #expect(try chain().region() == nil)
        #expect(AWSConfigurationError.noRegion.description.contains("AWS_REGION"))
    }
}
