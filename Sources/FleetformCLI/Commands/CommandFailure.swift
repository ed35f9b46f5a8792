import Onboarding
import Terraform

/// An error already phrased for the user: one or more lines for standard error, and the
/// exit code that tells a script what kind of failure it was.
struct CommandFailure: Error {
    var exitCode: Int32
    var lines: [String]

    init(exitCode: Int32, _ lines: String...) {
        self.exitCode = exitCode
        self.lines = lines
    }

    init(exitCode: Int32, lines: [String]) {
        self.exitCode = exitCode
        self.lines = lines
    }

    /// The one place a use case's failure becomes an exit code.
    init(_ failure: OnboardingFailure) {
        let code = switch failure.kind {
        case .usage: ExitStatus.usage
        case .noInput: ExitStatus.noInput
        case .invalidData: ExitStatus.invalidData
        case .failure: ExitStatus.failure
        }
        self.init(exitCode: code, failure.message)
    }
}

/// The exit codes in DESIGN.md (sysexits.h values where one fits).
enum ExitStatus {
    static let success: Int32 = 0
    /// One or more accounts failed, or an operation failed for a reason outside the input.
    static let failure: Int32 = 1
    static let usage: Int32 = 64
    /// The input file is not valid.
    static let invalidData: Int32 = 65
    /// The input file is missing or unreadable.
    static let noInput: Int32 = 66
    static let interrupted: Int32 = 130
    /// `plan --detailed-exitcode` with changes, as terraform's own
    /// (`PlanInvocation.hasChangesExitCode`).
    static let planHasChanges: Int32 = PlanInvocation.hasChangesExitCode
}
