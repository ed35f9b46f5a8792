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
    /// `--canary N`: run this many accounts first, spread over the OUs, and the others
    /// only if all of them succeed (see `RunPhases`); nil runs every account at once.
    public var canary: Int?

    public init(
        parallel: Int, failureTolerance: FailureTolerance? = nil, maxAttempts: Int = 3, force: Bool = false,
        retryBaseDelay: Duration = .seconds(5), retryMaximumDelay: Duration = .seconds(60),
        terraformDebugLog: Bool = false, survivorTimeout: Duration = .seconds(600), canary: Int? = nil
    ) {
        self.canary = canary
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
