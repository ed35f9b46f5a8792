import AWSClient
import Foundation
import TestSupport
import Testing
@testable import AkeylessClient

/// The client against the real stand-in (Tests/Fixtures/akeyless), which validates
/// bodies as strictly as the official SDK's models: unknown keys, types and missing
/// required fields are refused, so a passing call means the wire format is right.
@Suite struct AkeylessAPITests {
    @Test func logsInWithAnAccessKeyOnce() async throws {
        let standIn = try AkeylessStandIn.start()
        defer { standIn.stop() }
        let api = try StandInClient.accessKey(standIn)
        try await api.authenticate()
        try await api.authenticate()
        #expect(try await api.awsTarget(named: "/fleetform/aws/none") == nil)
        #expect(await api.logins == 1)
        #expect(try standIn.calls().auths == 1)
    }

    @Test(arguments: [200, 201])
    func targetLifecycle(createStatus: Int) async throws {
        let standIn = try AkeylessStandIn.start(configuration: .init(createStatus: createStatus))
        defer { standIn.stop() }
        let api = try StandInClient.accessKey(standIn)
        let name = "/fleetform/aws/123456789012"
        #expect(try await api.awsTarget(named: name) == nil)

        let spec = AkeylessAWSTargetSpec(name: name, region: "eu-west-1", description: "account 123456789012")
        let id = try await api.createAWSTarget(spec)
        #expect(id != nil)
        let created = try #require(try await api.awsTarget(named: name))
        #expect(created.matches(spec))
        #expect(created.region == "eu-west-1")
        #expect(created.useGatewayCloudIdentity)
        #expect(created.description == "account 123456789012")
        #expect(created.type == "aws")
        #expect(created.id == id)

        var changed = spec
        changed.region = "us-west-2"
        changed.description = "moved"
        #expect(!created.matches(changed))
        try await api.updateAWSTarget(changed)
        let updated = try #require(try await api.awsTarget(named: name))
        #expect(updated.matches(changed))
        let stored = try #require(try standIn.state().target(name))
        #expect(stored.region == "us-west-2")
        #expect(stored.useGatewayCloudIdentity)
        #expect(stored.accessKeyID == "")
        #expect(stored.version == 2)

        // Creating it again is a conflict, not a success.
        let conflict = await #expect(throws: AkeylessError.self) { try await api.createAWSTarget(spec) }
        #expect(conflict?.kind == .conflict)

        #expect(try await api.deleteTarget(named: name))
        #expect(try await api.awsTarget(named: name) == nil)
        #expect(try await api.deleteTarget(named: name) == false)
    }

    @Test func awsIAMAuthMethodLifecycle() async throws {
        let standIn = try AkeylessStandIn.start()
        defer { standIn.stop() }
        let api = try StandInClient.accessKey(standIn)
        let name = "/fleetform/aws-gateways"
        #expect(try await api.authMethod(named: name) == nil)

        let spec = AkeylessAWSIAMAuthMethodSpec(
            name: name, boundAWSAccountIDs: ["111111111111", "222222222222"],
            boundRoleNames: ["akeyless-gateway"], description: "fleetform gateways")
        let created = try await api.createAWSIAMAuthMethod(spec)
        #expect(created.accessID.hasPrefix("p-"))
        #expect(created.name == name)

        let read = try #require(try await api.authMethod(named: name))
        #expect(read.accessID == created.accessID)
        #expect(read.boundAWSAccountIDs == ["111111111111", "222222222222"])
        #expect(read.boundRoleNames == ["akeyless-gateway"])
        #expect(read.description == "fleetform gateways")
        #expect(read.rulesType == "aws_iam")
        #expect(read.matches(spec))

        // Merging is the caller's job: the update sends the whole list.
        var merged = spec
        merged.boundAWSAccountIDs = read.boundAWSAccountIDs + ["333333333333"]
        merged.boundRoleNames = ["akeyless-gateway", "other-role"]
        #expect(!read.matches(merged))
        try await api.updateAWSIAMAuthMethod(merged)
        let updated = try #require(try await api.authMethod(named: name))
        #expect(updated.boundAWSAccountIDs == ["111111111111", "222222222222", "333333333333"])
        #expect(Set(updated.boundRoleNames) == ["akeyless-gateway", "other-role"])
        #expect(updated.accessID == created.accessID)
        #expect(updated.matches(merged))
        #expect(try standIn.state().authMethod(name)?.boundAWSAccountIDs.count == 3)

        #expect(try await api.deleteAuthMethod(named: name))
        #expect(try await api.authMethod(named: name) == nil)
        #expect(try await api.deleteAuthMethod(named: name) == false)
    }

    @Test func akeylessValidationErrorsLeadWithItsMessage() async throws {
        let standIn = try AkeylessStandIn.start()
        defer { standIn.stop() }
        let api = try StandInClient.accessKey(standIn)
        let invalid = AkeylessAWSIAMAuthMethodSpec(name: "/m", boundAWSAccountIDs: ["123"])
        let error = await #expect(throws: AkeylessError.self) { try await api.createAWSIAMAuthMethod(invalid) }
        #expect(error?.kind == .refused)
        #expect(error?.description.hasPrefix("bound-aws-account-id: '123' is not a 12-digit AWS account id") == true)
        #expect(error?.description.hasSuffix("(Akeyless auth-method-create-aws-iam, HTTP 400)") == true)

        // delete_protection travels as the string the SDK sends, and is honoured.
        let protected = AkeylessAWSTargetSpec(name: "/keep", region: "us-east-1", deleteProtection: true)
        try await api.createAWSTarget(protected)
        #expect(try await api.awsTarget(named: "/keep")?.deleteProtection == true)
        let refused = await #expect(throws: AkeylessError.self) { try await api.deleteTarget(named: "/keep") }
        #expect(refused?.description.hasPrefix("Target /keep is protected from deletion") == true)
    }

    @Test func aWrongAccessKeyIsOneLineLeadingWithAkeylesssMessage() async throws {
        let marker = "MARKER-wrong-key-" + UUID().uuidString
        let standIn = try AkeylessStandIn.start()
        defer { standIn.stop() }
        let api = try StandInClient.accessKey(standIn, key: marker)
        let error = await #expect(throws: AkeylessError.self) { try await api.awsTarget(named: "/x") }
        let text = try #require(error?.description)
        #expect(text == "Authentication failed: wrong access id or access key (Akeyless auth, HTTP 401)")
        #expect(error?.kind == .unauthorized)
        #expect(!text.contains(marker))
        #expect(!"\(api.login)".contains(marker))
        #expect(!String(reflecting: api.login).contains(marker))
        var dumped = ""
        dump(api.login, to: &dumped)
        #expect(!dumped.contains(marker))
        // A refused login is not repeated: one auth call, no retries.
        #expect(try standIn.calls().auths == 1)
        #expect(!standIn.log.contains(marker))
    }

    @Test func anExpiredTokenIsRenewedOnceAndTheCallSucceeds() async throws {
        let standIn = try AkeylessStandIn.start(configuration: .init(tokenTTLSeconds: 1))
        defer { standIn.stop() }
        let api = try StandInClient.accessKey(standIn)
        try await api.createAWSTarget(AkeylessAWSTargetSpec(name: "/t", region: "us-east-1"))
        #expect(await api.logins == 1)
        try await Task.sleep(for: .seconds(2))
        // The first token has expired; the one the client gets next must outlive this
        // test on a loaded machine (a token's expiry is fixed when it is issued).
        var longer = standIn.configuration
        longer.tokenTTLSeconds = 3600
        try standIn.setConfiguration(longer)
        let target = try await api.awsTarget(named: "/t")
        #expect(target?.region == "us-east-1")
        #expect(await api.logins == 2)
        let calls = try standIn.calls()
        #expect(calls.auths == 2)
        #expect(calls.operations["target-get-details"]?.statuses["401"] == 1)
    }

    @Test func concurrentCallersShareOneLogin() async throws {
        let standIn = try AkeylessStandIn.start()
        defer { standIn.stop() }
        let api = try StandInClient.accessKey(standIn)
        let names = (0..<24).map { "/fleetform/aws/\(100_000_000_000 + $0)" }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for name in names {
                group.addTask { try await api.createAWSTarget(AkeylessAWSTargetSpec(name: name, region: "us-east-1")) }
            }
            try await group.waitForAll()
        }
        #expect(try standIn.calls().auths == 1)
        #expect(try standIn.state().targets.count == names.count)
    }

    @Test func persistentThrottlingFailsAfterTheRetries() async throws {
        let standIn = try AkeylessStandIn.start(configuration: .init(faultPercent: 100))
        defer { standIn.stop() }
        let api = try StandInClient.accessKey(standIn)
        let error = await #expect(throws: AkeylessError.self) { try await api.awsTarget(named: "/t") }
        #expect(error?.kind == .unavailable)
        #expect(error?.description.hasPrefix("injected fault: HTTP ") == true)
        #expect(error?.description.contains("gave up after 5 attempts") == true)
        #expect([429, 503].contains(error?.httpStatus ?? 0))
        #expect(try standIn.calls().injected == 5)
    }

    @Test func everyCallSucceedsThroughThirtyPercentFaults() async throws {
        let standIn = try AkeylessStandIn.start(configuration: .init(faultPercent: 30, seed: 7))
        defer { standIn.stop() }
        // 10 attempts: a call fails only when 10 answers in a row are faults (0.3^10).
        let api = try StandInClient.accessKey(
            standIn, retry: RetryPolicy(maximumAttempts: 10, base: .milliseconds(2), cap: .milliseconds(20)))
        let accounts = (0..<10).map { String(200_000_000_000 + $0) }
        for account in accounts {
            try await api.createAWSTarget(AkeylessAWSTargetSpec(name: "/fleetform/aws/\(account)", region: "us-east-1"))
        }
        let created = try await api.createAWSIAMAuthMethod(
            AkeylessAWSIAMAuthMethodSpec(name: "/gw", boundAWSAccountIDs: accounts, boundRoleNames: ["r"]))
        for account in accounts {
            #expect(try await api.awsTarget(named: "/fleetform/aws/\(account)")?.region == "us-east-1")
        }
        #expect(try await api.authMethod(named: "/gw")?.accessID == created.accessID)
        for account in accounts {
            #expect(try await api.deleteTarget(named: "/fleetform/aws/\(account)"))
        }
        let calls = try standIn.calls()
        #expect(calls.injected > 0)
        #expect(try standIn.state().targets.isEmpty)
    }

    @Test func connectionFailuresAreRetriedThenReported() async throws {
        // Port 9 (discard) on loopback: nothing listens there on a test machine.
        let api = AkeylessAPI(
            endpoint: try AkeylessEndpoint("http://127.0.0.1:9"),
            login: .accessKey(accessID: "p-x", accessKey: AkeylessSecret("MARKER-key-connection")),
            retry: StandInClient.fastRetry)
        let error = await #expect(throws: AkeylessError.self) { try await api.authenticate() }
        #expect(error?.kind == .connection)
        #expect(error?.description.hasPrefix("cannot reach http://127.0.0.1:9/auth") == true)
        #expect(error?.description.contains("gave up after 5 attempts") == true)
        #expect(error?.description.contains("MARKER") == false)
        #expect(api.counter.requests("auth") == 5)
    }

    @Test func logsInWithAnAWSIAMCloudID() async throws {
        let standIn = try AkeylessStandIn.start(configuration: .init(awsIAMAccessIDs: ["p-awsiam00001"]))
        defer { standIn.stop() }
        let credentials = AWSCredentials(
            accessKeyID: "ASIAIOSFODNN7EXAMPLE", secretAccessKey: "MARKER-secret-" + UUID().uuidString,
            sessionToken: "MARKER-session-token")
        for region in [nil, "eu-central-1"] {
            let api = AkeylessAPI(
                endpoint: try AkeylessEndpoint(standIn.url),
                login: .awsIAM(accessID: "p-awsiam00001", credentials: { credentials }, stsRegion: region),
                retry: StandInClient.fastRetry)
            try await api.authenticate()
            #expect(try await api.awsTarget(named: "/none") == nil)
            #expect(await api.logins == 1)
        }
        // An access id that no AWS IAM method has: Akeyless's message, no secret.
        let stranger = AkeylessAPI(
            endpoint: try AkeylessEndpoint(standIn.url),
            login: .awsIAM(accessID: "p-unknown0001", credentials: { credentials }, stsRegion: nil),
            retry: StandInClient.fastRetry)
        let error = await #expect(throws: AkeylessError.self) { try await stranger.authenticate() }
        #expect(error?.description.hasPrefix("Authentication failed: no AWS IAM auth method has this access id") == true)
        #expect(error?.description.contains("MARKER") == false)
        #expect(!standIn.log.contains("MARKER"))
    }

    @Test func noTokenOrKeyInAnyErrorText() async throws {
        let marker = "MARKER-key-" + UUID().uuidString
        let standIn = try AkeylessStandIn.start(configuration: .init(accessKeys: ["p-marker00001": marker]))
        defer { standIn.stop() }
        let transport = RecordingTransport()
        let api = try StandInClient.accessKey(standIn, transport: transport)
        try await api.createAWSTarget(AkeylessAWSTargetSpec(name: "/a", region: "us-east-1"))
        var texts: [String] = []
        for attempt in [
            { try await api.createAWSTarget(AkeylessAWSTargetSpec(name: "/a", region: "us-east-1")) },
            { try await api.createAWSIAMAuthMethod(AkeylessAWSIAMAuthMethodSpec(name: "/m", boundAWSAccountIDs: ["1"])) },
            { try await api.updateAWSIAMAuthMethod(AkeylessAWSIAMAuthMethodSpec(name: "/missing", boundAWSAccountIDs: ["123456789012"])) },
        ] as [@Sendable () async throws -> Any?] {
            do {
                _ = try await attempt()
                Issue.record("expected an error")
            } catch {
                texts += ["\(error)", String(reflecting: error), error.localizedDescription]
            }
        }
        let tokens = transport.tokens
        #expect(tokens.count == 1)
        for text in texts {
            #expect(!text.contains(marker))
            for token in tokens { #expect(!text.contains(token)) }
            #expect(!text.contains("\n"))
        }
        #expect(!standIn.log.contains(marker))
        for token in tokens { #expect(!standIn.log.contains(token)) }
    }
}
