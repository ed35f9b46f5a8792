import FleetformBasics
import Foundation

/// The store behind every use case: the accounts, runs, jobs, attempts, results,
/// Akeyless records and settings, and the run lock. Two implementations:
/// `SQLiteInventoryStore` (GRDB, the embedded default, `<home>/fleetform.sqlite`) and
/// `PostgresInventoryStore` (postgres-nio, team mode, `--database postgres://…`).
/// `StoreContractTests` runs the same tests against both.
///
/// Only this target knows SQL, GRDB or PostgresNIO: the use cases and the command line
/// see this protocol and the record types.
///
/// Every method is synchronous and `throws`, and every write is one transaction: an
/// import, a run's start with its jobs, a job's end with its account's standing either
/// happen whole or not at all. Synchronous on purpose: the use cases call the store from
/// async code, but a call is short (one transaction) and the scheduler's jobs spend their
/// time in terraform, not here. SQLite blocks on its file; the PostgreSQL store blocks on
/// an `EventLoopFuture` that a SwiftNIO event-loop thread completes, never on work that
/// needs a Swift-concurrency thread, so a blocked cooperative thread cannot starve the
/// thread that would unblock it (on 2 cores there are only 2 of them). An async protocol
/// would ripple `await` through every caller for no gain in throughput.
public protocol InventoryStore: JobQueueStore {
    /// Where the store is, for messages: a file path, or a PostgreSQL URL without its password.
    var location: String { get }

    /// The names of the migrations the store has applied, in order.
    func appliedMigrations() throws -> [String]

    // MARK: The inventory

    /// Upserts `accounts` in one transaction: new IDs are inserted, changed ones updated
    /// in place (their history stays attached), equal ones not written. With `prune`,
    /// enabled accounts missing from `accounts` are disabled, never deleted.
    func importAccounts(_ accounts: [AccountSpec], source: AccountSource, origin: String, prune: Bool, at date: Date)
        throws -> InventoryImportSummary
    /// Records a discovery in one transaction (see `SQLiteInventoryStore.importDiscoveredAccounts`).
    func importDiscoveredAccounts(_ accounts: [DiscoveredAccount], defaults: DiscoveryDefaults, origin: String,
                                  pruneUnder: [String]?, at date: Date) throws -> InventoryImportSummary
    /// Every account, enabled or not, by OU path, then name, then ID.
    func allAccounts() throws -> [AccountRecord]
    /// One account, enabled or not.
    func account(id: String) throws -> AccountRecord?
    /// The onboarding status of every enabled account, and of disabled accounts that
    /// still have a role, in the order of `allAccounts`.
    func accountStandings() throws -> [AccountStanding]
    /// `verify` found the role not as recorded.
    func markDrifted(accountID: String, reason: String, at date: Date) throws
    /// `verify` found a drifted role as recorded again.
    func markVerified(accountID: String, at date: Date) throws

    // MARK: Settings

    func recordedStateLocation() throws -> String?
    func recordStateLocationIfUnset(_ location: String, at date: Date) throws -> String
    func replaceStateLocation(_ location: String, at date: Date) throws

    // MARK: Runs and jobs

    /// Creates a run and its pending jobs, unless another live run holds the fleet;
    /// check and insert are one transaction that excludes another `startRun`.
    func startRun(runID: String, command: RunCommand, template: String, parallel: Int, jobs: [PlannedJob],
                  owner: ProcessIdentity, isAlive: (ProcessIdentity) -> Bool, at date: Date) throws -> [JobRecord]
    @discardableResult
    func finishRun(runID: String, outcome: RunOutcome, at date: Date) throws -> RunOutcome
    @discardableResult
    func recoverAbandonedRuns(isAlive: (ProcessIdentity) -> Bool, at date: Date) throws -> [AbandonedRun]
    func startAttempt(jobID: Int64, attempt: Int, configHash: String?, logPath: String, at date: Date) throws
    func recordTerraformPID(jobID: Int64, pid: Int32, startTime: UInt64?) throws
    func clearTerraformPID(jobID: Int64) throws
    func finishAttempt(jobID: Int64, _ attempt: LastAttempt, error: String?, at date: Date) throws
    func finishJob(jobID: Int64, result: JobResult, lastAttempt: LastAttempt?, started: Bool, terraformExited: Bool,
                   at date: Date) throws
    func skipJobs(_ jobIDs: [Int64], reason: SkipReason, at date: Date) throws
    func markCanary(_ jobIDs: [Int64]) throws

    func appliedConfigHashes() throws -> [String: String]
    func retryCandidates() throws -> [PlannedJob]
    func lastUsedTemplates() throws -> [String: String]
    func appliedTemplates() throws -> [String: String]
    func recordedTerraformPIDs(accountIDs: [String]) throws -> [String: RecordedTerraform]
    func runSummaries() throws -> [RunSummary]
    func jobs(runID: String) throws -> [JobRecord]
    func latestJob(accountID: String, runID: String?) throws -> JobRecord?
    func jobsWithLogs(accountID: String) throws -> [JobRecord]
    /// The run that is still open, for telling the user who holds the lock.
    func openRun() throws -> RunInProgress?

    // MARK: Akeyless

    func akeylessRecords() throws -> [String: AkeylessRecord]
    func recordAkeylessSynced(_ synced: [(accountID: String, placement: AkeylessPlacement, accessID: String)],
                              at date: Date) throws
    func recordAkeylessNotSynced(_ accounts: [(accountID: String, placement: AkeylessPlacement, error: String)],
                                 status: AkeylessSyncStatus, at date: Date) throws
    func markAkeylessDrifted(accountID: String, reason: String, readAt: String, at date: Date) throws
    func markAkeylessVerified(accountID: String, at date: Date) throws
    func removeAkeylessRecords(accountIDs: [String]) throws

    // MARK: The run lock

    /// Takes the run lock for a run command (one run at a time per fleet), or throws
    /// `RunInProgress` naming the run that holds it. `home` is where a file lock lives.
    func acquireRunLock(home: URL) throws -> RunLock
}

/// A terraform recorded by an earlier job: the job, and which process it was.
public struct RecordedTerraform: Sendable, Equatable {
    public var jobID: Int64
    public var runID: String
    public var process: ProcessIdentity

    public init(jobID: Int64, runID: String, process: ProcessIdentity) {
        self.jobID = jobID
        self.runID = runID
        self.process = process
    }
}

/// The prefix of an account's `account_state.error` when `verify --akeyless` made it
/// `drifted`: a sync that repairs the Akeyless side clears such a drift, never one
/// that IAM verify found.
public let akeylessDriftPrefix = "akeyless: "

// MARK: Defaults (a protocol requirement cannot have default arguments)

extension InventoryStore {
    public func importAccounts(_ accounts: [AccountSpec], source: AccountSource, origin: String, prune: Bool)
        throws -> InventoryImportSummary {
        try importAccounts(accounts, source: source, origin: origin, prune: prune, at: Date())
    }

    public func importDiscoveredAccounts(_ accounts: [DiscoveredAccount], defaults: DiscoveryDefaults, origin: String,
                                         pruneUnder: [String]?) throws -> InventoryImportSummary {
        try importDiscoveredAccounts(accounts, defaults: defaults, origin: origin, pruneUnder: pruneUnder, at: Date())
    }

    public func markDrifted(accountID: String, reason: String) throws {
        try markDrifted(accountID: accountID, reason: reason, at: Date())
    }

    public func markVerified(accountID: String) throws {
        try markVerified(accountID: accountID, at: Date())
    }

    public func recordStateLocationIfUnset(_ location: String) throws -> String {
        try recordStateLocationIfUnset(location, at: Date())
    }

    public func replaceStateLocation(_ location: String) throws {
        try replaceStateLocation(location, at: Date())
    }

    public func startRun(runID: String, command: RunCommand, template: String, parallel: Int, jobs: [PlannedJob],
                         owner: ProcessIdentity = .current, isAlive: (ProcessIdentity) -> Bool) throws -> [JobRecord] {
        try startRun(runID: runID, command: command, template: template, parallel: parallel, jobs: jobs, owner: owner,
                     isAlive: isAlive, at: Date())
    }

    public func startRun(runID: String, command: RunCommand, template: String, parallel: Int, jobs: [PlannedJob],
                         isAlive: (ProcessIdentity) -> Bool, at date: Date) throws -> [JobRecord] {
        try startRun(runID: runID, command: command, template: template, parallel: parallel, jobs: jobs, owner: .current,
                     isAlive: isAlive, at: date)
    }

    @discardableResult
    public func finishRun(runID: String, outcome: RunOutcome) throws -> RunOutcome {
        try finishRun(runID: runID, outcome: outcome, at: Date())
    }

    @discardableResult
    public func recoverAbandonedRuns(isAlive: (ProcessIdentity) -> Bool) throws -> [AbandonedRun] {
        try recoverAbandonedRuns(isAlive: isAlive, at: Date())
    }

    public func startAttempt(jobID: Int64, attempt: Int, configHash: String?, logPath: String) throws {
        try startAttempt(jobID: jobID, attempt: attempt, configHash: configHash, logPath: logPath, at: Date())
    }

    public func finishAttempt(jobID: Int64, _ attempt: LastAttempt, error: String?) throws {
        try finishAttempt(jobID: jobID, attempt, error: error, at: Date())
    }

    public func finishJob(jobID: Int64, result: JobResult, lastAttempt: LastAttempt? = nil, started: Bool = true,
                          terraformExited: Bool = false) throws {
        try finishJob(jobID: jobID, result: result, lastAttempt: lastAttempt, started: started,
                      terraformExited: terraformExited, at: Date())
    }

    public func skipJobs(_ jobIDs: [Int64], reason: SkipReason) throws {
        try skipJobs(jobIDs, reason: reason, at: Date())
    }

    public func latestJob(accountID: String) throws -> JobRecord? {
        try latestJob(accountID: accountID, runID: nil)
    }

    public func recordAkeylessSynced(_ synced: [(accountID: String, placement: AkeylessPlacement, accessID: String)])
        throws {
        try recordAkeylessSynced(synced, at: Date())
    }

    public func recordAkeylessNotSynced(_ accounts: [(accountID: String, placement: AkeylessPlacement, error: String)],
                                        status: AkeylessSyncStatus) throws {
        try recordAkeylessNotSynced(accounts, status: status, at: Date())
    }

    public func markAkeylessDrifted(accountID: String, reason: String, readAt: String) throws {
        try markAkeylessDrifted(accountID: accountID, reason: reason, readAt: readAt, at: Date())
    }

    public func markAkeylessVerified(accountID: String) throws {
        try markAkeylessVerified(accountID: accountID, at: Date())
    }
}

// MARK: What both stores derive the same way

extension InventoryStore {
    /// Accounts with a role fleetform created and has not destroyed, whatever happened
    /// to them since (a later failed or interrupted run leaves the role in place): what
    /// `verify` checks and, without the drifted ones, `export` lists.
    public func onboardedAccounts(includeDrifted: Bool) throws -> [(account: AccountRecord, standing: AccountStanding)] {
        let statuses = try accountStandings().filter {
            $0.roleARN != nil && $0.status != .destroyed && (includeDrifted || $0.status != .drifted)
        }
        let accounts = Dictionary(try allAccounts().map { ($0.accountID, $0) }, uniquingKeysWith: { a, _ in a })
        return statuses.compactMap { status in accounts[status.accountID].map { ($0, status) } }
    }

    /// Accounts whose last sync failed or which wait for it (`pending`): what `retry`
    /// syncs once their role is there.
    public func akeylessRetryCandidates() throws -> [AkeylessRecord] {
        try akeylessRecords().values
            .filter { $0.status == .failed || $0.status == .pending }
            .sorted { $0.accountID < $1.accountID }
    }

    /// Closes runs whose fleetform is gone, for commands that do not run terraform
    /// (`status`, `runs`, `verify`). They never touch the run lock: a reader holding it
    /// even for a moment would make an `apply` starting then fail. A run counts as over
    /// when its owner process is gone from this machine; runs of other machines stay.
    /// On a read-only home nothing can be recorded, and nothing is.
    @discardableResult
    public func recoverAbandonedRunsAsReader() -> [AbandonedRun] {
        (try? recoverAbandonedRuns(isAlive: RunOwnership.aliveForReader)) ?? []
    }
}
