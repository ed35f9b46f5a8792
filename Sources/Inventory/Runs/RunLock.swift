import Foundation
import GRDB

/// The lock that makes one run at a time per fleet, held for the life of the run and
/// released when this value is.
///
/// For a home (SQLite): an exclusive `flock` on `<home>/run.lock`. The kernel releases it
/// when the holder dies, however it dies, so it never outlives a killed fleetform and is
/// never confused by a recycled pid (after a reboot, in a container) the way a pid check
/// would be. Opened close-on-exec, so no terraform child inherits it.
///
/// For PostgreSQL: a session-level advisory lock on a connection of its own
/// (`PostgresRunLock`), which the server releases when that connection ends, however the
/// fleetform on the other end died: the same guarantee across machines.
public final class RunLock: Sendable {
    /// Where the lock is, for messages: the lock file, or the database (password redacted).
    public let path: String
    /// Whatever releases the lock when it is deinitialised.
    private let holder: any AnyObject & Sendable

    init(path: String, holder: any AnyObject & Sendable) {
        self.path = path
        self.holder = holder
    }

    /// Takes the file lock without waiting; nil when another process holds it.
    public static func acquire(directory: URL) throws -> RunLock? {
        let path = directory.appendingPathComponent("run.lock").path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw RunLockError(path: path, reason: String(cString: strerror(errno)))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            close(descriptor)
            if reason == EWOULDBLOCK { return nil }
            throw RunLockError(path: path, reason: String(cString: strerror(reason)))
        }
        return RunLock(path: path, holder: LockedFile(descriptor: descriptor))
    }
}

/// An open descriptor holding a `flock`; closing it releases the lock.
private final class LockedFile: Sendable {
    let descriptor: Int32

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }
}

public struct RunLockError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public var description: String { "cannot use the run lock \(path): \(reason)" }
}

extension SQLiteInventoryStore {
    /// The run that is still open in the database, for telling the user who holds the lock.
    public func openRun() throws -> RunInProgress? {
        try read { db in
            try RunRecord.filter(RunRecord.Columns.finishedAt == nil)
                .order(RunRecord.Columns.startedAt.desc)
                .fetchOne(db)
                .map(RunInProgress.init(run:))
        }
    }

    /// Takes the run lock for a run command, or says which run holds it.
    public func acquireRunLock(home: URL) throws -> RunLock {
        if let lock = try RunLock.acquire(directory: home) { return lock }
        if let other = try openRun() { throw other }
        throw RunLockHeld(path: home.appendingPathComponent("run.lock").path)
    }
}

/// Another fleetform holds the run lock but has not recorded its run yet.
public struct RunLockHeld: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var description: String { "another fleetform is starting a run (it holds \(path)); wait for it" }
}
