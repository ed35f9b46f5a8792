import FleetformBasics
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a profile's `credential_process` command and reads the credentials it prints.
///
/// The command runs through `/bin/sh -c` (it is a command line, possibly with quotes and
/// pipes) with stdin closed. Its stdout must be the JSON object
/// `{"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken"?, "Expiration"?}`.
/// Errors name the profile and quote only the command's stderr, never its stdout, which
/// is where the secrets are.
///
/// Two limits keep a command from hanging fleetform:
/// - a deadline (`timeout`, 60 s by default as in the AWS SDKs) for the whole run; when
///   it passes, the command's process group (the shell and everything it started) is
///   killed and the error says which deadline ran out;
/// - once the command itself has exited, its stdout gets `outputGrace` to reach its end.
///   A background process it left (`sleep 300 & echo {...}`) can hold stdout open for
///   ever; like Go's `exec.Cmd.WaitDelay`, fleetform then takes what was printed rather
///   than waiting for that process. It is left alone: it may be a browser opened for a
///   sign-in.
struct CredentialProcess: Sendable {
    /// The most stdout or stderr kept; a credential document is well under 4 KB.
    static let outputLimit = 1 << 20
    /// How much of stderr an error message quotes.
    static let stderrQuoteLimit = 600
    /// How long stdout may stay open after the command has exited.
    static let outputGrace: Duration = .seconds(1)

    var profile: String
    var command: String
    var environment: [String: String]
    var timeout: Duration = CredentialChain.defaultCredentialProcessTimeout

    /// Runs the command on a thread of its own (it may take seconds, e.g. to refresh a
    /// token, and blocking reads do not belong on the Swift concurrency pool). Cancelling
    /// the task kills the command's process group at once.
    func run(now: Date = Date()) async throws -> AWSCredentials {
        let stop = StopFlag()
        let outcome: Result<Output, AWSConfigurationError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let thread = Thread { continuation.resume(returning: self.runBlocking(stop: stop)) }
                thread.name = "credential_process"
                thread.start()
            }
        } onCancel: {
            stop.set()
        }
        try Task.checkCancellation()
        let output = try outcome.get()
        guard output.status == 0 else {
            var reason = output.terminatedBySignal
                ? "the command was killed by signal \(output.status)"
                : "the command exited with status \(output.status)"
            let stderr = Self.quote(output.stderr)
            reason += stderr.isEmpty ? " and printed nothing on stderr." : ": \(stderr)"
            throw AWSConfigurationError.credentialProcessFailed(profile: profile, reason: reason)
        }
        return try Self.parse(output.stdout, profile: profile, now: now)
    }

    struct Output: Sendable {
        var status: Int32
        var terminatedBySignal: Bool
        var stdout: [UInt8]
        var stderr: [UInt8]
    }

    /// Set when the task running the command is cancelled.
    final class StopFlag: Sendable {
        private let value = Mutex(false)
        func set() { value.withLock { $0 = true } }
        var isSet: Bool { value.withLock { $0 } }
    }

    /// stdout goes through a pipe read with `poll` (so the deadline is checked while the
    /// command is silent); stderr goes to an unlinked temporary file, so the two streams
    /// never block each other.
    private func runBlocking(stop: StopFlag) -> Result<Output, AWSConfigurationError> {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        let stderrURL = FileManager.default.temporaryDirectory
            .appendingPathComponent("fleetform-credential-process-\(UUID().uuidString).stderr")
        let stderrFile = open(stderrURL.path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard stderrFile >= 0 else {
            return .failure(.credentialProcessFailed(profile: profile, reason: "could not create a temporary file for its stderr."))
        }
        unlink(stderrURL.path)
        defer { close(stderrFile) }
        let child: ShellChild
        do {
            child = try ShellChild.start(command: command, environment: environment, stderr: stderrFile)
        } catch {
            return .failure(.credentialProcessFailed(profile: profile, reason: "/bin/sh could not be started: \(error)"))
        }
        defer { close(child.stdout) }
        func giveUp() -> Result<Output, AWSConfigurationError> {
            child.killGroup()
            _ = child.wait()
            return .failure(.credentialProcessTimedOut(profile: profile, limit: timeout))
        }

        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var exit: ShellChild.Exit?
        var exitedAt: ContinuousClock.Instant?
        reading: while true {
            let now = clock.now
            if now >= deadline || stop.isSet { return giveUp() }
            if exit == nil, let ended = child.poll() {
                exit = ended
                exitedAt = now
            }
            if let exitedAt, now - exitedAt >= Self.outputGrace { break }
            var descriptor = pollfd(fd: child.stdout, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 50)
            if ready == 0 { continue }
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            let count = buffer.withUnsafeMutableBytes { read(child.stdout, $0.baseAddress, $0.count) }
            switch count {
            case 0:
                break reading
            case ..<0:
                if errno == EINTR || errno == EAGAIN { continue }
                break reading
            default:
                // Past the limit the rest is drained and dropped, so the command is never blocked on a full pipe.
                if output.count < Self.outputLimit { output += buffer[0..<min(count, Self.outputLimit - output.count)] }
            }
        }
        // stdout is at its end; the shell may still be running (it closed stdout early).
        while exit == nil {
            if clock.now >= deadline || stop.isSet { return giveUp() }
            exit = child.poll()
            if exit == nil { usleep(10_000) }
        }
        var errorBytes = [UInt8](repeating: 0, count: Self.outputLimit)
        let errorCount = errorBytes.withUnsafeMutableBytes { pread(stderrFile, $0.baseAddress, $0.count, 0) }
        errorBytes = Array(errorBytes.prefix(max(0, errorCount)))
        switch exit! {
        case .exited(let status):
            return .success(Output(status: status, terminatedBySignal: false, stdout: output, stderr: errorBytes))
        case .signalled(let signal):
            return .success(Output(status: signal, terminatedBySignal: true, stdout: output, stderr: errorBytes))
        }
    }

    /// The credentials in the command's stdout. Messages describe what is wrong with the
    /// document without quoting any of it.
    static func parse(_ stdout: [UInt8], profile: String, now: Date) throws(AWSConfigurationError) -> AWSCredentials {
        func failure(_ reason: String) -> AWSConfigurationError {
            .credentialProcessFailed(profile: profile, reason: reason)
        }
        let document: JSONValue
        do {
            document = try JSONParser.parse(stdout)
        } catch {
            throw failure("its output is not valid JSON (problem at line \(error.line), column \(error.column)).")
        }
        guard case .object(let object) = document else {
            throw failure("its output is \(document.typeName), not a JSON object.")
        }
        guard case .number(let version)? = object["Version"], version == "1" else {
            throw failure("its output must have \"Version\": 1.")
        }
        func string(_ key: String, required: Bool) throws(AWSConfigurationError) -> String? {
            switch object[key] {
            case .string(let value)? where !value.isEmpty: return value
            case nil, .null?: if required { throw failure("its output has no \"\(key)\".") } else { return nil }
            case let other?: throw failure("\"\(key)\" in its output is \(other.typeName), not a non-empty string.")
            }
        }
        let accessKeyID = try string("AccessKeyId", required: true)!
        let secretAccessKey = try string("SecretAccessKey", required: true)!
        let sessionToken = try string("SessionToken", required: false)
        var expiration: Date?
        if let text = try string("Expiration", required: false) {
            guard let date = parseTimestamp(text) else {
                throw failure("\"Expiration\" in its output is not an ISO 8601 timestamp: '\(text)'.")
            }
            guard date > now else {
                throw failure("it returned credentials that expired at \(text).")
            }
            expiration = date
        }
        return AWSCredentials(
            accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, sessionToken: sessionToken, expiration: expiration)
    }

    /// ISO 8601 with or without fractional seconds (`2025-01-01T00:00:00Z`, `…00.000Z`,
    /// `…00+00:00`): tools differ.
    static func parseTimestamp(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// The end of stderr (where the reason usually is), as one trimmed line of text.
    private static func quote(_ stderr: [UInt8]) -> String {
        let text = String(decoding: stderr, as: UTF8.self)
            .split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " / ")
        return text.count > stderrQuoteLimit ? "…" + text.suffix(stderrQuoteLimit) : text
    }
}
