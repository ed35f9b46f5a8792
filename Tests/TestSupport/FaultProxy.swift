import Foundation

/// A fault-injecting HTTP proxy (Tests/Fixtures/aws/fault_proxy.py) on 127.0.0.1 and a
/// free port, in front of a `MotoServer`. It forwards every request unchanged except
/// the faults set with `setFaults`, which take effect on the next request:
///
///     let proxy = try FaultProxy.start(upstream: moto.endpoint, faults: .init(denyAssumeRole: [account]))
///     defer { proxy.stop() }
///     // AWS_ENDPOINT_URL = proxy.endpoint … then:
///     try proxy.setFaults(.none)
public final class FaultProxy: Sendable {
    /// What the proxy breaks. Written as the control file
    /// `{"deny_assume_role": [...], "throttle_percent": N, "sticky_next_token": B, "ou_cycle": B}`.
    public struct Faults: Sendable, Equatable {
        /// Accounts whose STS AssumeRole (by the account in `RoleArn`) gets HTTP 403 AccessDenied.
        public var denyAssumeRole: [String]
        /// Percentage (0–100) of all requests answered with a throttling error.
        public var throttlePercent: Int
        /// Every `ListAccountsForParent` answer carries the same `NextToken`.
        public var stickyNextToken: Bool
        /// Every `ListOrganizationalUnitsForParent` of an OU lists that OU as its own child.
        public var ouCycle: Bool

        public init(denyAssumeRole: [String] = [], throttlePercent: Int = 0, stickyNextToken: Bool = false, ouCycle: Bool = false) {
            self.denyAssumeRole = denyAssumeRole
            self.throttlePercent = throttlePercent
            self.stickyNextToken = stickyNextToken
            self.ouCycle = ouCycle
        }

        public static let none = Faults()

        var json: String {
            let accounts = denyAssumeRole.map { "\"\($0)\"" }.joined(separator: ", ")
            return "{\"deny_assume_role\": [\(accounts)], \"throttle_percent\": \(throttlePercent), "
                + "\"sticky_next_token\": \(stickyNextToken), \"ou_cycle\": \(ouCycle)}\n"
        }
    }

    public let port: Int
    public let controlFile: URL
    public let process: BackgroundProcess
    private let directory: TemporaryDirectory

    public var endpoint: String { "http://127.0.0.1:\(port)" }

    private init(port: Int, controlFile: URL, process: BackgroundProcess, directory: TemporaryDirectory) {
        self.port = port
        self.controlFile = controlFile
        self.process = process
        self.directory = directory
    }

    /// Starts the proxy in front of `upstream` (e.g. `moto.endpoint`) with `faults`, and
    /// waits until it listens. Throws when python3 or the script is missing or the proxy
    /// does not come up within `timeout` seconds.
    public static func start(upstream: String, faults: Faults = .none, timeout: Double = 30) throws -> FaultProxy {
        let script = try PythonFixture.script("fault_proxy.py")
        let directory = try TemporaryDirectory("fleetform-fault-proxy")
        let controlFile = directory.url.appendingPathComponent("control.json")
        try Data(faults.json.utf8).write(to: controlFile, options: .atomic)
        let server = try PythonFixture.startServer(
            script, arguments: ["--upstream", upstream, "--control", controlFile.path], directory: directory,
            logFile: "proxy.log", timeout: timeout)
        return FaultProxy(port: server.port, controlFile: controlFile, process: server.process, directory: directory)
    }

    /// Replaces the faults; the proxy reads them on its next request. Written atomically,
    /// so a request never sees half a file.
    public func setFaults(_ faults: Faults) throws {
        try Data(faults.json.utf8).write(to: controlFile, options: .atomic)
    }

    /// Lines the proxy logged: `INJECTED <what>` per fault, `FORWARD <method> <operation>`
    /// per forwarded request, and any upstream or control-file problems.
    public var log: String { process.log }

    /// The `INJECTED …` lines, e.g. "INJECTED AccessDenied AssumeRole arn:aws:iam::…".
    public var injectedFaults: [String] {
        log.split(separator: "\n").filter { $0.hasPrefix("INJECTED ") }.map(String.init)
    }

    /// The `FORWARD …` lines: every request that reached the upstream.
    public var forwardedRequests: [String] {
        log.split(separator: "\n").filter { $0.hasPrefix("FORWARD ") }.map(String.init)
    }

    /// SIGTERM, then SIGKILL after a few seconds; waits for the exit.
    public func stop() {
        process.stop()
    }

    deinit {
        process.stop()
    }
}
