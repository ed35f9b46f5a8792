/// A use case that could not go on, phrased for the user, with the kind of failure that
/// picks the exit code (DESIGN.md): the command line maps `kind`, never the message.
public struct OnboardingFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// A flag or selection the user must change (exit 64).
        case usage
        /// An input file or directory that is missing (exit 66).
        case noInput
        /// An input that exists and is not valid (exit 65).
        case invalidData
        /// Anything else: AWS, terraform, another run holding the lock (exit 1).
        case failure
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// What a use case's step threw, as the user reads it: the errors whose kind is
    /// known keep it, everything else (the database, the file system) is a failure.
    public init(_ error: any Error) {
        switch error {
        case let failure as OnboardingFailure: self = failure
        case let selection as SelectionError: self.init(.usage, "\(selection)")
        default: self.init(.failure, "\(error)")
        }
    }
}
