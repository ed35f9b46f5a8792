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
/// people read in the progress output, in `logs` and in `--json` (`skip_reason`).
public enum SkipReason: Sendable, Hashable, RawRepresentable, Codable, CustomStringConvertible {
    /// Its last successful apply had the same configuration hash.
    case upToDate
    /// Failures had exceeded the run's tolerance before its turn.
    case toleranceExceeded
    /// A destroy of an account that has no state.
    case nothingToDestroy
    /// The run's canary (`--canary`) did not all succeed, so the rest did not start;
    /// these canary accounts failed. All of them are named, not the first few: a canary
    /// is a handful of accounts, and the user's next step is to look at each one.
    case canaryFailed(accounts: [String])

    private static let canaryFailedPrefix = "canary failed: "

    public init?(rawValue: String) {
        switch rawValue {
        case "up to date": self = .upToDate
        case "failure tolerance exceeded": self = .toleranceExceeded
        case "nothing to destroy: no state": self = .nothingToDestroy
        default:
            guard rawValue.hasPrefix(Self.canaryFailedPrefix) else { return nil }
            let accounts = rawValue.dropFirst(Self.canaryFailedPrefix.count).split(separator: ", ").map(String.init)
            guard !accounts.isEmpty else { return nil }
            self = .canaryFailed(accounts: accounts)
        }
    }

    public var rawValue: String {
        switch self {
        case .upToDate: "up to date"
        case .toleranceExceeded: "failure tolerance exceeded"
        case .nothingToDestroy: "nothing to destroy: no state"
        case .canaryFailed(let accounts): Self.canaryFailedPrefix + accounts.joined(separator: ", ")
        }
    }

    /// Whether a run with this skip did not do what was asked: an account left out
    /// because others failed is a failed run, one with nothing to do is not.
    public var failsTheRun: Bool {
        switch self {
        case .toleranceExceeded, .canaryFailed: true
        case .upToDate, .nothingToDestroy: false
        }
    }

    public var description: String { rawValue }
}
