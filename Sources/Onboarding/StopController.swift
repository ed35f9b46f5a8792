import Foundation
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
        /// Tasks waiting for a stop, resumed by the first one.
        var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]
        /// Waits cancelled before they could register (see `waitUntilStopped`).
        var cancelledWaits: Set<UUID> = []
    }

    private let state = Mutex(State())

    public init() {}

    public var isStopRequested: Bool {
        state.withLock { $0.stopRequested }
    }

    /// The first Ctrl-C. Returns how many terraform processes were signalled.
    @discardableResult
    public func requestStop() -> Int {
        let (pids, waiters) = state.withLock { state -> (Set<Int32>, [CheckedContinuation<Void, Never>]) in
            state.stopRequested = true
            defer { state.waiters = [:] }
            return (state.running, Array(state.waiters.values))
        }
        pids.forEach(ProcessGroup.interrupt)
        waiters.forEach { $0.resume() }
        return pids.count
    }

    /// The first Ctrl-C: stop starting jobs, ask running terraform to stop, and kill
    /// whatever still runs when `grace` has passed.
    public func beginGracefulStop(grace: Duration) -> Int {
        let signalled = requestStop()
        Task.detached { [self] in
            try? await Task.sleep(for: grace)
            killRunning()
        }
        return signalled
    }

    /// Returns once a stop is requested, or at once when the calling task is cancelled:
    /// a wait that never polls, so a stop is seen the moment it comes.
    public func waitUntilStopped() async {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    // A cancellation that came first left its mark: do not wait for it again.
                    if state.stopRequested || state.cancelledWaits.remove(id) != nil { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
                // After a stop every waiter has been resumed, or will not wait.
                if !state.stopRequested { state.cancelledWaits.insert(id) }
                return nil
            }
            waiter?.resume()
        }
    }

    /// Sleeps for `duration`, or less when a stop comes first; true when it did.
    public func sleep(for duration: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                try? await Task.sleep(for: duration)
                return false
            }
            group.addTask {
                await self.waitUntilStopped()
                return true
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first || isStopRequested
        }
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
