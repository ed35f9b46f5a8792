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
