import AWSClient
import Foundation
import TestSupport
import Testing
@testable import AkeylessClient
@testable import Inventory
@testable import Onboarding

/// The sync, release and verify use cases against the real stand-in, on an inventory
/// whose accounts have their role recorded as an apply records it.
@Suite(.serialized) struct AkeylessSyncTests {
    private let standIn: AkeylessStandIn
    private let database: SQLiteInventoryStore
    private let ids = (1...5).map { String(format: "1000000000%02d", $0) }

    init() throws {
        standIn = try AkeylessStandIn.start()
        database = try SQLiteInventoryStore.inMemory()
        _ = try database.importAccounts(
            ids.map { AccountSpec(accountID: $0, name: "acct-\($0.suffix(2))", ouPath: "Root/Workloads", region: "eu-west-1") },
            source: .file, origin: "test", prune: false)
        let jobs = try database.startRun(
            runID: "r1", command: .apply, template: "t", parallel: 2,
            jobs: ids.map { PlannedJob(accountID: $0, operation: .apply, template: "t") }, isAlive: { _ in true })
        for job in jobs {
            try database.finishJob(jobID: job.jobID, result: JobResult(
                status: .succeeded, roleARN: "arn:aws:iam::\(job.accountID):role/akeyless-gateway"))
        }
        _ = try database.finishRun(runID: "r1", outcome: .succeeded)
    }

    private func api(retry: RetryPolicy = RetryPolicy(maximumAttempts: 8, base: .milliseconds(5), cap: .milliseconds(40)),
                     concurrency: Int = 8) throws -> AkeylessAPI {
        AkeylessAPI(
            endpoint: try AkeylessEndpoint(standIn.url),
            login: .accessKey(accessID: standIn.configuration.accessID,
                              accessKey: AkeylessSecret(standIn.configuration.accessKey)),
            retry: retry, concurrency: concurrency)
    }

    private func sync(_ settings: AkeylessSync.Settings = .init(), api: AkeylessAPI? = nil,
                      tolerance: FailureTolerance? = nil) async throws -> AkeylessSync.Report {
        let sync = AkeylessSync(api: try api ?? self.api(), database: database)
        let onboarded = try database.onboardedAccounts(includeDrifted: true)
        return try await sync.run(sync.items(onboarded, settings: settings), failureTolerance: tolerance)
    }

    @Test func firstSyncCreatesEverythingOnceAndTheSecondWritesNothing() async throws {
        defer { standIn.stop() }
        let first = try await sync()
        #expect(first.failed == 0)
        #expect(first.count(target: .created) == 5)
        let state = try standIn.state()
        #expect(state.targets.count == 5)
        let target = try #require(state.target("/fleetform/aws/100000000003"))
        #expect(target.region == "eu-west-1")
        #expect(target.useGatewayCloudIdentity)
        #expect(target.accessKeyID == "")
        #expect(target.description.contains("100000000003 (acct-03), OU Root/Workloads, gateway role arn:aws:iam::100000000003:role/akeyless-gateway"))
        let method = try #require(state.authMethod("/fleetform/aws-gateways"))
        #expect(method.boundAWSAccountIDs == ids)
        #expect(method.boundRoleNames == ["akeyless-gateway"])
        let calls = try standIn.calls()
        #expect(calls.requests("target-create-aws") == 5)
        #expect(calls.requests("auth-method-create-aws-iam") == 1)
        #expect(calls.requests("auth-method-update-aws-iam") == 0)
        #expect(first.writes == 6)

        let records = try database.akeylessRecords()
        #expect(records.count == 5)
        #expect(Set(records.values.map(\.accessID)) == [method.accessID])
        #expect(records.values.allSatisfy { $0.status == .synced && $0.syncedAt != nil && $0.layout == .shared })
        #expect(records["100000000001"]?.target == "/fleetform/aws/100000000001")

        try standIn.resetCalls()
        let second = try await sync()
        #expect(second.failed == 0)
        #expect(second.writes == 0)
        #expect(second.count(target: .unchanged) == 5)
        #expect(try standIn.calls().writes == 0)
    }

    @Test func theSharedMethodKeepsAccountsSomeoneElseBound() async throws {
        defer { standIn.stop() }
        let api = try api()
        let foreign = try await api.createAWSIAMAuthMethod(AkeylessAWSIAMAuthMethodSpec(
            name: "/fleetform/aws-gateways", boundAWSAccountIDs: ["999999999999"], boundRoleNames: ["their-role"]))
        let report = try await sync(api: api)
        #expect(report.failed == 0)
        let method = try #require(try standIn.state().authMethod("/fleetform/aws-gateways"))
        #expect(method.boundAWSAccountIDs == ["999999999999"] + ids)
        #expect(method.boundRoleNames == ["their-role", "akeyless-gateway"])
        #expect(try standIn.calls().requests("auth-method-update-aws-iam") == 1)
        #expect(try database.akeylessRecords()["100000000001"]?.accessID == foreign.accessID)

        // A destroy of two accounts unbinds just them, in one write; the foreign account stays.
        try standIn.resetCalls()
        let records = try database.akeylessRecords()
        let failures = await AkeylessRelease(api: api, database: database)
            .release([records["100000000001"]!, records["100000000002"]!])
        #expect(failures.isEmpty)
        let after = try standIn.state()
        #expect(after.authMethod("/fleetform/aws-gateways")?.boundAWSAccountIDs
            == ["999999999999", "100000000003", "100000000004", "100000000005"])
        #expect(after.target("/fleetform/aws/100000000001") == nil)
        #expect(after.target("/fleetform/aws/100000000003") != nil)
        #expect(try standIn.calls().requests("auth-method-update-aws-iam") == 1)
        #expect(try database.akeylessRecords().keys.sorted() == ["100000000003", "100000000004", "100000000005"])
    }

    @Test func aMethodBindingAccountsWithoutRoleNamesIsNotNarrowed() async throws {
        defer { standIn.stop() }
        let api = try api()
        _ = try await api.createAWSIAMAuthMethod(AkeylessAWSIAMAuthMethodSpec(
            name: "/fleetform/aws-gateways", boundAWSAccountIDs: ["999999999999"]))
        let report = try await sync(api: api)
        #expect(report.failed == 5)
        guard case .failed(let error) = report.accounts[0].outcome else { Issue.record("not failed"); return }
        #expect(error.contains("binds 1 accounts with any role name"))
        #expect(try standIn.state().authMethod("/fleetform/aws-gateways")?.boundRoleNames == [])
        #expect(try database.akeylessRecords()["100000000001"]?.status == .failed)
    }

    @Test func oneMethodPerAccount() async throws {
        defer { standIn.stop() }
        let report = try await sync(.init(authMethod: "/gw", layout: .perAccount))
        #expect(report.failed == 0)
        let state = try standIn.state()
        #expect(state.authMethods.count == 5)
        let method = try #require(state.authMethod("/gw/100000000002"))
        #expect(method.boundAWSAccountIDs == ["100000000002"])
        #expect(method.boundRoleNames == ["akeyless-gateway"])
        let records = try database.akeylessRecords()
        #expect(records["100000000002"]?.accessID == method.accessID)
        #expect(Set(records.values.compactMap(\.accessID)).count == 5)

        let failures = await AkeylessRelease(api: try api(), database: database).release([records["100000000002"]!])
        #expect(failures.isEmpty)
        #expect(try standIn.state().authMethod("/gw/100000000002") == nil)
        #expect(try standIn.state().authMethods.count == 4)
    }

    @Test func releasingTheLastAccountDeletesTheSharedMethod() async throws {
        defer { standIn.stop() }
        _ = try await sync()
        let failures = await AkeylessRelease(api: try api(), database: database)
            .release(Array(try database.akeylessRecords().values))
        #expect(failures.isEmpty)
        let state = try standIn.state()
        #expect(state.targets.isEmpty)
        #expect(state.authMethods.isEmpty)
        #expect(try database.akeylessRecords().isEmpty)
    }

    @Test func verifyFindsWhatChangedAndTheNextSyncRepairsIt() async throws {
        defer { standIn.stop() }
        _ = try await sync()
        try standIn.deleteTarget("/fleetform/aws/100000000002")
        let verifier = AkeylessVerifier(api: try api(), database: database)
        let outcomes = try await verifier.verify(try database.onboardedAccounts(includeDrifted: true))
        #expect(outcomes.count == 5)
        #expect(outcomes.first { $0.accountID == "100000000002" }?.finding
            == .drifted("target /fleetform/aws/100000000002 is missing"))
        #expect(outcomes.filter { $0.finding == .asRecorded }.count == 4)
        let drifted = try #require(try database.accountStandings().first { $0.accountID == "100000000002" })
        #expect(drifted.status == .drifted)
        #expect(drifted.error == "akeyless: target /fleetform/aws/100000000002 is missing")
        #expect(drifted.akeyless?.status == .drifted)
        // IAM verify finding the role right does not clear an Akeyless drift.
        try database.markVerified(accountID: "100000000002")
        #expect(try database.accountStandings().first { $0.accountID == "100000000002" }?.status == .drifted)

        try standIn.resetCalls()
        let repair = try await sync()
        #expect(repair.count(target: .created) == 1)
        #expect(repair.writes == 1)
        let repaired = try #require(try database.accountStandings().first { $0.accountID == "100000000002" })
        #expect(repaired.status == .succeeded)
        #expect(repaired.error == nil)
        #expect(repaired.akeyless?.status == .synced)
    }

    @Test func injectedThrottlingChangesNothingInTheEnd() async throws {
        defer { standIn.stop() }
        var configuration = standIn.configuration
        configuration.faultPercent = 20
        configuration.seed = 7
        try standIn.setConfiguration(configuration)
        let report = try await sync()
        #expect(report.failed == 0, "\(report.accounts)")
        #expect(try standIn.calls().injected > 0)
        let state = try standIn.state()
        #expect(state.targets.count == 5)
        #expect(state.authMethods.count == 1)
        #expect(state.authMethod("/fleetform/aws-gateways")?.boundAWSAccountIDs.sorted() == ids)
        #expect(try database.akeylessRecords().values.allSatisfy { $0.status == .synced })
    }

    @Test func failuresPastTheToleranceLeaveTheRestNotStarted() async throws {
        defer { standIn.stop() }
        let api = try api(retry: RetryPolicy(maximumAttempts: 1, base: .milliseconds(1), cap: .milliseconds(1)),
                          concurrency: 1)
        try await api.authenticate()
        var configuration = standIn.configuration
        configuration.faultPercent = 100
        configuration.faultStatuses = [500]
        try standIn.setConfiguration(configuration)
        let report = try await sync(api: api, tolerance: .count(1))
        #expect(report.failed == 5)
        let failed = report.accounts.filter { if case .failed = $0.outcome { true } else { false } }
        let notStarted = report.accounts.filter { if case .notStarted = $0.outcome { true } else { false } }
        #expect(failed.count == 2)
        #expect(notStarted.count == 3)
        let records = try database.akeylessRecords()
        #expect(records.values.allSatisfy { $0.status == .failed })
        #expect(records[notStarted[0].accountID]?.error?.hasPrefix("not synced: failure tolerance exceeded") == true)
        #expect(try database.akeylessRetryCandidates().count == 5)
    }

    @Test func aNewPlacementReleasesTheOldItemsFirst() async throws {
        defer { standIn.stop() }
        _ = try await sync(.init(targetPrefix: "/old", authMethod: "/old-gateways"))
        let report = try await sync(.init(targetPrefix: "/new", authMethod: "/new-gateways"))
        #expect(report.failed == 0)
        let state = try standIn.state()
        #expect(state.targets.map(\.name).sorted() == ids.map { "/new/\($0)" })
        #expect(state.authMethods.map(\.name) == ["/new-gateways"])
        #expect(try database.akeylessRecords()["100000000001"]?.target == "/new/100000000001")
    }

    @Test func accountsSyncedWithAnotherAPIAreRefusedThere() async throws {
        defer { standIn.stop() }
        _ = try await sync()
        let other = try AkeylessStandIn.start(configuration: standIn.configuration)
        defer { other.stop() }
        let api = AkeylessAPI(
            endpoint: try AkeylessEndpoint(other.url),
            login: .accessKey(accessID: other.configuration.accessID, accessKey: AkeylessSecret(other.configuration.accessKey)))
        let report = try await sync(api: api)
        #expect(report.failed == 5)
        guard case .failed(let error) = report.accounts[0].outcome else { Issue.record("not refused"); return }
        #expect(error.hasPrefix("synced with the Akeyless API \(standIn.url); pass --akeyless-url \(standIn.url)"), "\(error)")
        #expect(try other.state().targets.isEmpty)
        // The record still points where the items are.
        #expect(try database.akeylessRecords()["100000000001"]?.apiURL == standIn.url)
        #expect(try database.akeylessRecords()["100000000001"]?.accessID != nil)
    }

    @Test func aReleaseLeavesItemsSomeoneElseMade() async throws {
        defer { standIn.stop() }
        let api = try api()
        try await api.createAWSTarget(AkeylessAWSTargetSpec(name: "/fleetform/aws/100000000001", region: "us-east-1",
                                                            description: "made by hand"))
        let record = AkeylessRecord(
            accountID: "100000000001", status: .failed, apiURL: standIn.url, target: "/fleetform/aws/100000000001",
            authMethod: "/fleetform/aws-gateways", layout: .shared, updatedAt: "2026-12-03T00:00:00Z")
        let failures = await AkeylessRelease(api: api, database: database).release([record])
        #expect(failures.isEmpty)
        #expect(try standIn.state().target("/fleetform/aws/100000000001")?.description == "made by hand")
    }
}
