import Foundation

/// A process as fleetform records it: which machine, which pid, and when it started.
///
/// A pid alone names nothing for long: it is reused after the process ends, after a
/// reboot, and it means another process on another machine sharing the home. The host
/// and the start time make it one process for good.
public struct ProcessIdentity: Sendable, Equatable {
    public var host: String?
    public var pid: Int32
    /// Clock ticks since boot (`/proc/<pid>/stat` field 22); nil where there is no /proc.
    public var startTime: UInt64?

    public init(host: String?, pid: Int32, startTime: UInt64?) {
        self.host = host
        self.pid = pid
        self.startTime = startTime
    }

    /// This process.
    public static var current: ProcessIdentity {
        let pid = getpid()
        return ProcessIdentity(host: ProcessProbe.hostName, pid: pid, startTime: ProcessProbe.startTime(of: pid))
    }

    /// `pid 123` or `pid 123 on host build-7` when it is another machine's.
    public var label: String {
        if let host, host != ProcessProbe.hostName { return "pid \(pid) on host \(host)" }
        return "pid \(pid)"
    }
}

/// What can be told about a recorded process from here.
public enum ProcessLiveness: Sendable, Equatable {
    /// It runs on this machine.
    case running
    /// It has ended (or finished and is a zombie nobody reaps, or its pid now belongs to
    /// another process).
    case gone
    /// It was recorded on another machine: nothing on this one says anything about it.
    case elsewhere(host: String)
}

/// Reads process facts from the kernel: existence, state and start time.
public enum ProcessProbe {
    /// This machine's name, as recorded beside every pid fleetform stores.
    public static let hostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }()

    /// Whether this system has a Linux-style /proc to read process facts from.
    public static var hasProcFileSystem: Bool {
        FileManager.default.fileExists(atPath: "/proc/self/stat")
    }

    /// The fields of `/proc/<pid>/stat` after the command name (which may hold spaces
    /// and parentheses): element 0 is field 3, the state.
    static func statFields(of pid: Int32) -> [Substring]? {
        guard pid > 0, let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }

    /// When the process started, in clock ticks since boot; nil where there is no /proc.
    public static func startTime(of pid: Int32) -> UInt64? {
        guard let fields = statFields(of: pid), fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    /// The one-letter state (`R`, `S`, `D`, `Z`, `X`, …), nil when unknown.
    public static func state(of pid: Int32) -> Character? {
        statFields(of: pid)?.first?.first
    }

    /// Whether a process with this pid exists at all (it may belong to another user, or
    /// be a zombie).
    public static func exists(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    /// Whether the recorded process still runs.
    ///
    /// A zombie has finished: its parent (a container's PID 1, a subreaper) has only not
    /// collected its exit status yet, and `kill(pid, 0)` still succeeds on it. Where there
    /// is no /proc, a process can only be recognised by its pid, which may be anyone's;
    /// `trustPidAlone` says whether that is good enough for the caller (it is for a
    /// fleetform that owns a run, which fails safe by keeping the run open; it is not for
    /// a terraform someone would wait for without end).
    public static func liveness(of process: ProcessIdentity, trustPidAlone: Bool) -> ProcessLiveness {
        if let host = process.host, host != hostName { return .elsewhere(host: host) }
        guard exists(process.pid) else { return .gone }
        guard hasProcFileSystem else { return trustPidAlone ? .running : .gone }
        guard let fields = statFields(of: process.pid), let state = fields.first?.first else { return .gone }
        if state == "Z" || state == "X" { return .gone }
        if let recorded = process.startTime {
            guard fields.count > 19, let current = UInt64(fields[19]), current == recorded else { return .gone }
        }
        return .running
    }
}
