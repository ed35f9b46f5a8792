import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
