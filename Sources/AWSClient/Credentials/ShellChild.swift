import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `/bin/sh -c <command>` started with `posix_spawn` in a process group of its own,
/// stdin from /dev/null, stdout into a pipe we read, stderr into a file we pass.
///
/// Not Foundation's `Process`: on Linux it learns that a child exited only when every
/// process holding a descriptor it hands the child has closed it, so a background
/// process the command leaves behind (`sleep 300 & echo …`) keeps the shell "running"
/// for as long as that process lives. Here `waitpid` on the shell alone says when it
/// exited, and one `kill(-group)` reaches everything it started.
struct ShellChild {
    let pid: pid_t
    /// The read end of the child's stdout, non-blocking, close-on-exec.
    let stdout: Int32

    enum Exit: Equatable {
        case exited(Int32)
        case signalled(Int32)
    }

    /// - Parameter stderr: a descriptor the child's stderr is written to.
    static func start(command: String, environment: [String: String], stderr: Int32) throws(SpawnFailure) -> ShellChild {
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else { throw SpawnFailure(code: errno) }
        let (readEnd, writeEnd) = (pipeEnds[0], pipeEnds[1])
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(readEnd, F_SETFL, fcntl(readEnd, F_GETFL) | O_NONBLOCK)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        // Nothing of ours (database, lock file, sockets) reaches the command, even a
        // descriptor some library opened without close-on-exec. glibc has had this since
        // 2.34; Swift does not import it, so it is looked up.
        if let closeFrom = Self.addCloseFrom {
            _ = closeFrom(&actions, 3)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Process group = the shell's pid, so the deadline can kill the whole group.
        posix_spawnattr_setpgroup(&attributes, 0)
        // Default signal dispositions: fleetform ignores SIGPIPE, the command must not inherit that.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let arguments = ["/bin/sh", "-c", command]
        let variables = environment.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let status = withCStrings(arguments) { argv in
            withCStrings(variables) { envp in
                posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp)
            }
        }
        close(writeEnd)
        guard status == 0 else {
            close(readEnd)
            throw SpawnFailure(code: status)
        }
        return ShellChild(pid: pid, stdout: readEnd)
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addCloseFrom: AddCloseFrom? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else {
            return nil
        }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()

    /// How the shell ended, or nil while it runs. Reaps it once it has ended.
    func poll() -> Exit? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        guard result == pid else { return nil }
        return Self.exit(status)
    }

    /// Waits for the shell to end (after `killGroup`, at once).
    func wait() -> Exit {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        return Self.exit(status)
    }

    /// SIGKILL to the shell's process group: the shell and everything it started
    /// (that did not move to a group of its own).
    func killGroup() {
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
    }

    private static func exit(_ status: Int32) -> Exit {
        // WIFEXITED / WEXITSTATUS / WTERMSIG are C macros Swift does not import.
        let signal = status & 0x7F
        return signal == 0 ? .exited((status >> 8) & 0xFF) : .signalled(signal)
    }
}

/// `posix_spawn` or `pipe` failed.
struct SpawnFailure: Error, CustomStringConvertible {
    var code: Int32
    var description: String { String(cString: strerror(code)) }
}

/// Runs `body` with a NULL-terminated C array of `strings`.
private func withCStrings<Result>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> Result) -> Result {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return body(pointers)
}
