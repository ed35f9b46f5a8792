import Foundation
import Logging
import NIOConcurrencyHelpers
import PostgresNIO

/// `LISTEN fleetform_jobs` on a connection of its own, for idle workers: a job that
/// becomes claimable (a run opened, a claim given back, an expired lease requeued, a
/// canary ended) wakes them at once instead of at their next poll.
///
/// Why its own connection: the store's connection is shared by the worker's slots and
/// held only for a statement at a time, and a notification is delivered only to a
/// session that is listening. Opened on the first wait, so commands that never wait
/// (status, apply) never open it. A notification nobody waits for is remembered, so
/// the next wait returns at once: a job made claimable between a failed claim and the
/// wait is not missed. If the connection is lost, the next wait reconnects and returns
/// at once (notifications sent meanwhile are lost); polling covers the rest.
final class PostgresNotifications: Sendable {
    private struct State {
        var connection: PostgresConnection?
        /// A notification arrived while nobody waited.
        var pending = false
        var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]
        /// Waits cancelled before they registered.
        var cancelled: Set<UUID> = []
    }

    private let url: PostgresURL
    private let channel: String
    private let state = NIOLockedValueBox(State())

    init(url: PostgresURL, channel: String) {
        self.url = url
        self.channel = channel
    }

    /// Returns on a notification, after `timeout`, or when the task is cancelled.
    func wait(timeout: Duration) async {
        guard listening() else {
            // The database cannot be reached: wait as SQLite does; the next claim says why.
            try? await Task.sleep(for: timeout)
            return
        }
        let id = UUID()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: timeout) }
            group.addTask { await self.notification(id) }
            await group.next()
            group.cancelAll()
        }
        _ = state.withLockedValue { $0.cancelled.remove(id) }
    }

    /// Whether a listening connection is open; opens one (blocking, as the store does)
    /// when there is none. A fresh connection counts as a notification: what was sent
    /// while none listened is unknown.
    private func listening() -> Bool {
        if state.withLockedValue({ $0.connection.map { !$0.isClosed } ?? false }) { return true }
        do {
            let connection = try PostgresSession.open(url)
            connection.addListener(channel: channel) { [weak self] _, _ in self?.wake() }
            _ = try connection.query(PostgresQuery(unsafeSQL: "LISTEN \(channel)"), logger: PostgresSession.logger).wait()
            let previous = state.withLockedValue { state -> PostgresConnection? in
                defer {
                    state.connection = connection
                    state.pending = true
                }
                return state.connection
            }
            _ = try? previous?.close().wait()
            return true
        } catch {
            return false
        }
    }

    private func notification(_ id: UUID) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLockedValue { state -> Bool in
                    if state.cancelled.remove(id) != nil { return true }
                    if state.pending {
                        state.pending = false
                        return true
                    }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
                state.cancelled.insert(id)
                return nil
            }
            waiter?.resume()
        }
    }

    /// Every waiting slot tries a claim; with none waiting, the next wait returns at once.
    private func wake() {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            let waiters = Array(state.waiters.values)
            state.waiters = [:]
            state.pending = waiters.isEmpty
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func close() {
        let connection = state.withLockedValue { state -> PostgresConnection? in
            defer { state.connection = nil }
            return state.connection
        }
        _ = try? connection?.close().wait()
    }

    deinit {
        close()
    }
}
