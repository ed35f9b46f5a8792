/// How a child process ended. A non-zero exit is a result, not an error.
///
/// Stored as text in `job_attempts.termination` (`exit 2`, `signal 9`), so the text form
/// is part of the database format: `init?(storedText:)` reads back exactly what
/// `description` writes.
public enum ProcessTermination: Sendable, Equatable, Hashable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    public var succeeded: Bool { self == .exited(0) }

    public var description: String {
        switch self {
        case .exited(let code): "exit \(code)"
        case .signaled(let signal): "signal \(signal)"
        }
    }

    public init?(storedText text: String) {
        let parts = text.split(separator: " ")
        guard parts.count == 2, let number = Int32(parts[1]) else { return nil }
        switch parts[0] {
        case "exit": self = .exited(number)
        case "signal": self = .signaled(number)
        default: return nil
        }
    }
}
