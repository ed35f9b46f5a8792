/// Exponential backoff with full jitter and a cap (the AWS SDKs' "standard" mode):
/// each delay is random between zero and `min(cap, base × 2^attempt)`, so clients that
/// were throttled together do not come back together.
public struct RetryPolicy: Sendable {
    public var maximumAttempts: Int
    public var base: Duration
    public var cap: Duration
    /// The time one command (one `AWSSession`) may spend on retries in all, across every
    /// concurrent call: see `RetryBudget`.
    public var budget: Duration

    public init(
        maximumAttempts: Int = 10, base: Duration = .milliseconds(100), cap: Duration = .seconds(10),
        budget: Duration = RetryBudget.defaultTotal
    ) {
        self.maximumAttempts = maximumAttempts
        self.base = base
        self.cap = cap
        self.budget = budget
    }

    /// The pause before attempt `attempt + 1` (attempts count from 1).
    public func delay(afterAttempt attempt: Int) -> Duration {
        let ceiling = min(cap, base * (1 << min(attempt, 20)))
        return ceiling * Double.random(in: 0...1)
    }
}
