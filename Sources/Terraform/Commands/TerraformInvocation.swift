/// One terraform command: a value with its options and a pure function from them to
/// the argument list, so every list is unit-tested without running terraform.
public protocol TerraformInvocation: Sendable {
    /// The arguments after `terraform`.
    var arguments: [String] { get }
    /// Whether the command prints machine-readable JSON lines (`-json`).
    var emitsJSON: Bool { get }
}

/// How long terraform waits for a state lock held by someone else before failing. Long
/// enough to ride out a survivor of a killed run finishing its own apply.
public let defaultLockTimeout = "60s"

/// `terraform version -json`.
public struct VersionInvocation: TerraformInvocation {
    public init() {}
    public var arguments: [String] { ["version", "-json"] }
    public var emitsJSON: Bool { true }
}

/// `terraform init`. It has no `-json` before Terraform 1.9, so its errors are read from text.
public struct InitInvocation: TerraformInvocation {
    public var lockTimeout = defaultLockTimeout

    public init() {}

    public var arguments: [String] { ["init", "-input=false", "-no-color", "-lock-timeout=\(lockTimeout)"] }
    public var emitsJSON: Bool { false }
}

/// `terraform plan`: exit code 2 means "has changes", not failure (`-detailed-exitcode`).
public struct PlanInvocation: TerraformInvocation {
    public var destroy = false
    public var lockTimeout = defaultLockTimeout

    public init(destroy: Bool = false) {
        self.destroy = destroy
    }

    public var arguments: [String] {
        var arguments = ["plan", "-input=false", "-no-color", "-json", "-detailed-exitcode", "-lock-timeout=\(lockTimeout)"]
        if destroy { arguments.append("-destroy") }
        return arguments
    }

    public var emitsJSON: Bool { true }
}

/// `terraform apply -auto-approve`; outputs come from its `outputs` event.
public struct ApplyInvocation: TerraformInvocation {
    public var lockTimeout = defaultLockTimeout

    public init() {}

    public var arguments: [String] {
        ["apply", "-auto-approve", "-input=false", "-no-color", "-json", "-lock-timeout=\(lockTimeout)"]
    }

    public var emitsJSON: Bool { true }
}

/// `terraform destroy -auto-approve`.
public struct DestroyInvocation: TerraformInvocation {
    public var lockTimeout = defaultLockTimeout

    public init() {}

    public var arguments: [String] {
        ["destroy", "-auto-approve", "-input=false", "-no-color", "-json", "-lock-timeout=\(lockTimeout)"]
    }

    public var emitsJSON: Bool { true }
}

/// `terraform output -json`: one JSON object of every output.
public struct OutputInvocation: TerraformInvocation {
    public init() {}
    public var arguments: [String] { ["output", "-json", "-no-color"] }
    public var emitsJSON: Bool { true }
}
