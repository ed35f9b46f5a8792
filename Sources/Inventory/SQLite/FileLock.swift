import Foundation

/// A blocking `flock` on a small file, for the short moments only one fleetform may act
/// (opening and upgrading the database). The kernel releases it when the holder dies,
/// however it dies. Opened close-on-exec, so no terraform child inherits it.
final class FileLock: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Opens (creating if it can) the lock file; nil where it can neither be created nor
    /// opened, as in a read-only home, where nobody here can change anything anyway.
    static func open(_ path: String) -> FileLock? {
        var descriptor = Foundation.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if descriptor < 0 { descriptor = Foundation.open(path, O_RDONLY | O_CLOEXEC) }
        return descriptor < 0 ? nil : FileLock(descriptor: descriptor)
    }

    /// Waits for the lock, however long the holder keeps it.
    func lockExclusive() {
        while flock(descriptor, LOCK_EX) != 0 && errno == EINTR {}
    }

    func unlock() {
        _ = flock(descriptor, LOCK_UN)
    }

    deinit {
        close(descriptor)
    }
}
