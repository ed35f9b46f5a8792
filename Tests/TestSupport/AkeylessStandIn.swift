import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The local Akeyless stand-in (Tests/Fixtures/akeyless/akeyless_standin.py) on 127.0.0.1
/// and a free port: the operations fleetform uses, validated as the API does, answered
/// with the official SDK's field names, with injectable 429/5xx faults.
///
///     let akeyless = try AkeylessStandIn.start()
///     defer { akeyless.stop() }
///     // AKEYLESS_API_URL = akeyless.url, AKEYLESS_ACCESS_ID/KEY = akeyless.configuration.accessID/accessKey
///     try akeyless.resetCalls()
///     … second sync …
///     #expect(try akeyless.calls().writes == 0)
///
/// The configuration file holds the access keys (never a command line) and is read
/// again on every request, so `setConfiguration` takes effect on the next call.
public final class AkeylessStandIn: @unchecked Sendable {
    /// Written as the stand-in's JSON configuration file.
    public struct Configuration: Sendable, Equatable {
        /// Access id → access key, for `auth` with access type `access_key`.
        public var accessKeys: [String: String]
        /// Access ids accepted by `auth` with access type `aws_iam` (besides those of the
        /// AWS IAM auth methods created in the stand-in), given a well-formed cloud id.
        public var awsIAMAccessIDs: [String]
        /// Lifetime of the tokens `auth` issues from now on.
        public var tokenTTLSeconds: Double
        /// Percentage (0–100) of Akeyless calls answered with one of `faultStatuses`
        /// instead of being carried out.
        public var faultPercent: Double
        public var faultStatuses: [Int]
        /// Only these operations get faults (nil: every one, `auth` included).
        public var faultOperations: [String]?
        /// Makes the fault choice repeatable.
        public var seed: Int?
        /// Success status of the create operations: 200 (the API's, as far as known) or 201.
        public var createStatus: Int
        /// What every token issued starts with: a marker for tests that look for leaks.
        public var tokenPrefix: String

        public init(
            accessKeys: [String: String] = ["p-fleetform01": "standin-" + UUID().uuidString],
            awsIAMAccessIDs: [String] = [], tokenTTLSeconds: Double = 3600, faultPercent: Double = 0,
            faultStatuses: [Int] = [429, 503], seed: Int? = nil, createStatus: Int = 200, tokenPrefix: String = "t-"
        ) {
            self.tokenPrefix = tokenPrefix
            self.faultOperations = nil
            self.accessKeys = accessKeys
            self.awsIAMAccessIDs = awsIAMAccessIDs
            self.tokenTTLSeconds = tokenTTLSeconds
            self.faultPercent = faultPercent
            self.faultStatuses = faultStatuses
            self.seed = seed
            self.createStatus = createStatus
        }

        /// The first access id (sorted) and its key: what a test logs in with.
        public var accessID: String { accessKeys.keys.sorted().first ?? "" }
        public var accessKey: String { accessKeys[accessID] ?? "" }

        var json: Data {
            var object: [String: Any] = [
                "access_keys": accessKeys, "aws_iam_access_ids": awsIAMAccessIDs,
                "token_ttl_seconds": tokenTTLSeconds, "fault_percent": faultPercent,
                "fault_statuses": faultStatuses, "create_status": createStatus, "token_prefix": tokenPrefix,
            ]
            object["seed"] = seed.map { $0 as Any } ?? NSNull()
            object["fault_operations"] = faultOperations.map { $0 as Any } ?? NSNull()
            // JSONSerialization of these plain values cannot fail.
            return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        }
    }

    /// `GET /__standin/state`: every item the stand-in holds (secrets redacted).
    public struct State: Decodable, Sendable, Equatable {
        public let targets: [Target]
        public let authMethods: [AuthMethod]

        enum CodingKeys: String, CodingKey {
            case targets
            case authMethods = "auth_methods"
        }

        public func target(_ name: String) -> Target? { targets.first { $0.name == name } }
        public func authMethod(_ name: String) -> AuthMethod? { authMethods.first { $0.name == name } }
    }

    public struct Target: Decodable, Sendable, Equatable {
        public let name: String
        public let targetID: Int
        public let targetType: String
        public let region: String
        public let useGatewayCloudIdentity: Bool
        public let description: String
        public let accessKeyID: String
        /// 1 after the create, +1 per update.
        public let version: Int

        enum CodingKeys: String, CodingKey {
            case name, region, description, version
            case targetID = "target_id"
            case targetType = "target_type"
            case useGatewayCloudIdentity = "use_gw_cloud_identity"
            case accessKeyID = "access_key_id"
        }
    }

    public struct AuthMethod: Decodable, Sendable, Equatable {
        public let name: String
        public let accessID: String
        public let authMethodID: Int
        public let type: String
        public let description: String
        public let boundAWSAccountIDs: [String]
        public let boundRoleNames: [String]
        public let boundARNs: [String]
        public let boundRoleIDs: [String]
        public let boundResourceIDs: [String]
        public let boundUserIDs: [String]
        public let boundUserNames: [String]

        enum CodingKeys: String, CodingKey {
            case name, type, description
            case accessID = "access_id"
            case authMethodID = "auth_method_id"
            case boundAWSAccountIDs = "bound_aws_account_id"
            case boundRoleNames = "bound_role_name"
            case boundARNs = "bound_arn"
            case boundRoleIDs = "bound_role_id"
            case boundResourceIDs = "bound_resource_id"
            case boundUserIDs = "bound_user_id"
            case boundUserNames = "bound_user_name"
        }
    }

    /// `GET /__standin/calls`: Akeyless calls received since the start or the last
    /// `resetCalls`, whatever their outcome (injected faults and refusals count too).
    public struct Calls: Decodable, Sendable, Equatable {
        public struct Operation: Decodable, Sendable, Equatable {
            public let requests: Int
            /// Answered 2xx.
            public let succeeded: Int
            public let injected: Int
            /// HTTP status (as text) → count.
            public let statuses: [String: Int]
        }

        public let total: Int
        /// target-get-details and auth-method-get.
        public let reads: Int
        /// The create, update and delete operations, attempted (any outcome).
        public let writes: Int
        public let succeededWrites: Int
        public let auths: Int
        public let injected: Int
        /// Operation name ("target-create-aws") → its counts.
        public let operations: [String: Operation]

        enum CodingKeys: String, CodingKey {
            case total, reads, writes, auths, injected, operations
            case succeededWrites = "succeeded_writes"
        }

        public func requests(_ operation: String) -> Int { operations[operation]?.requests ?? 0 }
    }

    public let port: Int
    public let configFile: URL
    public let process: BackgroundProcess
    private let directory: TemporaryDirectory
    private let lock = NSLock()
    private var current: Configuration

    /// The API URL to give a client (`AKEYLESS_API_URL`, `--akeyless-url`).
    public var url: String { "http://127.0.0.1:\(port)" }

    /// The configuration last written.
    public var configuration: Configuration {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    private init(port: Int, configFile: URL, process: BackgroundProcess, directory: TemporaryDirectory, configuration: Configuration) {
        self.port = port
        self.configFile = configFile
        self.process = process
        self.directory = directory
        self.current = configuration
    }

    public static func script(_ name: String) throws -> URL {
        let url = RepositoryFiles.url("Tests/Fixtures/akeyless/\(name)")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TestEnvironmentError("test fixture \(url.path) is missing")
        }
        return url
    }

    /// Starts the stand-in with `configuration` and waits until it listens. Throws when
    /// python3 or the script is missing or it does not come up within `timeout` seconds.
    public static func start(configuration: Configuration = Configuration(), timeout: Double = 30) throws -> AkeylessStandIn {
        let script = try script("akeyless_standin.py")
        let directory = try TemporaryDirectory("fleetform-akeyless-standin")
        let configFile = directory.url.appendingPathComponent("config.json")
        try configuration.json.write(to: configFile, options: .atomic)
        let server = try PythonFixture.startServer(
            script, arguments: ["--config", configFile.path], directory: directory, logFile: "standin.log", timeout: timeout)
        return AkeylessStandIn(
            port: server.port, configFile: configFile, process: server.process, directory: directory,
            configuration: configuration)
    }

    /// Replaces the configuration; the stand-in reads it on its next request. Written
    /// atomically, so a request never sees half a file.
    public func setConfiguration(_ configuration: Configuration) throws {
        lock.lock()
        defer { lock.unlock() }
        try configuration.json.write(to: configFile, options: .atomic)
        current = configuration
    }

    public func state() throws -> State {
        try decode(State.self, try control("GET", "/__standin/state"))
    }

    public func calls() throws -> Calls {
        try decode(Calls.self, try control("GET", "/__standin/calls"))
    }

    /// Zeroes the call counts, e.g. before a second sync that must make no write.
    public func resetCalls() throws {
        _ = try control("POST", "/__standin/calls/reset")
    }

    /// Forgets every item, token and count, as a new Akeyless account would be.
    public func reset() throws {
        _ = try control("POST", "/__standin/reset")
    }

    /// Removes a target behind the client's back (as someone using the console would).
    public func deleteTarget(_ name: String) throws {
        _ = try control("POST", "/__standin/delete", body: try JSONSerialization.data(withJSONObject: ["kind": "target", "name": name]))
    }

    public func deleteAuthMethod(_ name: String) throws {
        _ = try control("POST", "/__standin/delete", body: try JSONSerialization.data(withJSONObject: ["kind": "auth_method", "name": name]))
    }

    /// Lines the stand-in logged: `REQUEST <operation> <status>` per call,
    /// `INJECTED <operation> <status>` per fault, and configuration problems.
    public var log: String { process.log }

    public func logTail(_ lines: Int = 30) -> String { process.logTail(lines) }

    /// The `REQUEST …` lines, e.g. "REQUEST target-create-aws 200".
    public var requests: [String] {
        log.split(separator: "\n").filter { $0.hasPrefix("REQUEST ") }.map(String.init)
    }

    /// The `INJECTED …` lines, e.g. "INJECTED auth 503".
    public var injectedFaults: [String] {
        log.split(separator: "\n").filter { $0.hasPrefix("INJECTED ") }.map(String.init)
    }

    /// SIGTERM, then SIGKILL after a few seconds; waits for the exit.
    public func stop() {
        process.stop()
    }

    deinit {
        process.stop()
    }

    // MARK: - Running the SDK check

    /// The outcome of Tests/Fixtures/akeyless/check_standin_with_sdk.py against this stand-in.
    public struct SDKCheck: Sendable {
        public let status: Int32
        public let output: String
        public let errors: String
    }

    /// Runs check_standin_with_sdk.py (the official `akeyless` SDK as the client) against
    /// this stand-in. Throws when python3 or the `akeyless` package is missing, saying so.
    public func runSDKCheck(timeout: Double = 120) throws -> SDKCheck {
        let python = try PythonFixture.python()
        let probe = try Self.runPython(python, ["-c", "import akeyless; print(akeyless.__version__)"], timeout: 60)
        guard probe.status == 0 else {
            throw TestEnvironmentError(
                "the akeyless Python package is missing for \(python.path) (pip install 'akeyless>=5.0,<5.1', or run scripts/setup):\n\(probe.errors)")
        }
        let script = try Self.script("check_standin_with_sdk.py")
        let result = try Self.runPython(python, [script.path, "--url", url, "--config", configFile.path], timeout: timeout)
        // The script rewrites the file for its expiry and fault checks and puts it back.
        lock.lock()
        let restore = current
        lock.unlock()
        try setConfiguration(restore)
        if result.output.contains("MISSING ") {
            throw TestEnvironmentError(result.output)
        }
        return result
    }

    private static func runPython(_ python: URL, _ arguments: [String], timeout: Double) throws -> SDKCheck {
        let scratch = try TemporaryDirectory("fleetform-akeyless-check")
        let outFile = scratch.url.appendingPathComponent("stdout"), errFile = scratch.url.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
        let out = try FileHandle(forWritingTo: outFile), err = try FileHandle(forWritingTo: errFile)
        let process = Process()
        process.executableURL = python
        process.arguments = arguments
        process.environment = PythonFixture.environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        let timedOut = process.isRunning
        if timedOut { process.terminate() }
        process.waitUntilExit()
        try? out.close()
        try? err.close()
        let read = { (file: URL) in FileManager.default.contents(atPath: file.path).map { String(decoding: $0, as: UTF8.self) } ?? "" }
        if timedOut {
            throw TestEnvironmentError("python3 \(arguments.first ?? "") did not finish within \(Int(timeout)) s:\n\(read(outFile))\(read(errFile))")
        }
        return SDKCheck(status: process.terminationStatus, output: read(outFile), errors: read(errFile))
    }

    // MARK: - The control endpoints, over a plain loopback socket (no URLSession in TestSupport)

    private func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw TestEnvironmentError("the stand-in answered \(T.self) that does not decode (\(error)): \(String(decoding: data, as: UTF8.self))")
        }
    }

    private func control(_ method: String, _ path: String, body: Data = Data()) throws -> Data {
        let (status, answer) = try Self.http(method: method, port: port, path: path, body: body)
        guard status == 200 else {
            throw TestEnvironmentError("\(method) \(path) answered HTTP \(status): \(String(decoding: answer, as: UTF8.self))")
        }
        return answer
    }

    /// One HTTP/1.0 request with `Connection: close`; the answer is read to the end.
    static func http(method: String, port: Int, path: String, body: Data, timeout: Double = 10) throws -> (Int, Data) {
        let fd = socket(AF_INET, streamType, 0)
        guard fd >= 0 else { throw TestEnvironmentError("socket(): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var time = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        #if canImport(Darwin)
        address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            throw TestEnvironmentError("connect(127.0.0.1:\(port)): \(String(cString: strerror(errno)))")
        }
        var request = Data(("\(method) \(path) HTTP/1.0\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n").utf8)
        request.append(body)
        var offset = 0
        while offset < request.count {
            let sent = request.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, 0) }
            guard sent > 0 else { throw TestEnvironmentError("send to 127.0.0.1:\(port) failed") }
            offset += sent
        }
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 { throw TestEnvironmentError("recv from 127.0.0.1:\(port): \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            response.append(contentsOf: buffer[0..<count])
        }
        guard let split = response.range(of: Data("\r\n\r\n".utf8)) else {
            throw TestEnvironmentError("no HTTP answer from 127.0.0.1:\(port)\(path)")
        }
        let statusLine = String(decoding: response[..<split.lowerBound].prefix { $0 != UInt8(ascii: "\r") }, as: UTF8.self)
        let fields = statusLine.split(separator: " ")
        guard fields.count >= 2, fields[0].hasPrefix("HTTP/"), let status = Int(fields[1]) else {
            throw TestEnvironmentError("malformed HTTP status line from 127.0.0.1:\(port): \(statusLine)")
        }
        return (status, Data(response[split.upperBound...]))
    }

    #if canImport(Glibc)
    private static let streamType = Int32(SOCK_STREAM.rawValue)
    #else
    private static let streamType = SOCK_STREAM
    #endif
}
