import FleetformBasics
import GRDB

/// The commands that create runs.
public enum RunCommand: String, Sendable, Codable, CaseIterable {
    case apply
    case plan
    case retry
    case destroy
}

/// What a job does to its account.
public enum JobOperation: String, Sendable, Codable, CaseIterable {
    case apply
    case plan
    case destroy
}

/// A job's lifecycle: `pending → running → succeeded | failed | interrupted`, or `skipped`.
public enum JobStatus: String, Sendable, Codable, CaseIterable {
    case pending
    case running
    case succeeded
    case failed
    case interrupted
    case skipped

    public var isFinal: Bool {
        switch self {
        case .pending, .running: false
        case .succeeded, .failed, .interrupted, .skipped: true
        }
    }
}

/// How a run ended as a whole.
public enum RunOutcome: String, Sendable, Codable {
    case succeeded
    case failed
    case interrupted
}

/// One row of `runs`, with its job counts.
public struct RunSummary: Sendable, Equatable {
    public var runID: String
    public var command: RunCommand
    public var template: String
    public var pid: Int32
    public var parallel: Int
    public var startedAt: String
    public var finishedAt: String?
    public var outcome: RunOutcome?
    public var selected: Int
    public var succeeded: Int
    public var failed: Int
    public var skipped: Int
    public var interrupted: Int
}

/// One row of `jobs`.
public struct JobRecord: Sendable, Equatable {
    public var jobID: Int64
    public var runID: String
    public var accountID: String
    public var operation: JobOperation
    public var template: String
    public var status: JobStatus
    public var skipReason: String?
    public var attempts: Int
    public var configHash: String?
    public var terraformPID: Int32?
    public var roleARN: String?
    public var policyARN: String?
    public var instanceProfileARN: String?
    public var planAdd: Int?
    public var planChange: Int?
    public var planDestroy: Int?
    public var error: String?
    public var logPath: String?
    public var startedAt: String?
    public var finishedAt: String?
}

/// What a finished job produced.
public struct JobResult: Sendable, Equatable {
    public var status: JobStatus
    public var roleARN: String?
    public var policyARN: String?
    public var instanceProfileARN: String?
    public var planChanges: (add: Int, change: Int, destroy: Int)?
    public var error: String?

    public init(status: JobStatus, roleARN: String? = nil, policyARN: String? = nil, instanceProfileARN: String? = nil,
                planChanges: (add: Int, change: Int, destroy: Int)? = nil, error: String? = nil) {
        self.status = status
        self.roleARN = roleARN
        self.policyARN = policyARN
        self.instanceProfileARN = instanceProfileARN
        self.planChanges = planChanges
        self.error = error
    }

    public static func == (lhs: JobResult, rhs: JobResult) -> Bool {
        lhs.status == rhs.status && lhs.roleARN == rhs.roleARN && lhs.policyARN == rhs.policyARN
            && lhs.instanceProfileARN == rhs.instanceProfileARN && lhs.error == rhs.error
            && lhs.planChanges?.add == rhs.planChanges?.add && lhs.planChanges?.change == rhs.planChanges?.change
            && lhs.planChanges?.destroy == rhs.planChanges?.destroy
    }
}

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

/// Another fleetform run is still going; only one may change the fleet at a time.
public struct RunInProgress: Error, Sendable, Equatable, CustomStringConvertible {
    public var runID: String
    public var command: RunCommand
    public var owner: ProcessIdentity
    public var startedAt: String

    public init(runID: String, command: RunCommand, owner: ProcessIdentity, startedAt: String) {
        self.runID = runID
        self.command = command
        self.owner = owner
        self.startedAt = startedAt
    }

    public var pid: Int32 { owner.pid }

    public var description: String {
        if let host = owner.host, host != ProcessProbe.hostName {
            return "run \(runID) (\(command.rawValue), started \(startedAt)) is held by fleetform pid \(owner.pid) on host \(host); a home must not be shared between machines: wait for it on \(host)"
        }
        return "run \(runID) (\(command.rawValue), pid \(owner.pid), started \(startedAt)) is still running; wait for it or stop it with Ctrl-C / kill -INT \(owner.pid)"
    }

    /// The fleetform that owns a `runs` row (`pid`, `host`, `pid_started`).
    static func owner(of row: Row) -> ProcessIdentity {
        let started: Int64? = row["pid_started"]
        return ProcessIdentity(host: row["host"], pid: row["pid"], startTime: started.map { UInt64(bitPattern: $0) })
    }

    init(row: Row) throws {
        let text: String = row["command"]
        guard let command = RunCommand(rawValue: text) else {
            throw InventoryRowError(table: "runs", key: row["run_id"], column: "command", value: text)
        }
        self.init(runID: row["run_id"], command: command, owner: Self.owner(of: row), startedAt: row["started_at"])
    }
}

/// Who may be taken for the owner of a run that is still open in the database.
public enum RunOwnership {
    /// For a command that holds the run lock: every run of this machine is over (its
    /// owner would hold the lock), a run of another machine cannot be judged from here.
    public static func aliveForLockHolder(_ owner: ProcessIdentity) -> Bool {
        if case .elsewhere = ProcessProbe.liveness(of: owner, trustPidAlone: true) { return true }
        return false
    }

    /// For a reader, which must not take the lock: a run is over only when its owner
    /// process is gone (or is another process with the same pid).
    public static func aliveForReader(_ owner: ProcessIdentity) -> Bool {
        ProcessProbe.liveness(of: owner, trustPidAlone: true) != .gone
    }
}

/// A run whose fleetform died (kill -9, power loss) and was closed by a later command.
public struct AbandonedRun: Sendable, Equatable {
    public var runID: String
    /// Jobs that were pending or running and are now `interrupted`.
    public var interruptedJobs: Int
}
