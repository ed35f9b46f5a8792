import Foundation
import Inventory
import Synchronization
import Testing
import TestSupport
@testable import Onboarding

/// `--canary N` in the scheduler: the canary runs first, the rest only after every
/// canary succeeded, and what did not run says why.
extension SchedulerTests {
    /// Root/A holds 3 accounts, Root/B 1, Root/C 2; the IDs' second-last digit says which.
    private func accountsInThreeOUs() throws -> [String] {
        let layout = [("Root/A", ["300000000011", "300000000012", "300000000013"]), ("Root/B", ["300000000021"]),
                      ("Root/C", ["300000000031", "300000000032"])]
        _ = try database.importAccounts(
            layout.flatMap { ou, ids in
                ids.map { AccountSpec(accountID: $0, name: "acct-\($0.suffix(2))", ouPath: ou, region: "us-east-1") }
            }, source: .file, origin: "test", prune: false)
        return layout.flatMap(\.1)
    }

    @Test func aFailedCanarySkipsTheRestWithoutStartingThem() async throws {
        let ids = try accountsInThreeOUs()
        try control.fail("300000000021")
        let (report, events) = try await run(ids: ids, parallel: 4, canary: 2)
        // One account of Root/A and the one of Root/B; only they started terraform.
        #expect(report.canary == ["300000000011", "300000000021"])
        #expect(Set(control.executions().map(\.account)) == ["300000000011", "300000000021"])
        #expect(report.outcome == .failed)
        #expect(report.jobs.first { $0.accountID == "300000000011" }?.status == .succeeded)
        #expect(report.jobs.first { $0.accountID == "300000000021" }?.status == .failed)
        let rest = report.jobs.filter { !report.canary.contains($0.accountID) }
        #expect(rest.map(\.accountID) == ["300000000012", "300000000013", "300000000031", "300000000032"])
        #expect(rest.allSatisfy { $0.status == .skipped && $0.skipReason == .canaryFailed(accounts: ["300000000021"]) })
        #expect(events.contains { if case .canaryFinished(["300000000021"], 4) = $0 { true } else { false } })
        // Recorded: which jobs were the canary, and why the others did not run.
        let jobs = try database.jobs(runID: report.runID)
        #expect(jobs.filter(\.canary).map(\.accountID) == ["300000000011", "300000000021"])
        #expect(jobs.filter { $0.status == .skipped }.allSatisfy { $0.skipReason == .canaryFailed(accounts: ["300000000021"]) })
        #expect(try database.runSummaries().first?.canary == ["300000000011", "300000000021"])
        for id in rest.map(\.accountID) {
            #expect(!FileManager.default.fileExists(atPath: layout.stateFile(accountID: id).path))
        }
    }

    /// Up-to-date accounts are no canary (they would prove nothing); the canary ends
    /// before the rest starts, and the rest then runs.
    @Test func theCanaryIsChosenAmongAccountsWithWorkAndRunsBeforeTheRest() async throws {
        let ids = try accountsInThreeOUs()
        _ = try await run(ids: ["300000000011", "300000000021"])
        let (report, events) = try await run(ids: ids, parallel: 4, canary: 3)
        #expect(report.outcome == .succeeded)
        #expect(report.canary == ["300000000012", "300000000013", "300000000031"])
        #expect(report.jobs.filter { $0.skipReason == .upToDate }.map(\.accountID) == ["300000000011", "300000000021"])
        #expect(report.count(.succeeded) == 4)
        let runs = control.executions().filter { !["300000000011", "300000000021"].contains($0.account) }
        let lastCanaryEnd = runs.filter { report.canary.contains($0.account) }.compactMap(\.end).max() ?? .infinity
        let rest = try #require(runs.first { $0.account == "300000000032" })
        #expect(rest.start >= lastCanaryEnd, "the rest started before the canary ended")
        let chosen = events.compactMap { event -> ([String], Int)? in
            if case .canaryChosen(let accounts, let others) = event { (accounts.map(\.accountID), others) } else { nil }
        }
        #expect(chosen.count == 1)
        #expect(chosen.first?.0 == report.canary && chosen.first?.1 == 1)
    }

    /// A canary as large as the work is the whole run: one phase, nothing waits.
    @Test func aCanaryLargerThanTheWorkIsTheWholeRun() async throws {
        let ids = try accounts(2)
        try control.fail(ids[0])
        let (report, events) = try await run(ids: ids, canary: 5)
        #expect(report.canary == ids)
        #expect(report.jobs.map(\.status) == [.failed, .succeeded])
        #expect(!events.contains { if case .canaryFinished = $0 { true } else { false } })
    }

    /// Ctrl-C during the canary is an interruption like any other: nothing else starts.
    @Test func aStopDuringTheCanaryInterruptsTheRest() async throws {
        let ids = try accountsInThreeOUs()
        try control.sleepAll(seconds: 30)
        let stop = StopController()
        let control = self.control
        let stopper = Task.detached {
            _ = control.waitForStarts(1)
            stop.requestStop()
        }
        let (report, _) = try await run(ids: ids, canary: 1, stop: stop)
        await stopper.value
        #expect(report.outcome == .interrupted)
        #expect(report.count(.interrupted) == 6)
        #expect(control.executions().map(\.account) == ["300000000011"])
    }

    /// A destroy releases its accounts from Akeyless only in its own phase: after a failed
    /// canary the rest, and the accounts with no state, are still registered.
    @Test func aDestroyReleasesOnlyWhatItsPhaseDestroys() async throws {
        let ids = try accountsInThreeOUs()
        let withState = ids.filter { $0 != "300000000032" }
        _ = try await run(ids: withState)
        // The fixture's destroy runs no provisioner: an unreadable state fails it.
        try Data("not a state".utf8).write(to: layout.stateFile(accountID: "300000000021"))
        let released = Mutex<[String]>([])
        let (report, _) = try await run(.destroy, ids: ids, canary: 2, release: { accounts in
            released.withLock { $0 += accounts.map(\.accountID) }
            return [:]
        })
        #expect(report.canary == ["300000000011", "300000000021"])
        #expect(released.withLock { $0 } == ["300000000011", "300000000021"])
        #expect(report.outcome == .failed)
        let skipped = report.jobs.filter { $0.status == .skipped }
        #expect(skipped.map(\.accountID) == ["300000000012", "300000000013", "300000000031", "300000000032"])
        #expect(skipped.allSatisfy { $0.skipReason == .canaryFailed(accounts: ["300000000021"]) })
    }
}
