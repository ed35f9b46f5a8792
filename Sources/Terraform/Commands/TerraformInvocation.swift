import FleetformBasics

/// One terraform command: a value with its options and a pure function from them to
/// the argument list, so every list is unit-tested without running terraform.
public protocol TerraformInvocation: Sendable {
    /// The arguments after `terraform`.
    var arguments: [String] { get }
    /// Whether terraform ending this way did what was asked. Only `plan` differs from
    /// "exit 0": with `-detailed-exitcode` it exits 2 when it succeeded with changes.
    func succeeded(_ termination: ProcessTermination) -> Bool
}

extension TerraformInvocation {
    public func succeeded(_ termination: ProcessTermination) -> Bool { termination.succeeded }
}

/// How long terraform waits for a state lock held by someone else before failing. Long
/// enough to ride out a survivor of a killed run finishing its own apply.
public let defaultLockTimeout = "60s"

/// `terraform version -json`.
public struct VersionInvocation: TerraformInvocation {
    public init() {}
    public var arguments: [String] { ["version", "-json"] }
}

/// `terraform init`. It has no `-json` before Terraform 1.9, so its errors are read from text.
public struct InitInvocation: TerraformInvocation {
    /// What to do when the workspace was initialised with another backend than the one
    /// rendered now.
    public enum BackendChange: Sendable, Equatable {
        /// Refuse (terraform's default).
        case refuse
        /// `-reconfigure`: use the rendered backend, leave state where it is. Right for a
        /// run, whose backend is always the recorded location, where the state is: a
        /// workspace last initialised for another one (a `state migrate` that stopped part
        /// way) must follow the record, not carry its state anywhere.
        case reconfigure
        /// `-migrate-state -force-copy`: copy the state from the backend the workspace was
        /// initialised with to the rendered one, overwriting what is there without asking
        /// (`state migrate` verifies the copy afterwards).
        case migrate
    }

    public var lockTimeout = defaultLockTimeout
    public var backendChange: BackendChange

    public init(backendChange: BackendChange = .refuse) {
        self.backendChange = backendChange
    }

    public var arguments: [String] {
        let change: [String] = switch backendChange {
        case .refuse: []
        case .reconfigure: ["-reconfigure"]
        case .migrate: ["-migrate-state", "-force-copy"]
        }
        return ["init", "-input=false", "-no-color"] + change + ["-lock-timeout=\(lockTimeout)"]
    }
}

/// `terraform state pull`: the state as the backend has it, on standard output (nothing
/// when there is none). Read through the backend, so the same for a local file and S3.
public struct StatePullInvocation: TerraformInvocation {
    public init() {}

    public var arguments: [String] { ["state", "pull"] }
}

/// `terraform plan -detailed-exitcode`, as terraform-exec's `Plan` runs it: exit 0 is
/// "no changes", exit 2 is "succeeded with changes", anything else a failure. Which
/// changes there are is read from the plan's change summary, not from the exit code: a
/// Go runtime crash exits 2 as well.
public struct PlanInvocation: TerraformInvocation {
    /// The exit code of a successful plan that has changes.
    public static let hasChangesExitCode: Int32 = 2

    public var lockTimeout = defaultLockTimeout

    public init() {}

    public var arguments: [String] {
        ["plan", "-input=false", "-no-color", "-json", "-detailed-exitcode", "-lock-timeout=\(lockTimeout)"]
    }

    public func succeeded(_ termination: ProcessTermination) -> Bool {
        termination == .exited(0) || termination == .exited(Self.hasChangesExitCode)
    }
}

/// `terraform apply -auto-approve`; outputs come from its `outputs` event.
public struct ApplyInvocation: TerraformInvocation {
    public var lockTimeout = defaultLockTimeout

    public init() {}

    public var arguments: [String] {
        ["apply", "-auto-approve", "-input=false", "-no-color", "-json", "-lock-timeout=\(lockTimeout)"]
    }

}

/// `terraform destroy -auto-approve`.
public struct DestroyInvocation: TerraformInvocation {
    public var lockTimeout = defaultLockTimeout

    public init() {}

    public var arguments: [String] {
        ["destroy", "-auto-approve", "-input=false", "-no-color", "-json", "-lock-timeout=\(lockTimeout)"]
    }

}

/// `terraform force-unlock -force ID`: releases the state lock with that id, and no
/// other (terraform refuses when the lock's id differs). fleetform runs it only for a
/// lock its own terraform took under a job whose owner is known dead.
public struct ForceUnlockInvocation: TerraformInvocation {
    public var lockID: String

    public init(lockID: String) {
        self.lockID = lockID
    }

    public var arguments: [String] { ["force-unlock", "-force", lockID] }
}
