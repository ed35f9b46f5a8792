import FleetformBasics
import Inventory

/// What a run reports as it goes, for the command line to show. The scheduler never
/// prints: a progress line, a log or a test can all consume the same events.
public enum OnboardingEvent: Sendable {
    /// `apply --discover` read the organization and recorded it, before choosing the jobs.
    case inventoryDiscovered(InventoryDiscovery.Result)
    /// The run exists; `toRun` jobs will start terraform, `upToDate` were skipped.
    case runStarted(runID: String, command: RunCommand, selected: Int, toRun: Int, upToDate: Int, parallel: Int)
    /// `--canary`: these accounts (in the run's account order) start first; the `others`
    /// with work start only if all of them succeed.
    case canaryChosen(accounts: [AccountRecord], others: Int)
    /// The canary ended: `failed` (in the run's account order) did not succeed, so the
    /// `others` are skipped; none failed, so they start now.
    case canaryFinished(failed: [String], others: Int)
    /// The access roles of the accounts about to run were checked; `failed` cannot be entered.
    case preflightChecked(checked: Int, failed: Int)
    /// No preflight for these accounts: their template assumes no access role (it
    /// declares no `access_role_name` variable), so there is nothing to check.
    case preflightSkipped(accounts: Int, template: String)
    case jobStarted(accountID: String, attempt: Int)
    /// A transient failure that will be retried after `delay`.
    case attemptFailed(accountID: String, attempt: Int, error: String, delay: Duration)
    /// A terraform left by an earlier, killed run is still working on this account.
    case waitingForSurvivor(accountID: String, pid: Int32)
    /// A worker released the S3 state lock that the terraform of a worker known dead
    /// (its lease ran out) left behind, by the id that worker recorded.
    case staleStateLockReleased(accountID: String, lockID: String, who: String)
    case jobFinished(JobSummary)
    /// Failures exceeded the tolerance: no new job will start.
    case toleranceExceeded(failed: Int, allowed: Int)
    /// Something the user should know that changes nothing about the run's result.
    case notice(RunNotice)
    case runFinished(RunReport)
    /// `apply --akeyless` or `retry` goes on to sync this many accounts with Akeyless.
    case akeylessSyncStarted(accounts: Int)
    case akeylessAccountSynced(AkeylessSync.AccountOutcome)
    case akeylessSyncFinished(AkeylessSync.Report)
}

/// One job's end, as reported.
public struct JobSummary: Sendable, Equatable {
    public var accountID: String
    public var accountName: String
    public var operation: JobOperation
    public var status: JobStatus
    public var attempts: Int
    public var roleARN: String?
    /// What a plan found, or what an apply or destroy changed.
    public var changes: PlanChanges?
    /// The IAM objects `--adopt` took over (a plan: would take over), by kind.
    public var adopted: [String] = []
    public var error: String?
    public var skipReason: SkipReason?
    public var logPath: String?
}

/// The whole run, at its end.
public struct RunReport: Sendable, Equatable {
    public var runID: String
    public var command: RunCommand
    public var outcome: RunOutcome
    public var jobs: [JobSummary]
    public var elapsed: Duration
    /// The Akeyless sync that followed (`apply --akeyless`, a retry of accounts waiting for one).
    public var akeyless: AkeylessSync.Report?
    /// The accounts started first (`--canary`), in the run's account order; empty without.
    public var canary: [String] = []

    public func count(_ status: JobStatus) -> Int {
        jobs.count { $0.status == status }
    }

    /// Whether any plan of the run has changes: what `plan --detailed-exitcode` exits 2 for.
    public var hasChanges: Bool {
        command == .plan && jobs.contains { $0.changes?.hasChanges == true }
    }

    /// Every account was up to date (or had nothing to destroy) and nothing was synced:
    /// the run changed nothing and started no terraform. A scheduled run like that is
    /// not worth a message in a channel.
    public var startedNothing: Bool {
        akeyless == nil && jobs.allSatisfy { $0.status == .skipped && $0.skipReason?.failsTheRun == false }
    }
}

/// What a run tells the user on the way, beside its progress.
public enum RunNotice: Sendable, Equatable, CustomStringConvertible {
    /// An earlier run's fleetform is gone; its unfinished jobs are now interrupted.
    case abandonedRunClosed(AbandonedRun)
    /// The home is on NFS or similar, where its locks may not hold.
    case homeOnNetworkFileSystem(path: String, kind: String)
    /// Memory lowered the number of terraform processes at once.
    case parallelismLowered(String)
    /// A retry found accounts waiting for an Akeyless sync but no Akeyless credentials.
    case akeylessSyncWaiting(accounts: Int)
    /// A retry leaves accounts waiting for an Akeyless sync: they were synced elsewhere.
    case akeylessSyncSkipped(String)

    public var description: String {
        switch self {
        case .abandonedRunClosed(let run):
            "run \(run.runID) was cut off (its fleetform process is gone); \(run.interruptedJobs) unfinished jobs are now interrupted and `fleetform retry` will run them"
        case .homeOnNetworkFileSystem(let path, let kind):
            "warning: the home \(path) is on a network file system (\(kind)); a home must not be shared between machines, and its locks may not hold there"
        case .parallelismLowered(let notice): notice
        case .akeylessSyncSkipped(let why): "not syncing some accounts waiting for Akeyless: \(why)"
        case .akeylessSyncWaiting(let accounts):
            "\(accounts) accounts wait for an Akeyless sync; set AKEYLESS_ACCESS_ID (and AKEYLESS_ACCESS_KEY) and run `fleetform retry` or `fleetform akeyless sync`"
        }
    }
}
