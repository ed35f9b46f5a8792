import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A long-running helper process (a server) whose output goes to a log file, stopped
/// with SIGTERM and, if it lingers, SIGKILL.
public final class BackgroundProcess: @unchecked Sendable {
    public let name: String
    public let logFile: URL
    private let process: Process
    private let lock = NSLock()
    private var stopped = false

    /// Starts `executable arguments…` with `environment` (the test process's own when nil),
    /// stdout and stderr appended to `logFile` (or to `stdoutFile` for stdout when given).
    public init(
        name: String, executable: URL, arguments: [String], environment: [String: String]? = nil,
        logFile: URL, stdoutFile: URL? = nil, currentDirectory: URL? = nil
    ) throws {
        self.name = name
        self.logFile = logFile
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        let out: FileHandle
        if let stdoutFile {
            _ = FileManager.default.createFile(atPath: stdoutFile.path, contents: nil)
            out = try FileHandle(forWritingTo: stdoutFile)
        } else {
            out = log
        }
        process = Process()
        // Foundation starts children with almost every signal blocked (the mask of the
        // thread that spawns them survives exec), so a SIGTERM would wait out the whole
        // grace period of `stop`: 5 s per server per test. The child unblocks them first.
        process.executableURL = try PythonFixture.python()
        process.arguments = ["-c", Self.unblockingExec, executable.path] + arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = log
        try process.run()
        // The child holds its own copies of the descriptors.
        try? log.close()
        if stdoutFile != nil { try? out.close() }
    }

    /// Clears the blocked-signal mask, then becomes `argv[1] argv[2…]`.
    private static let unblockingExec = """
        import os, signal, sys
        signal.pthread_sigmask(signal.SIG_SETMASK, set())
        os.execv(sys.argv[1], sys.argv[1:])
        """

    public var processIdentifier: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }
    public var terminationStatus: Int32? { process.isRunning ? nil : process.terminationStatus }

    /// Everything the process wrote to its log so far.
    public var log: String {
        // Lossy: one invalid byte (a binary body the proxy quoted) must not turn the
        // whole log into "", which would read as "nothing was injected".
        FileManager.default.contents(atPath: logFile.path).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// The last `lines` lines of the log, for error messages.
    public func logTail(_ lines: Int = 30) -> String {
        log.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// SIGTERM, then up to `grace` seconds for the process to exit, then SIGKILL. Waits
    /// for the exit either way. Safe to call more than once.
    public func stop(grace: Double = 5) {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        guard process.isRunning else { return }
        let pid = process.processIdentifier
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline {
            usleep(50_000)
        }
        if process.isRunning {
            kill(pid, SIGKILL)
        }
        process.waitUntilExit()
    }

    deinit {
        stop()
    }
}
