import Foundation
import Inventory
import Terraform

/// The steps every run command takes before its first job, kept out of the command line
/// so they are reachable from tests: close abandoned runs, find and check terraform,
/// choose the jobs.
public enum RunPreparation {
    /// Finds terraform (`--terraform` or PATH), checks its version once, and builds the
    /// runner with the environment rules of DESIGN.md.
    public static func terraformRunner(
        explicitPath: String?, layout: HomeLayout, environment: [String: String], debugLog: Bool,
        gracePeriod: Duration = .seconds(60)
    ) async throws(TerraformError) -> (runner: TerraformRunner, version: TerraformVersion) {
        let executable = try TerraformLocator.locate(explicit: explicitPath, environment: environment)
        let overrides = TerraformEnvironment.overrides(
            inherited: environment, pluginCache: layout.pluginCache.path, debugLog: debugLog)
        if overrides["TF_PLUGIN_CACHE_DIR"] != nil {
            try? FileManager.default.createDirectory(at: layout.pluginCache, withIntermediateDirectories: true,
                                                     attributes: [.posixPermissions: 0o700])
        }
        let runner = TerraformRunner(executable: executable, environment: overrides, gracePeriod: gracePeriod)
        let version = try await runner.checkVersion()
        return (runner, version)
    }

    /// The jobs of an apply, plan or destroy: one per selected enabled account.
    public static func jobs(
        operation: JobOperation, selection: AccountSelection, template: String, database: InventoryDatabase
    ) throws -> [PlannedJob] {
        let accounts = try database.allAccounts()
        let selected = try selection.apply(to: accounts)
        guard !selected.isEmpty else { throw SelectionError.nothingSelected }
        return selected.map { PlannedJob(accountID: $0.accountID, operation: operation, template: template) }
    }

    /// Jobs whose account was last applied with another template. Applying a different
    /// template auto-approves destroying what the first one made, so the command line
    /// asks for `--switch-template` first.
    public static func templateSwitches(_ jobs: [PlannedJob], database: InventoryDatabase) throws -> [(job: PlannedJob, applied: String)] {
        let applied = try database.appliedTemplates()
        return jobs.compactMap { job in
            guard let previous = applied[job.accountID], previous != job.template else { return nil }
            return (job, previous)
        }
    }

    /// The jobs of a retry: accounts whose latest apply or destroy failed or was
    /// interrupted, each with the operation and template of that job, narrowed by the
    /// selection when one is given. Empty when there is nothing to retry.
    public static func retryJobs(selection: AccountSelection, database: InventoryDatabase) throws -> [PlannedJob] {
        let candidates = try database.retryCandidates()
        guard !selection.isEmpty else { return candidates }
        let selected = Set(try selection.apply(to: try database.allAccounts()).map(\.accountID))
        return candidates.filter { selected.contains($0.accountID) }
    }
}

extension StopController {
    /// The first Ctrl-C: stop starting jobs, ask running terraform to stop, and kill
    /// whatever still runs when `grace` has passed.
    public func beginGracefulStop(grace: Duration) -> Int {
        let signalled = requestStop()
        Task.detached { [self] in
            try? await Task.sleep(for: grace)
            killRunning()
        }
        return signalled
    }
}

extension InventoryDatabase {
    /// Closes runs whose fleetform is gone, for commands that do not run terraform
    /// (`status`, `runs`, `verify`). They never touch the run lock: a reader holding it
    /// even for a moment would make an `apply` starting then fail. A run counts as over
    /// when its owner process is gone from this machine; runs of other machines stay.
    /// On a read-only home nothing can be recorded, and nothing is.
    @discardableResult
    public func recoverAbandonedRunsAsReader() -> [AbandonedRun] {
        (try? recoverAbandonedRuns(isAlive: RunOwnership.aliveForReader)) ?? []
    }

    /// Takes the run lock for a run command, or says which run holds it.
    public func acquireRunLock(home: URL) throws -> RunLock {
        if let lock = try RunLock.acquire(directory: home) { return lock }
        if let other = try openRun() { throw other }
        throw RunLockHeld(path: home.appendingPathComponent("run.lock").path)
    }
}

/// Another fleetform holds the run lock but has not recorded its run yet.
public struct RunLockHeld: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var description: String { "another fleetform is starting a run (it holds \(path)); wait for it" }
}
