import Synchronization
import Terraform

/// Stops a run cleanly: no new jobs, SIGINT to every running terraform group so each
/// finishes its current calls, saves state and releases the lock, then SIGKILL for the
/// groups still alive when the grace period ends or the user insists.
public final class StopController: Sendable {
    private struct State {
        var stopRequested = false
        var killed = false
        var running: Set<Int32> = []
    }

    private let state = Mutex(State())

    public init() {}

    public var isStopRequested: Bool {
        state.withLock { $0.stopRequested }
    }

    /// The first Ctrl-C. Returns how many terraform processes were signalled.
    @discardableResult
    public func requestStop() -> Int {
        let pids = state.withLock { state -> Set<Int32> in
            state.stopRequested = true
            return state.running
        }
        pids.forEach(ProcessGroup.interrupt)
        return pids.count
    }

    /// The grace period ran out, or a second Ctrl-C.
    public func killRunning() {
        let pids = state.withLock { state -> Set<Int32> in
            state.stopRequested = true
            state.killed = true
            return state.running
        }
        pids.forEach(ProcessGroup.kill)
    }

    /// A terraform started. If a stop is already under way it is signalled at once, so
    /// a process that started during the stop cannot escape it.
    func register(_ pid: Int32) {
        let (stop, kill) = state.withLock { state -> (Bool, Bool) in
            state.running.insert(pid)
            return (state.stopRequested, state.killed)
        }
        if kill { ProcessGroup.kill(pid) } else if stop { ProcessGroup.interrupt(pid) }
    }

    func unregister(_ pid: Int32) {
        _ = state.withLock { $0.running.remove(pid) }
    }
}
