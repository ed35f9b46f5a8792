import Synchronization

/// The retries one command may still make, shared by all its calls.
///
/// `maximumAttempts` bounds one call; this bounds the command. A 16-way preflight
/// against an endpoint that throttles or times out everything would otherwise retry
/// each of 500 accounts ten times. Each retry is charged the time the failed attempt
/// took plus the pause before the next one; once `total` is spent, failures are final
/// (the error says so) and calls that succeed are unaffected.
public final class RetryBudget: Sendable {
    /// Five minutes of failed attempts and pauses per command.
    public static let defaultTotal: Duration = .seconds(300)

    public let total: Duration
    private let spent = Mutex(Duration.zero)

    public init(total: Duration = defaultTotal) {
        self.total = total
    }

    /// Charges one retry; false when the budget is used up and the retry must not happen.
    func charge(_ cost: Duration) -> Bool {
        spent.withLock { spent in
            guard spent < total else { return false }
            spent += cost
            return true
        }
    }

    var isUsedUp: Bool { spent.withLock { $0 >= total } }

    /// The note a final error carries when the budget stopped its retries.
    var exhaustedNote: String {
        "not retried: this command's retry budget (\(total.secondsText) of failed attempts and pauses) is used up"
    }
}
