import Inventory
import Terraform

/// What a run reports as it goes, for the command line to show. The scheduler never
/// prints: a progress line, a log or a test can all consume the same events.
public enum OnboardingEvent: Sendable {
    /// The run exists; `toRun` jobs will start terraform, `upToDate` were skipped.
    case runStarted(runID: String, command: RunCommand, selected: Int, toRun: Int, upToDate: Int, parallel: Int)
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
    case jobFinished(JobSummary)
    /// Failures exceeded the tolerance: no new job will start.
    case toleranceExceeded(failed: Int, allowed: Int)
    case runFinished(RunReport)
}

/// One job's end, as reported.
public struct JobSummary: Sendable, Equatable {
    public var accountID: String
    public var accountName: String
    public var operation: JobOperation
    public var status: JobStatus
    public var attempts: Int
    public var roleARN: String?
    public var changes: TerraformReport.ChangeSummary?
    public var error: String?
    public var skipReason: String?
    public var logPath: String?
}

/// The whole run, at its end.
public struct RunReport: Sendable, Equatable {
    public var runID: String
    public var command: RunCommand
    public var outcome: RunOutcome
    public var jobs: [JobSummary]
    public var elapsed: Duration

    public func count(_ status: JobStatus) -> Int {
        jobs.count { $0.status == status }
    }
}
