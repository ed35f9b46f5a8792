/// The commands that create runs.
public enum RunCommand: String, Sendable, Codable, CaseIterable {
    case apply
    case plan
    case retry
    case destroy
}

/// What a job does to its account.
public enum JobOperation: String, Sendable, Codable, CaseIterable {
    case apply
    case plan
    case destroy
}

/// A job's lifecycle: `pending → running → succeeded | failed | interrupted`, or `skipped`.
public enum JobStatus: String, Sendable, Codable, CaseIterable {
    case pending
    case running
    case succeeded
    case failed
    case interrupted
    case skipped
}

/// How a run ended as a whole.
public enum RunOutcome: String, Sendable, Codable {
    case succeeded
    case failed
    case interrupted
}

/// Why a job did not run. Stored in `jobs.skip_reason` as its text, which is also what
/// people read in the progress output and in `logs`.
public enum SkipReason: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// Its last successful apply had the same configuration hash.
    case upToDate = "up to date"
    /// Failures had exceeded the run's tolerance before its turn.
    case toleranceExceeded = "failure tolerance exceeded"
    /// A destroy of an account that has no state.
    case nothingToDestroy = "nothing to destroy: no state"

    /// Whether a run with this skip did not do what was asked: an account left out
    /// because others failed is a failed run, one with nothing to do is not.
    public var failsTheRun: Bool {
        switch self {
        case .toleranceExceeded: true
        case .upToDate, .nothingToDestroy: false
        }
    }

    public var description: String { rawValue }
}
