import Synchronization

/// Counts what a client sent (retries and logins included), so commands and benchmarks
/// can report what a sync cost.
public final class AkeylessCallCounter: Sendable {
    private let counts = Mutex([String: Int]())

    public init() {}

    /// HTTP requests sent, every operation and attempt.
    public var requests: Int { counts.withLock { $0.values.reduce(0, +) } }

    /// Requests sent for one operation (`auth`, `target-create-aws`).
    public func requests(_ operation: String) -> Int { counts.withLock { $0[operation] ?? 0 } }

    func record(_ operation: String) {
        counts.withLock { $0[operation, default: 0] += 1 }
    }
}
