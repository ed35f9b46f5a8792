import FleetformBasics
import Foundation
import GRDB
import Testing
import TestSupport
@testable import Inventory

/// One store, as the use cases see it (`InventoryStore`), opened fresh for a test.
struct OpenedStore {
    var store: any InventoryStore
    /// The home a file lock lives in (SQLite's run lock); unused by PostgreSQL.
    var home: TemporaryDirectory
    /// Opens the same database again, as a second fleetform would.
    var reopen: () throws -> any InventoryStore
    /// Records a migration this binary does not know, as a newer fleetform would.
    var recordFutureMigration: () throws -> Void
}

/// The two implementations, for `@Test(arguments:)`.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    func open() throws -> OpenedStore {
        let home = try TemporaryDirectory("fleetform-store")
        switch self {
        case .sqlite:
            let path = home.url.appendingPathComponent("fleetform.sqlite").path
            return OpenedStore(
                store: try SQLiteInventoryStore(path: path), home: home,
                reopen: { try SQLiteInventoryStore(path: path) },
                recordFutureMigration: {
                    let queue = try DatabaseQueue(path: path)
                    try queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('9999_from_the_future')") }
                })
        case .postgres:
            let server = try PostgresServer.shared()
            let text = try server.freshDatabase("contract")
            let url = try PostgresURL(parsing: text)
            return OpenedStore(
                store: try PostgresInventoryStore(url: url), home: home,
                reopen: { try PostgresInventoryStore(url: url) },
                recordFutureMigration: {
                    try server.psql("INSERT INTO fleetform_migrations (name, applied_at) VALUES ('9999_from_the_future', 'x')",
                                    database: url.database)
                })
        }
    }
}

/// The store contract: the same tests against SQLite and PostgreSQL, so that every
/// command reads and writes the same on both.
@Suite struct StoreContractTests {
    private let alive: (ProcessIdentity) -> Bool = { _ in true }
    private let dead: (ProcessIdentity) -> Bool = { _ in false }
    private static let ids = ["000000000001", "000000000002", "000000000003"]

    private func date(_ seconds: TimeInterval) -> Date { Date(timeIntervalSince1970: 1_800_000_000 + seconds) }

    private func spec(_ id: String, name: String? = nil, ou: String = "Root/Workloads", enabled: Bool = true,
                      tags: [String: String] = [:]) -> AccountSpec {
        AccountSpec(accountID: id, name: name ?? "a\(id.suffix(1))", ouPath: ou, region: "us-east-1",
                    managementAccountID: "123456789012", tags: tags, enabled: enabled)
    }

    private func seeded(_ kind: StoreKind) throws -> OpenedStore {
        let opened = try kind.open()
        _ = try opened.store.importAccounts(Self.ids.map { spec($0) }, source: .file, origin: "test", prune: false,
                                            at: date(0))
        return opened
    }

    private func start(_ db: any InventoryStore, _ runID: String, _ command: RunCommand = .apply,
                       operation: JobOperation = .apply, accounts: [String] = ids, pid: Int32 = 4242,
                       isAlive: ((ProcessIdentity) -> Bool)? = nil) throws -> [JobRecord] {
        try db.startRun(runID: runID, command: command, template: "t", parallel: 2,
                        jobs: accounts.map { PlannedJob(accountID: $0, operation: operation, template: "t") },
                        owner: ProcessIdentity(host: ProcessProbe.hostName, pid: pid, startTime: 77),
                        isAlive: isAlive ?? alive, at: date(10))
    }

    private func standing(_ db: any InventoryStore, _ id: String) throws -> AccountStanding? {
        try db.accountStandings().first { $0.accountID == id }
    }

    // MARK: The inventory

    @Test(arguments: StoreKind.allCases)
    func importReimportAndPrune(kind: StoreKind) throws {
        let opened = try kind.open()
        defer { withExtendedLifetime(opened) {} }
        let db = opened.store
        let first = try db.importAccounts([spec("000000000001", tags: ["b": "2", "a": "1"]), spec("000000000002")],
                                          source: .file, origin: "f.json", prune: false, at: date(0))
        #expect(first == InventoryImportSummary(added: 2))
        #expect(try db.importAccounts([spec("000000000001", tags: ["a": "1", "b": "2"]), spec("000000000002")],
                                      source: .file, origin: "f.json", prune: false, at: date(30))
            == InventoryImportSummary(unchanged: 2))
        let summary = try db.importAccounts([spec("000000000001", name: "renamed"), spec("000000000003")],
                                            source: .file, origin: "f.json", prune: true, at: date(60))
        #expect(summary == InventoryImportSummary(added: 1, updated: 1, unchanged: 0, disabled: 1))
        let accounts = try db.allAccounts()
        // By OU path, then name ("a2", "a3", "renamed"), then ID.
        #expect(accounts.map(\.accountID) == ["000000000002", "000000000003", "000000000001"])
        let renamed = try #require(try db.account(id: "000000000001"))
        #expect(renamed.name == "renamed")
        #expect(renamed.tags == [:])
        #expect(renamed.createdAt == Timestamp.string(from: date(0)))
        #expect(renamed.updatedAt == Timestamp.string(from: date(60)))
        let pruned = try #require(try db.account(id: "000000000002"))
        #expect(pruned.enabled == false)
        #expect(pruned.disabledReason == .removed)
        #expect(try db.account(id: "999999999999") == nil)
        // Standings list enabled accounts only (the pruned one never ran).
        #expect(try db.accountStandings().map(\.accountID).sorted() == ["000000000001", "000000000003"])
        #expect(try db.accountStandings().allSatisfy { $0.status == .neverRun })
    }

    /// One invalid account rejects the whole import: nothing is half-written.
    @Test(arguments: StoreKind.allCases)
    func aFailedImportWritesNothing(kind: StoreKind) throws {
        let opened = try kind.open()
        defer { withExtendedLifetime(opened) {} }
        let db = opened.store
        #expect(throws: (any Error).self) {
            _ = try db.importAccounts([spec("000000000001"), spec("12")], source: .file, origin: "bad.json",
                                      prune: false, at: date(0))
        }
        #expect(try db.allAccounts().isEmpty)
        // The store is usable afterwards.
        #expect(try db.importAccounts([spec("000000000001")], source: .file, origin: "f", prune: false, at: date(1))
            == InventoryImportSummary(added: 1))
    }

    @Test(arguments: StoreKind.allCases)
    func discoveryUpdatesInPlaceAndNeverEnablesAUserDisabledAccount(kind: StoreKind) throws {
        let opened = try kind.open()
        defer { withExtendedLifetime(opened) {} }
        let db = opened.store
        _ = try db.importAccounts([spec("000000000001", enabled: false)], source: .file, origin: "f", prune: false,
                                  at: date(0))
        let defaults = DiscoveryDefaults(region: "eu-west-1", managementAccountID: "000000000009")
        let found = [
            DiscoveredAccount(accountID: "000000000001", name: "one", email: "1@x", ouPath: "Root/A", state: "ACTIVE",
                              enabled: true),
            DiscoveredAccount(accountID: "000000000002", name: "two", email: nil, ouPath: "Root/A/B", state: "SUSPENDED",
                              enabled: false, tags: ["team": "t"]),
            DiscoveredAccount(accountID: "000000000009", name: "mgmt", email: nil, ouPath: "Root", state: "ACTIVE",
                              enabled: false),
        ]
        let summary = try db.importDiscoveredAccounts(found, defaults: defaults, origin: "organizations", pruneUnder: nil,
                                                      at: date(10))
        #expect(summary == InventoryImportSummary(added: 2, updated: 1))
        let one = try #require(try db.account(id: "000000000001"))
        #expect(one.enabled == false)
        #expect(one.disabledReason == .user)
        #expect(one.ouPath == "Root/A")
        #expect(one.source == .organizations)
        let two = try #require(try db.account(id: "000000000002"))
        #expect(two.disabledReason == .suspended)
        #expect(two.region == "eu-west-1")
        #expect(two.accountTags == ["team": "t"])
        #expect(two.organizationState == "SUSPENDED")
        #expect(try db.account(id: "000000000009")?.disabledReason == .management)

        let again = try db.importDiscoveredAccounts(Array(found.prefix(1)) + [found[2]], defaults: defaults,
                                                    origin: "organizations", pruneUnder: ["Root/A"], at: date(20))
        // 000000000002 left Root/A but was already disabled: not counted again.
        #expect(again == InventoryImportSummary(unchanged: 2, disabled: 0))
        #expect(try db.account(id: "000000000002")?.accountTags == ["team": "t"])
    }

    // MARK: Runs and jobs

    @Test(arguments: StoreKind.allCases)
    func successRecordsARNsAndHashAndFailureKeepsThem(kind: StoreKind) throws {
        let opened = try seeded(kind)
        defer { withExtendedLifetime(opened) {} }
        let db = opened.store
        let jobs = try start(db, "r1", accounts: ["000000000001"])
        #expect(jobs.count == 1)
        #expect(jobs[0].status == .pending)
        try db.startAttempt(jobID: jobs[0].jobID, attempt: 1, configHash: "h1", logPath: "/l/1", at: date(11))
        #expect(try standing(db, "000000000001")?.status == .running)
        try db.recordTerraformPID(jobID: jobs[0].jobID, pid: 999, startTime: UInt64.max - 1)
        let recorded = try db.recordedTerraformPIDs(accountIDs: ["000000000001"])
        #expect(recorded["000000000001"]?.process.pid == 999)
        #expect(recorded["000000000001"]?.process.startTime == UInt64.max - 1)
        #expect(recorded["000000000001"]?.runID == "r1")
        try db.finishJob(jobID: jobs[0].jobID, result: JobResult(
            status: .succeeded, roleARN: "arn:role", policyARN: "arn:policy", instanceProfileARN: "arn:ip",
            adopted: ["role"]), lastAttempt: LastAttempt(attempt: 1, termination: .exited(0), transient: false),
            started: true, terraformExited: true, at: date(12))
        #expect(try db.recordedTerraformPIDs(accountIDs: ["000000000001"]).isEmpty)
        #expect(try db.finishRun(runID: "r1", outcome: .succeeded, at: date(13)) == .succeeded)
        let succeeded = try #require(try standing(db, "000000000001"))
        #expect(succeeded.status == .succeeded)
        #expect(succeeded.roleARN == "arn:role")
        #expect(succeeded.instanceProfileARN == "arn:ip")
        #expect(succeeded.lastRunID == "r1")
        #expect(succeeded.attempts == 1)
        #expect(succeeded.adopted == ["role"])
        #expect(succeeded.updatedAt == Timestamp.string(from: date(12)))
        #expect(try db.appliedConfigHashes() == ["000000000001": "h1"])
        #expect(try db.appliedTemplates() == ["000000000001": "t"])
        #expect(try db.lastUsedTemplates() == ["000000000001": "t"])

        let second = try start(db, "r2", accounts: ["000000000001"])
        try db.startAttempt(jobID: second[0].jobID, attempt: 1, configHash: "h2", logPath: "/l/2", at: date(20))
        try db.finishJob(jobID: second[0].jobID, result: JobResult(status: .failed, error: "AccessDenied: no"),
                         lastAttempt: nil, started: true, terraformExited: false, at: date(21))
        try db.finishRun(runID: "r2", outcome: .failed, at: date(22))
        let failed = try #require(try standing(db, "000000000001"))
        #expect(failed.status == .failed)
        #expect(failed.error == "AccessDenied: no")
        #expect(failed.roleARN == "arn:role")
        #expect(failed.adopted == ["role"])
        #expect(try db.appliedConfigHashes().isEmpty)
        #expect(try db.retryCandidates() == [PlannedJob(accountID: "000000000001", operation: .apply, template: "t")])
        #expect(try db.latestJob(accountID: "000000000001", runID: nil)?.runID == "r2")
        #expect(try db.latestJob(accountID: "000000000001", runID: "r1")?.roleARN == "arn:role")
        #expect(try db.jobsWithLogs(accountID: "000000000001").map(\.logPath) == ["/l/2", "/l/1"])
        let summaries = try db.runSummaries()
        #expect(summaries.map(\.runID) == ["r2", "r1"])
        #expect(summaries.map(\.failed) == [1, 0])
        #expect(summaries.map(\.succeeded) == [0, 1])
        #expect(summaries[1].outcome == .succeeded)
        #expect(summaries[1].finishedAt == Timestamp.string(from: date(13)))
        #expect(summaries[1].pid == 4242)
    }

    @Test(arguments: StoreKind.allCases)
    func plansChangeNothingDestroysClearTheRoleAndSkipsAndCanariesAreRecorded(kind: StoreKind) throws {
        let opened = try seeded(kind)
        defer { withExtendedLifetime(opened) {} }
        let db = opened.store
        let jobs = try start(db, "r1")
        try db.markCanary([jobs[0].jobID])
        try db.skipJobs([jobs[1].jobID, jobs[2].jobID], reason: .canaryFailed(accounts: ["000000000001"]), at: date(11))
        try db.startAttempt(jobID: jobs[0].jobID, attempt: 1, configHash: "h", logPath: "/l", at: date(11))
        try db.finishJob(jobID: jobs[0].jobID, result: JobResult(status: .succeeded, roleARN: "arn"), lastAttempt: nil,
                         started: true, terraformExited: false, at: date(12))
        try db.finishRun(runID: "r1", outcome: .succeeded, at: date(13))
        #expect(try db.runSummaries().first?.canary == ["000000000001"])
        #expect(try db.runSummaries().first?.skipped == 2)
        #expect(try db.latestJob(accountID: "000000000002", runID: "r1")?.skipReason
            == .canaryFailed(accounts: ["000000000001"]))
        #expect(try db.jobs(runID: "r1").map(\.canary) == [true, false, false])
        // A never-run account that was skipped shows as skipped.
        #expect(try standing(db, "000000000002")?.status == .skipped)

        let plan = try start(db, "r2", .plan, operation: .plan, accounts: ["000000000001"])
        try db.startAttempt(jobID: plan[0].jobID, attempt: 1, configHash: nil, logPath: "/p", at: date(20))
        try db.finishJob(jobID: plan[0].jobID, result: JobResult(
            status: .succeeded, planChanges: PlanChanges(add: 1, change: 2, destroy: 3, imports: 4)), lastAttempt: nil,
            started: true, terraformExited: false, at: date(21))
        try db.finishRun(runID: "r2", outcome: .succeeded, at: date(22))
        #expect(try db.latestJob(accountID: "000000000001", runID: "r2")?.planChanges
            == PlanChanges(add: 1, change: 2, destroy: 3, imports: 4))
        #expect(try standing(db, "000000000001")?.lastRunID == "r1")

        let destroy = try start(db, "r3", .destroy, operation: .destroy, accounts: ["000000000001"])
        try db.startAttempt(jobID: destroy[0].jobID, attempt: 1, configHash: nil, logPath: "/d", at: date(30))
        try db.finishJob(jobID: destroy[0].jobID, result: JobResult(status: .succeeded), lastAttempt: nil, started: true,
                         terraformExited: false, at: date(31))
        try db.finishRun(runID: "r3", outcome: .succeeded, at: date(32))
        let destroyed = try #require(try standing(db, "000000000001"))
        #expect(destroyed.status == .destroyed)
        #expect(destroyed.roleARN == nil)
        #expect(try db.appliedTemplates().isEmpty)
        #expect(try db.lastUsedTemplates() == ["000000000001": "t"])
    }

    @Test(arguments: StoreKind.allCases)
    func aSecondRunIsRefusedAndUnfinishedJobsEndInterrupted(kind: StoreKind) throws {
        let opened = try seeded(kind)
        defer { withExtendedLifetime(opened) {} }
        let db = opened.store
        let jobs = try start(db, "r1")
        #expect(try db.openRun()?.runID == "r1")
        #expect(throws: RunInProgress.self) { _ = try start(db, "r2") }
        try db.startAttempt(jobID: jobs[0].jobID, attempt: 1, configHash: "h", logPath: "/l", at: date(11))
        try db.finishJob(jobID: jobs[0].jobID, result: JobResult(status: .succeeded, roleARN: "arn"), lastAttempt: nil,
                         started: true, terraformExited: false, at: date(12))
        // Two jobs never recorded an end: the run cannot be called a success.
        #expect(try db.finishRun(runID: "r1", outcome: .succeeded, at: date(13)) == .interrupted)
        #expect(try db.jobs(runID: "r1").map(\.status) == [.succeeded, .interrupted, .interrupted])
        #expect(try db.openRun() == nil)
        #expect(try db.retryCandidates().map(\.accountID) == ["000000000002", "000000000003"])
    }

    @Test(arguments: StoreKind.allCases)
    func abandonedRunsAreClosedAndTheirJobsInterrupted(kind: StoreKind) throws {
        let opened = try seeded(kind)
        defer { withExtendedLifetime(opened) {} }
        let db = opened.store
        let jobs = try start(db, "r1", pid: 31337)
        try db.startAttempt(jobID: jobs[0].jobID, attempt: 1, configHash: "h", logPath: "/l", at: date(11))
        #expect(try db.recoverAbandonedRuns(isAlive: alive, at: date(12)).isEmpty)
        let recovered = try db.recoverAbandonedRuns(isAlive: dead, at: date(13))
        #expect(recovered == [AbandonedRun(runID: "r1", interruptedJobs: 3)])
        let statuses = try db.jobs(runID: "r1")
        #expect(statuses.map(\.status) == [.interrupted, .interrupted, .interrupted])
        #expect(statuses[0].error == "fleetform (pid 31337) stopped before this job finished")
        #expect(statuses[1].error == "not started: fleetform (pid 31337) stopped first")
        #expect(try db.runSummaries().first?.outcome == .interrupted)
        #expect(try standing(db, "000000000001")?.status == .interrupted)
        // A run whose owner is gone does not block the next one.
        let next = try start(db, "r2", isAlive: dead)
        #expect(next.count == 3)
    }

    @Test(arguments: StoreKind.allCases)
    func attemptsAreRecordedAndRetriedAttemptsReplaceNothing(kind: StoreKind) throws {
        let opened = try seeded(kind)
        defer { withExtendedLifetime(opened) {} }
        let db = opened.store
        let jobs = try start(db, "r1", accounts: ["000000000001"])
        try db.startAttempt(jobID: jobs[0].jobID, attempt: 1, configHash: "h", logPath: "/l", at: date(11))
        try db.finishAttempt(jobID: jobs[0].jobID, LastAttempt(attempt: 1, termination: .exited(1), transient: true),
                             error: "Throttling", at: date(12))
        try db.startAttempt(jobID: jobs[0].jobID, attempt: 2, configHash: "h", logPath: "/l", at: date(13))
        try db.finishJob(jobID: jobs[0].jobID, result: JobResult(status: .succeeded, roleARN: "arn"),
                         lastAttempt: LastAttempt(attempt: 2, termination: .exited(0), transient: false), started: true,
                         terraformExited: false, at: date(14))
        try db.finishRun(runID: "r1", outcome: .succeeded, at: date(15))
        #expect(try db.latestJob(accountID: "000000000001", runID: nil)?.attempts == 2)
        #expect(try standing(db, "000000000001")?.attempts == 2)
        #expect(try db.jobs(runID: "r1").first?.startedAt == Timestamp.string(from: date(11)))
    }

    // MARK: Verification, Akeyless, settings

    @Test(arguments: StoreKind.allCases)
    func driftAndAkeylessRecords(kind: StoreKind) throws {
        let opened = try seeded(kind)
        defer { withExtendedLifetime(opened) {} }
        let db = opened.store
        let jobs = try start(db, "r1", accounts: ["000000000001", "000000000002"])
        for job in jobs {
            try db.startAttempt(jobID: job.jobID, attempt: 1, configHash: "h", logPath: "/l", at: date(11))
            try db.finishJob(jobID: job.jobID, result: JobResult(status: .succeeded, roleARN: "arn:\(job.accountID)"),
                             lastAttempt: nil, started: true, terraformExited: false, at: date(12))
        }
        try db.finishRun(runID: "r1", outcome: .succeeded, at: date(13))
        #expect(try db.onboardedAccounts(includeDrifted: false).map(\.account.accountID) == ["000000000001", "000000000002"])

        try db.markDrifted(accountID: "000000000001", reason: "trust policy differs", at: date(20))
        #expect(try standing(db, "000000000001")?.status == .drifted)
        #expect(try db.onboardedAccounts(includeDrifted: false).map(\.account.accountID) == ["000000000002"])
        try db.markVerified(accountID: "000000000001", at: date(21))
        #expect(try standing(db, "000000000001")?.status == .succeeded)

        let placement = AkeylessPlacement(apiURL: "https://api", target: "t", authMethod: "m", layout: .shared)
        try db.recordAkeylessSynced([("000000000001", placement, "p-123")], at: date(30))
        try db.recordAkeylessNotSynced([("000000000002", placement, "boom")], status: .failed, at: date(30))
        try db.recordAkeylessNotSynced([("000000000003", placement, "no role yet")], status: .pending, at: date(30))
        let records = try db.akeylessRecords()
        #expect(records["000000000001"]?.status == .synced)
        #expect(records["000000000001"]?.accessID == "p-123")
        #expect(records["000000000001"]?.syncedAt == Timestamp.string(from: date(30)))
        #expect(records["000000000002"]?.error == "boom")
        #expect(try db.akeylessRetryCandidates().map(\.accountID) == ["000000000002", "000000000003"])
        #expect(try standing(db, "000000000001")?.akeyless?.target == "t")

        // A failed sync after a good one keeps the names the good one used.
        let other = AkeylessPlacement(apiURL: "https://other", target: "t2", authMethod: "m2", layout: .perAccount)
        try db.recordAkeylessNotSynced([("000000000001", other, "later failure")], status: .failed, at: date(40))
        #expect(try db.akeylessRecords()["000000000001"]?.target == "t")
        #expect(try db.akeylessRecords()["000000000001"]?.status == .failed)

        try db.recordAkeylessSynced([("000000000001", placement, "p-123")], at: date(50))
        let readAt = Timestamp.string(from: date(50))
        try db.markAkeylessDrifted(accountID: "000000000001", reason: "target missing", readAt: "stale", at: date(51))
        #expect(try db.akeylessRecords()["000000000001"]?.status == .synced)
        try db.markAkeylessDrifted(accountID: "000000000001", reason: "target missing", readAt: readAt, at: date(52))
        #expect(try db.akeylessRecords()["000000000001"]?.status == .drifted)
        #expect(try standing(db, "000000000001")?.status == .drifted)
        #expect(try standing(db, "000000000001")?.error == akeylessDriftPrefix + "target missing")
        // IAM verify does not clear an Akeyless drift.
        try db.markVerified(accountID: "000000000001", at: date(53))
        #expect(try standing(db, "000000000001")?.status == .drifted)
        try db.markAkeylessVerified(accountID: "000000000001", at: date(54))
        #expect(try db.akeylessRecords()["000000000001"]?.status == .synced)
        #expect(try standing(db, "000000000001")?.status == .succeeded)

        try db.removeAkeylessRecords(accountIDs: ["000000000001", "000000000002"])
        #expect(Set(try db.akeylessRecords().keys) == ["000000000003"])
    }

    @Test(arguments: StoreKind.allCases)
    func theStateLocationIsRecordedOnce(kind: StoreKind) throws {
        let opened = try kind.open()
        defer { withExtendedLifetime(opened) {} }
        let db = opened.store
        #expect(try db.recordedStateLocation() == nil)
        #expect(try db.recordStateLocationIfUnset("s3://b/p?region=r", at: date(0)) == "s3://b/p?region=r")
        #expect(try db.recordStateLocationIfUnset("local", at: date(1)) == "s3://b/p?region=r")
        try db.replaceStateLocation("local", at: date(2))
        #expect(try db.recordedStateLocation() == "local")
    }

    // MARK: The run lock and the schema

    @Test(arguments: StoreKind.allCases)
    func theRunLockIsExclusiveNamesTheRunAndIsReleasedWithItsHolder(kind: StoreKind) throws {
        let opened = try seeded(kind)
        defer { withExtendedLifetime(opened) {} }
        let other = try opened.reopen()
        var first: RunLock? = try opened.store.acquireRunLock(home: opened.home.url)
        #expect(first != nil)
        #expect(throws: RunLockHeld.self) { _ = try other.acquireRunLock(home: opened.home.url) }
        _ = try start(opened.store, "r1")
        let refusal = #expect(throws: RunInProgress.self) { _ = try other.acquireRunLock(home: opened.home.url) }
        #expect(refusal?.runID == "r1")
        #expect(refusal?.description.contains("run r1 (apply") == true)
        first = nil
        let second = try other.acquireRunLock(home: opened.home.url)
        withExtendedLifetime(second) {}
        withExtendedLifetime(first) {}
    }

    @Test(arguments: StoreKind.allCases)
    func aNewerSchemaIsRefused(kind: StoreKind) throws {
        let opened = try kind.open()
        defer { withExtendedLifetime(opened) {} }
        #expect(try opened.store.appliedMigrations().isEmpty == false)
        try opened.recordFutureMigration()
        #expect {
            _ = try opened.reopen()
        } throws: { error in
            guard case .newerSchema(_, let migrations)? = error as? InventoryDatabaseError else { return false }
            return migrations == ["9999_from_the_future"]
        }
    }
}
