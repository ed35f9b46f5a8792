import FleetformBasics

/// A job to create in a new run.
public struct PlannedJob: Sendable, Equatable {
    public var accountID: String
    public var operation: JobOperation
    public var template: String

    public init(accountID: String, operation: JobOperation, template: String) {
        self.accountID = accountID
        self.operation = operation
        self.template = template
    }
}

/// What a finished job produced.
public struct JobResult: Sendable, Equatable {
    public var status: JobStatus
    public var roleARN: String?
    public var policyARN: String?
    public var instanceProfileARN: String?
    /// What a plan found to change.
    public var planChanges: PlanChanges?
    /// The IAM objects the job took over with `--adopt` (a plan: would take over), by kind.
    public var adopted: [String]
    public var error: String?

    public init(status: JobStatus, roleARN: String? = nil, policyARN: String? = nil, instanceProfileARN: String? = nil,
                planChanges: PlanChanges? = nil, adopted: [String] = [], error: String? = nil) {
        self.adopted = adopted
        self.status = status
        self.roleARN = roleARN
        self.policyARN = policyARN
        self.instanceProfileARN = instanceProfileARN
        self.planChanges = planChanges
        self.error = error
    }
}

/// How a job's last attempt ended, recorded with its final status.
public struct LastAttempt: Sendable, Equatable {
    public var attempt: Int
    /// Nil when no terraform started in it.
    public var termination: ProcessTermination?
    public var transient: Bool

    public init(attempt: Int, termination: ProcessTermination?, transient: Bool) {
        self.attempt = attempt
        self.termination = termination
        self.transient = transient
    }
}
