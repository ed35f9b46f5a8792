import FleetformBasics
import Foundation
import Subprocess
import SystemPackage

/// Runs terraform commands in workspaces.
///
/// Each terraform gets its own session (so its provider plugins can be signalled as one
/// group) and writes straight into the per-account log file, not into a pipe of ours:
/// if fleetform dies, terraform keeps running, saves its state and exits normally
/// instead of dying of a broken pipe between creating resources and recording them.
/// fleetform reads what it needs back from the log.
public struct TerraformRunner: Sendable {
    /// Absolute path of the terraform binary.
    public var executable: String
    /// Changes to the inherited environment (see `TerraformEnvironment`).
    public var environment: [String: String?]
    /// How long a cancelled terraform gets after SIGINT before its group is killed.
    public var gracePeriod: Duration

    public init(executable: String, environment: [String: String?], gracePeriod: Duration = .seconds(60)) {
        self.executable = executable
        self.environment = environment
        self.gracePeriod = gracePeriod
    }

    public typealias Termination = ProcessTermination

    public struct Outcome: Sendable, Equatable {
        public var termination: Termination
        public var report: TerraformReport
    }

    /// Runs `invocation` in `workspace`, appending everything it prints to `log`.
    /// `onStart` receives the pid (also the process group ID) as soon as it exists, so
    /// the caller can record it and signal the group.
    public func run(
        _ invocation: some TerraformInvocation,
        in workspace: URL,
        log: URL,
        onStart: @Sendable (Int32) -> Void = { _ in }
    ) async throws(TerraformError) -> Outcome {
        let descriptor = try Self.openLog(log, for: invocation)
        let startOffset: Int64
        do {
            startOffset = try descriptor.seek(offset: 0, from: .end)
        } catch {
            try? descriptor.close()
            throw .logUnwritable(log.path, "\(error)")
        }

        let options = processGroupOptions

        let termination: Termination
        let pid: Int32
        do {
            let result = try await Subprocess.run(
                .path(FilePath(executable)),
                arguments: Arguments(invocation.arguments),
                environment: .inherit.updating(environmentKeys),
                workingDirectory: FilePath(workspace.path),
                platformOptions: options,
                input: .none,
                output: .fileDescriptor(descriptor, closeAfterSpawningProcess: true),
                error: .combinedWithOutput
            ) { execution in
                let pid = execution.processIdentifier.value
                onStart(pid)
                return pid
            }
            pid = result.closureResult
            switch result.terminationStatus {
            case .exited(let code): termination = .exited(code)
            case .signaled(let signal): termination = .signaled(signal)
            }
        } catch {
            throw .cannotStart(executable, "\(error)")
        }
        // Terraform has exited; a plugin that outlived it would hold ~600 MB forever.
        ProcessGroup.kill(pid)

        let report = Self.readReport(log: log, from: startOffset)
        return Outcome(termination: termination, report: report)
    }

    /// Runs `invocation` in `workspace` and returns what it printed on standard output
    /// (at most `limit` bytes); what it printed on standard error goes to `log`.
    ///
    /// Each terraform in its own session, so its provider plugins are in its process
    /// group and die with it. The teardown is a backstop for task cancellation; Ctrl-C is
    /// handled by the scheduler, which signals process groups itself.
    private var processGroupOptions: PlatformOptions {
        var options = PlatformOptions()
        options.createSession = true
        options.teardownSequence = [.send(signal: .interrupt, toProcessGroup: true, allowedDurationToNextStep: gracePeriod)]
        return options
    }

    /// Appends `# fleetform <time>: <line>` to the account's log: what fleetform itself
    /// did to the account between terraform commands (a stale state lock released).
    public static func note(_ line: String, log: URL) {
        guard let descriptor = try? openLog(log, header: "\n# fleetform \(Date().formatted(.iso8601)): \(line)\n") else { return }
        try? descriptor.close()
    }

    /// The account's log, opened for appending (0600, its directory 0700) with a line
    /// naming the command, as the one place terraform's output goes.
    private static func openLog(
        _ log: URL, for invocation: some TerraformInvocation, note: String = ""
    ) throws(TerraformError) -> FileDescriptor {
        try openLog(log, header: "\n# fleetform \(Date().formatted(.iso8601)): terraform "
            + "\(invocation.arguments.joined(separator: " "))\(note)\n")
    }

    private static func openLog(_ log: URL, header: String) throws(TerraformError) -> FileDescriptor {
        do {
            try FileManager.default.createDirectory(
                at: log.deletingLastPathComponent(), withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
            let descriptor = try FileDescriptor.open(
                FilePath(log.path), .writeOnly, options: [.create, .append, .closeOnExec],
                permissions: [.ownerReadWrite])
            do {
                _ = try descriptor.writeAll(Array(header.utf8))
            } catch {
                try? descriptor.close()
                throw error
            }
            return descriptor
        } catch {
            throw .logUnwritable(log.path, "\(error)")
        }
    }

    /// For read-only commands (`state pull`) whose output is data, not progress: that
    /// data (a state may hold secrets) must not land in a log, and a read-only terraform
    /// that dies with fleetform loses nothing. Still its own process group, so a plugin
    /// it starts dies with it.
    public func capture(
        _ invocation: some TerraformInvocation, in workspace: URL, log: URL, limit: Int = 512 << 20
    ) async throws(TerraformError) -> (termination: Termination, output: [UInt8]) {
        let descriptor = try Self.openLog(log, for: invocation, note: " (output not logged)")
        let options = processGroupOptions
        do {
            let result = try await Subprocess.run(
                .path(FilePath(executable)),
                arguments: Arguments(invocation.arguments),
                environment: .inherit.updating(environmentKeys),
                workingDirectory: FilePath(workspace.path),
                platformOptions: options,
                input: .none,
                output: .bytes(limit: limit),
                error: .fileDescriptor(descriptor, closeAfterSpawningProcess: true)
            ) { execution in execution.processIdentifier.value }
            ProcessGroup.kill(result.closureResult)
            let termination: Termination = switch result.terminationStatus {
            case .exited(let code): .exited(code)
            case .signaled(let signal): .signaled(signal)
            }
            return (termination, result.standardOutput)
        } catch {
            throw .cannotStart(executable, "\(error)")
        }
    }

    private var environmentKeys: [Subprocess.Environment.Key: String?] {
        var keys: [Subprocess.Environment.Key: String?] = [:]
        for (name, value) in environment {
            keys[Subprocess.Environment.Key(stringLiteral: name)] = value
        }
        return keys
    }

    /// Streams the log from `offset` through the output reader in 64 KiB chunks, so a
    /// huge log costs no more memory than a small one.
    static func readReport(log: URL, from offset: Int64) -> TerraformReport {
        var reader = TerraformOutputReader()
        guard let handle = try? FileHandle(forReadingFrom: log) else { return reader.report }
        defer { try? handle.close() }
        try? handle.seek(toOffset: UInt64(max(offset, 0)))
        var pending: [UInt8] = []
        while let chunk = try? handle.read(upToCount: 64 * 1024), !chunk.isEmpty {
            pending.append(contentsOf: chunk)
            var lineStart = 0
            for index in pending.indices where pending[index] == 0x0A {
                reader.consume(line: Substring(decoding: pending[lineStart..<index], as: UTF8.self))
                lineStart = index + 1
            }
            pending.removeFirst(lineStart)
            // A single line longer than 1 MiB is not an event we need.
            if pending.count > 1 << 20 { pending.removeAll() }
        }
        if !pending.isEmpty {
            reader.consume(line: Substring(decoding: pending, as: UTF8.self))
        }
        reader.finish()
        return reader.report
    }

    /// `terraform version -json`, checked against the minimum fleetform supports.
    public func checkVersion(minimum: TerraformVersion = .minimumSupported) async throws(TerraformError) -> TerraformVersion {
        let output: String
        do {
            let result = try await Subprocess.run(
                .path(FilePath(executable)),
                arguments: Arguments(VersionInvocation().arguments),
                environment: .inherit.updating(environmentKeys),
                output: .string(limit: 256 * 1024),
                error: .discarded)
            output = result.standardOutput
        } catch {
            throw .cannotStart(executable, "\(error)")
        }
        var reader = TerraformOutputReader()
        reader.consume(line: Substring(output.replacingOccurrences(of: "\n", with: " ")))
        guard let text = reader.report.terraformVersion, let version = TerraformVersion(text) else {
            throw .unknownVersion(executable, String(output.prefix(200)))
        }
        guard version >= minimum else {
            throw .tooOld(executable, version: text, minimum: minimum.description)
        }
        return version
    }
}

/// Signals to a terraform's process group (its pid, since it leads its own session).
public enum ProcessGroup {
    /// Asks terraform to stop: it finishes the current calls, saves state, releases the lock.
    public static func interrupt(_ pid: Int32) {
        _ = Foundation.kill(-pid, SIGINT)
    }

    public static func kill(_ pid: Int32) {
        _ = Foundation.kill(-pid, SIGKILL)
    }

    /// Whether a process with this pid exists (it may belong to another user, or be a zombie).
    public static func isAlive(_ pid: Int32) -> Bool {
        ProcessProbe.exists(pid)
    }

    /// When the process started, in clock ticks since boot (`/proc/<pid>/stat` field 22);
    /// with the pid it names one process for good. Nil where there is no /proc.
    public static func startTime(of pid: Int32) -> UInt64? {
        ProcessProbe.startTime(of: pid)
    }

    /// Whether the terraform recorded as `process` still runs on this machine: not gone,
    /// not a zombie, and with the recorded start time. Where there is no /proc a pid
    /// alone could be anyone's, so it never counts (the state lock still keeps two
    /// terraform apart).
    public static func liveness(of process: ProcessIdentity) -> ProcessLiveness {
        ProcessProbe.liveness(of: process, trustPidAlone: false)
    }
}

/// Why terraform could not be run at all (as opposed to running and failing).
public enum TerraformError: Error, Sendable, Equatable, CustomStringConvertible {
    case notFound(String)
    case notExecutable(String)
    case cannotStart(String, String)
    case unknownVersion(String, String)
    case tooOld(String, version: String, minimum: String)
    case logUnwritable(String, String)
    case tooOldForS3State(String, version: String)
    case outputTooLarge(String, String)

    public var description: String {
        switch self {
        case .notFound(let searched):
            "terraform was not found on PATH (\(searched)); install Terraform 1.5 or later or pass --terraform PATH"
        case .notExecutable(let path): "--terraform \(path): not an executable file"
        case .cannotStart(let path, let reason): "cannot run \(path): \(reason)"
        case .unknownVersion(let path, let output): "\(path) did not report a Terraform version: \(output)"
        case .tooOld(let path, let version, let minimum):
            "\(path) is Terraform \(version); fleetform needs \(minimum) or later"
        case .logUnwritable(let path, let reason): "cannot write the log \(path): \(reason)"
        case .tooOldForS3State(let path, let version):
            "\(path) is Terraform \(version); state in S3 needs Terraform \(TerraformVersion.s3LockFile) or later (use_lockfile); install it or pass --terraform PATH"
        case .outputTooLarge(let command, let reason): "terraform \(command): \(reason)"
        }
    }
}
