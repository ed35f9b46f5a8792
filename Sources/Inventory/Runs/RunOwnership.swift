import FleetformBasics

/// Another fleetform run is still going; only one may change the fleet at a time.
public struct RunInProgress: Error, Sendable, Equatable, CustomStringConvertible {
    public var runID: String
    public var command: RunCommand
    public var owner: ProcessIdentity
    public var startedAt: String
    /// Whether the store is shared between machines by design (PostgreSQL), where a run
    /// held on another host is normal, not a misused home.
    public var sharedStore: Bool

    public init(runID: String, command: RunCommand, owner: ProcessIdentity, startedAt: String, sharedStore: Bool = false) {
        self.runID = runID
        self.command = command
        self.owner = owner
        self.startedAt = startedAt
        self.sharedStore = sharedStore
    }

    /// The same run, seen through a store that machines share.
    func shared() -> RunInProgress {
        var run = self
        run.sharedStore = true
        return run
    }

    init(run: RunRecord) {
        self.init(runID: run.runID, command: run.command, owner: run.owner, startedAt: run.startedAt)
    }

    public var pid: Int32 { owner.pid }

    public var description: String {
        if let host = owner.host, host != ProcessProbe.hostName {
            if sharedStore {
                return "run \(runID) (\(command.rawValue), started \(startedAt)) is held by fleetform pid \(owner.pid) on host \(host); wait for it, or stop it there with Ctrl-C / kill -INT \(owner.pid)"
            }
            return "run \(runID) (\(command.rawValue), started \(startedAt)) is held by fleetform pid \(owner.pid) on host \(host); a home must not be shared between machines: wait for it on \(host)"
        }
        return "run \(runID) (\(command.rawValue), pid \(owner.pid), started \(startedAt)) is still running; wait for it or stop it with Ctrl-C / kill -INT \(owner.pid)"
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
