import Foundation

/// How a run goes about its jobs.
public struct OnboardingOptions: Sendable {
    /// At most this many terraform processes at once.
    public var parallel: Int
    /// Failures the run accepts before it stops starting jobs; nil attempts every account.
    public var failureTolerance: FailureTolerance?
    /// Attempts per job when failures are transient (throttling, lock contention).
    public var maxAttempts: Int
    /// Run accounts whose last apply already used the same configuration.
    public var force: Bool
    /// First delay before retrying a transient failure; doubled each attempt, with jitter.
    public var retryBaseDelay: Duration
    /// Longest delay between attempts.
    public var retryMaximumDelay: Duration
    /// Pass `TF_LOG*` through to terraform instead of blanking it.
    public var terraformDebugLog: Bool
    /// How long a job waits for a terraform that a killed fleetform left running on its
    /// account before it fails with a clear error instead of waiting on.
    public var survivorTimeout: Duration

    public init(
        parallel: Int, failureTolerance: FailureTolerance? = nil, maxAttempts: Int = 3, force: Bool = false,
        retryBaseDelay: Duration = .seconds(5), retryMaximumDelay: Duration = .seconds(60),
        terraformDebugLog: Bool = false, survivorTimeout: Duration = .seconds(600)
    ) {
        self.parallel = parallel
        self.failureTolerance = failureTolerance
        self.maxAttempts = maxAttempts
        self.force = force
        self.retryBaseDelay = retryBaseDelay
        self.retryMaximumDelay = retryMaximumDelay
        self.terraformDebugLog = terraformDebugLog
        self.survivorTimeout = survivorTimeout
    }
}

/// CloudFormation StackSets' failure tolerance: the number of failed accounts a run
/// accepts. Once failures exceed it, no new job starts.
public enum FailureTolerance: Sendable, Equatable, CustomStringConvertible {
    case count(Int)
    /// A percentage of the accounts the run attempts, rounded down.
    case percent(Int)

    /// Parses `3` or `10%`.
    public init?(_ text: String) {
        if text.hasSuffix("%") {
            guard let value = Int(text.dropLast()), (0...100).contains(value) else { return nil }
            self = .percent(value)
        } else {
            guard let value = Int(text), value >= 0 else { return nil }
            self = .count(value)
        }
    }

    /// The number of failures accepted among `total` accounts.
    public func allowedFailures(of total: Int) -> Int {
        switch self {
        case .count(let count): count
        case .percent(let percent): total * percent / 100
        }
    }

    public var description: String {
        switch self {
        case .count(let count): "\(count)"
        case .percent(let percent): "\(percent)%"
        }
    }
}

/// How many terraform processes to run at once.
public enum ParallelismPolicy {
    /// Memory one terraform with the aws provider takes at its peak (terraform plus
    /// provider, measured on this provider version: 600–820 MB).
    public static let bytesPerTerraform: UInt64 = 800 * 1024 * 1024

    public struct Decision: Sendable, Equatable {
        public var parallel: Int
        /// Set when memory lowered the number, for the user to read.
        public var notice: String?
    }

    /// `requested`, or cores × 2 by default, lowered to what available memory holds.
    public static func decide(requested: Int?, cores: Int, availableMemory: UInt64?) -> Decision {
        let wanted = max(requested ?? cores * 2, 1)
        guard let availableMemory else { return Decision(parallel: wanted, notice: nil) }
        let fits = max(Int(availableMemory / bytesPerTerraform), 1)
        guard fits < wanted else { return Decision(parallel: wanted, notice: nil) }
        let gigabytes = String(format: "%.1f", Double(availableMemory) / 1_073_741_824)
        let source = requested == nil ? "the default of \(wanted) (2 per core)" : "--parallel \(wanted)"
        return Decision(
            parallel: fits,
            notice: "running \(fits) terraform at a time instead of \(source): \(gigabytes) GiB of memory is available and each terraform with the aws provider needs about 800 MB")
    }

    /// `MemAvailable` from /proc/meminfo, nil where there is no such file.
    public static func availableMemory() -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let digits = line.split(separator: " ").dropFirst().first.flatMap { UInt64($0) }
            return digits.map { $0 * 1024 }
        }
        return nil
    }
}
