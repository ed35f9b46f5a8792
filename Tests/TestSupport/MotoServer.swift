import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A test prerequisite that is missing or broken (a tool not on PATH, a server that did
/// not start). Thrown rather than skipped: a test that cannot run must fail.
public struct TestEnvironmentError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Executables on the test process's PATH.
public enum ExecutableSearch {
    /// The first executable file named `name` in a PATH directory, or nil.
    public static func find(_ name: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> URL? {
        for directory in (path ?? "/usr/bin:/bin").split(separator: ":") where !directory.isEmpty {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// `find(name)`, or an error saying it is missing and how to get it.
    public static func require(_ name: String, hint: String = "run scripts/setup") throws -> URL {
        guard let found = find(name) else {
            throw TestEnvironmentError("\(name) not found on PATH; \(hint)")
        }
        return found
    }
}

/// Loopback TCP helpers: free ports and a minimal HTTP probe.
public enum LoopbackNetwork {
    /// A port on 127.0.0.1 that was free a moment ago: a socket bound to port 0 gets one
    /// from the kernel and is closed again. Another process may take it in between, so
    /// callers retry with a fresh port when their server reports the address in use.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, socketStreamType, 0)
        guard fd >= 0 else { throw TestEnvironmentError("socket(): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw TestEnvironmentError("bind(127.0.0.1:0): \(String(cString: strerror(errno)))") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw TestEnvironmentError("getsockname(): \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// The status code of `GET path` on 127.0.0.1:`port`, or nil when nothing answers
    /// within `timeout` seconds.
    public static func httpStatus(port: Int, path: String, timeout: Double = 2) -> Int? {
        let fd = socket(AF_INET, socketStreamType, 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var time = timeval(tv_sec: Int(timeout), tv_usec: .init((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8)
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == request.count else { return nil }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while !response.contains(UInt8(ascii: "\n")) {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            response.append(contentsOf: buffer[0..<count])
        }
        // "HTTP/1.1 200 OK"
        let statusLine = String(decoding: response.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        let fields = statusLine.split(separator: " ")
        guard fields.count >= 2, fields[0].hasPrefix("HTTP/") else { return nil }
        return Int(fields[1])
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        #if canImport(Darwin)
        address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    #if canImport(Glibc)
    private static let socketStreamType = Int32(SOCK_STREAM.rawValue)
    #else
    private static let socketStreamType = SOCK_STREAM
    #endif
}

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
        process.executableURL = executable
        process.arguments = arguments
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

    public var processIdentifier: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }
    public var terminationStatus: Int32? { process.isRunning ? nil : process.terminationStatus }

    /// Everything the process wrote to its log so far.
    public var log: String {
        (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
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

/// A `moto_server` (the AWS mock) on 127.0.0.1 and a free port, for one test.
///
///     let moto = try MotoServer.start()
///     defer { moto.stop() }
///     // AWS_ENDPOINT_URL = moto.endpoint
public final class MotoServer: Sendable {
    public let port: Int
    public let process: BackgroundProcess
    private let directory: TemporaryDirectory

    public var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Everything moto printed (its request log), for diagnosing a failed test.
    public var log: String { process.log }

    private init(port: Int, process: BackgroundProcess, directory: TemporaryDirectory) {
        self.port = port
        self.process = process
        self.directory = directory
    }

    /// Starts `moto_server` and waits until it answers HTTP. Throws when `moto_server`
    /// is not on PATH, exits early, or does not answer within `timeout` seconds.
    /// `settings` go into moto's environment, e.g. `INITIAL_NO_AUTH_ACTION_COUNT` to
    /// check signatures after that many requests.
    public static func start(timeout: Double = 30, settings: [String: String] = [:]) throws -> MotoServer {
        let executable = try ExecutableSearch.require("moto_server")
        let directory = try TemporaryDirectory("fleetform-moto")
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONUNBUFFERED"] = "1"
        environment.merge(settings) { _, new in new }
        var lastProblem = ""
        // The free port can be taken between finding and binding it: try a few.
        for attempt in 1...3 {
            let port = try LoopbackNetwork.freePort()
            let process = try BackgroundProcess(
                name: "moto_server", executable: executable,
                arguments: ["-H", "127.0.0.1", "-p", String(port)], environment: environment,
                logFile: directory.url.appendingPathComponent("moto-\(attempt).log"))
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if !process.isRunning { break }
                if LoopbackNetwork.httpStatus(port: port, path: "/moto-api/") != nil {
                    return MotoServer(port: port, process: process, directory: directory)
                }
                usleep(100_000)
            }
            if process.isRunning {
                process.stop()
                throw TestEnvironmentError(
                    "moto_server did not answer on 127.0.0.1:\(port) within \(Int(timeout)) s; its log:\n\(process.logTail())")
            }
            lastProblem = "moto_server exited with status \(process.terminationStatus ?? -1) before answering on port \(port); its log:\n\(process.logTail())"
            if !process.log.localizedCaseInsensitiveContains("address already in use") { break }
        }
        throw TestEnvironmentError(lastProblem)
    }

    /// SIGTERM, then SIGKILL after a few seconds; waits for the exit.
    public func stop() {
        process.stop()
    }

    deinit {
        process.stop()
    }
}

// MARK: - The organization in moto (Tests/Fixtures/aws/moto_org.py)

/// What `moto_org.py create` made: the organization's management account and its members.
public struct MotoOrganization: Decodable, Sendable {
    public struct Account: Decodable, Sendable {
        public var id: String
        public var name: String
        public var email: String
    }

    public var managementAccountId: String
    public var accounts: [Account]
}

/// What `moto_org.py inspect` found in one member account's IAM.
public struct MemberAccountIAM: Decodable, Sendable {
    public struct Statement: Decodable, Sendable {
        public var sid: String?
        public var effect: String
        public var actions: [String]
        public var resources: [String]
        /// "AWS" / "Service" → identifiers.
        public var principals: [String: [String]]
        /// operator → key → values, e.g. ["StringEquals": ["aws:PrincipalArn": [arn]]].
        public var condition: [String: [String: [String]]]
    }

    public struct Role: Decodable, Sendable {
        public var exists: Bool
        public var name: String?
        public var arn: String?
        public var trustStatements: [Statement]?
    }

    public struct AttachedPolicy: Decodable, Sendable {
        public var name: String
        public var arn: String
        public var sids: [String]
        public var statements: [Statement]
    }

    public struct InstanceProfile: Decodable, Sendable {
        public var name: String
        public var arn: String
        public var roles: [String]
    }

    public var accountId: String
    /// The account `GetCallerIdentity` named with the assumed credentials (must equal `accountId`).
    public var callerAccount: String
    public var role: Role
    public var attachedPolicies: [AttachedPolicy]
    public var instanceProfiles: [InstanceProfile]
}

extension MotoServer {
    /// Creates the organization (moto's default account becomes its management account)
    /// and `memberAccounts` member accounts, each with `OrganizationAccountAccessRole`.
    public func createOrganization(memberAccounts: Int, namePrefix: String = "member") throws -> MotoOrganization {
        let output = try MotoOrgScript.run(["--endpoint", endpoint, "create", "--count", String(memberAccounts), "--name-prefix", namePrefix])
        return try MotoOrgScript.decoder.decode(MotoOrganization.self, from: Data(output.utf8))
    }

    /// Reads `account`'s IAM through `access_role_name` (directly from moto, never through a proxy).
    public func inspectAccount(
        _ account: String, roleName: String = "terraform-akeyless-role",
        accessRoleName: String = "OrganizationAccountAccessRole"
    ) throws -> MemberAccountIAM {
        let output = try MotoOrgScript.run([
            "--endpoint", endpoint, "inspect", "--account", account, "--role-name", roleName,
            "--access-role-name", accessRoleName,
        ])
        return try MotoOrgScript.decoder.decode(MemberAccountIAM.self, from: Data(output.utf8))
    }
}

/// Runs Tests/Fixtures/aws/*.py scripts with python3 from PATH.
public enum PythonFixture {
    public static func python() throws -> URL {
        try ExecutableSearch.require("python3", hint: "install Python 3 and run scripts/setup")
    }

    public static func script(_ name: String) throws -> URL {
        let url = RepositoryFiles.url("Tests/Fixtures/aws/\(name)")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TestEnvironmentError("test fixture \(url.path) is missing")
        }
        return url
    }

    /// The test process's environment without AWS settings that could redirect or
    /// authenticate the scripts differently (they pass endpoint and keys explicitly).
    public static var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AWS_") }
        environment["AWS_CONFIG_FILE"] = "/dev/null"
        environment["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
        environment["AWS_EC2_METADATA_DISABLED"] = "true"
        environment["PYTHONUNBUFFERED"] = "1"
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        return environment
    }
}

enum MotoOrgScript {
    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    /// Runs moto_org.py and returns its stdout; throws with its stderr when it fails.
    static func run(_ arguments: [String]) throws -> String {
        let python = try PythonFixture.python()
        let script = try PythonFixture.script("moto_org.py")
        let scratch = try TemporaryDirectory("fleetform-moto-org")
        let outFile = scratch.url.appendingPathComponent("stdout")
        let errFile = scratch.url.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
        let out = try FileHandle(forWritingTo: outFile), err = try FileHandle(forWritingTo: errFile)
        let process = Process()
        process.executableURL = python
        process.arguments = [script.path] + arguments
        process.environment = PythonFixture.environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        try? out.close()
        try? err.close()
        let stdout = (try? String(contentsOf: outFile, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOf: errFile, encoding: .utf8)) ?? ""
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw TestEnvironmentError(
                "moto_org.py \(arguments.joined(separator: " ")) exited with status \(process.terminationStatus):\n\(stderr)")
        }
        return stdout
    }
}
