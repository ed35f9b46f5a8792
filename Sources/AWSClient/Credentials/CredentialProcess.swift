import FleetformBasics
import Foundation

/// Runs a profile's `credential_process` command and reads the credentials it prints.
///
/// The command runs through `/bin/sh -c` (it is a command line, possibly with quotes and
/// pipes) with stdin closed. Its stdout must be the JSON object
/// `{"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken"?, "Expiration"?}`.
/// Errors name the profile and quote only the command's stderr, never its stdout, which
/// is where the secrets are.
struct CredentialProcess: Sendable {
    /// The most stdout or stderr kept; a credential document is well under 4 KB.
    static let outputLimit = 1 << 20
    /// How much of stderr an error message quotes.
    static let stderrQuoteLimit = 600

    var profile: String
    var command: String
    var environment: [String: String]

    /// Runs the command on a thread of its own (it may take seconds, e.g. to refresh a
    /// token, and blocking reads do not belong on the Swift concurrency pool).
    func run(now: Date = Date()) async throws(AWSConfigurationError) -> AWSCredentials {
        let outcome: Result<Output, AWSConfigurationError> = await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: self.runBlocking()) }
            thread.name = "credential_process"
            thread.start()
        }
        let output = try outcome.get()
        guard output.status == 0 else {
            var reason = output.terminatedBySignal
                ? "the command was killed by signal \(output.status)"
                : "the command exited with status \(output.status)"
            let stderr = Self.quote(output.stderr)
            reason += stderr.isEmpty ? " and printed nothing on stderr." : ": \(stderr)"
            throw .credentialProcessFailed(profile: profile, reason: reason)
        }
        return try Self.parse(output.stdout, profile: profile, now: now)
    }

    struct Output: Sendable {
        var status: Int32
        var terminatedBySignal: Bool
        var stdout: [UInt8]
        var stderr: [UInt8]
    }

    /// stdout goes through a pipe read to the end before waiting for the exit (waiting
    /// first can deadlock on a full pipe); stderr goes to an unlinked temporary file, so
    /// the two streams never block each other.
    private func runBlocking() -> Result<Output, AWSConfigurationError> {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        let stdout = Pipe()
        process.standardOutput = stdout
        let stderrURL = FileManager.default.temporaryDirectory
            .appendingPathComponent("fleetform-credential-process-\(UUID().uuidString).stderr")
        guard FileManager.default.createFile(atPath: stderrURL.path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let stderrHandle = try? FileHandle(forUpdating: stderrURL)
        else {
            return .failure(.credentialProcessFailed(profile: profile, reason: "could not create a temporary file for its stderr."))
        }
        defer {
            try? stderrHandle.close()
            try? FileManager.default.removeItem(at: stderrURL)
        }
        process.standardError = stderrHandle
        do {
            try process.run()
        } catch {
            return .failure(.credentialProcessFailed(profile: profile, reason: "/bin/sh could not be started: \(error.localizedDescription)"))
        }
        var output: [UInt8] = []
        let reader = stdout.fileHandleForReading
        while true {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            // Past the limit the rest is drained and dropped, so the command is never blocked on a full pipe.
            if output.count < Self.outputLimit { output += chunk.prefix(Self.outputLimit - output.count) }
        }
        try? reader.close()
        process.waitUntilExit()
        _ = try? stderrHandle.seek(toOffset: 0)
        let errorBytes = (try? stderrHandle.read(upToCount: Self.outputLimit)).map { Array($0) } ?? []
        return .success(Output(
            status: process.terminationStatus,
            terminatedBySignal: process.terminationReason == .uncaughtSignal,
            stdout: output, stderr: errorBytes))
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
