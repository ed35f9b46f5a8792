import Foundation

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

    /// How a script run ended: its exit status (a signal counts as failure) and output.
    public struct Outcome: Sendable {
        public var status: Int32
        public var exitedNormally: Bool
        public var stdout: String
        public var stderr: String

        public var succeeded: Bool { exitedNormally && status == 0 }
    }

    /// Runs Tests/Fixtures/aws/`name` `arguments…` to its end with `environment` (by default
    /// `PythonFixture.environment`). Output goes through files, not pipes, so a chatty
    /// script cannot fill a pipe buffer and hang while nobody reads it.
    public static func run(_ name: String, arguments: [String], environment: [String: String]? = nil) throws -> Outcome {
        let python = try python()
        let script = try script(name)
        let scratch = try TemporaryDirectory("fleetform-python-run")
        let outFile = scratch.url.appendingPathComponent("stdout")
        let errFile = scratch.url.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
        let out = try FileHandle(forWritingTo: outFile), err = try FileHandle(forWritingTo: errFile)
        let process = Process()
        process.executableURL = python
        process.arguments = [script.path] + arguments
        process.environment = environment ?? self.environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        try? out.close()
        try? err.close()
        func read(_ file: URL) -> String {
            FileManager.default.contents(atPath: file.path).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
        return Outcome(status: process.terminationStatus, exitedNormally: process.terminationReason == .exit,
                       stdout: read(outFile), stderr: read(errFile))
    }

    /// A fixture server started and listening: its process and the port it bound.
    public struct Server {
        public var process: BackgroundProcess
        public var port: Int
    }

    /// Starts a fixture server (`script arguments…`) that binds port 0 itself and prints
    /// `PORT <n>` on stdout once it listens, so there is no race for a free port, and
    /// waits for that line. Its stderr goes to `logFile`. Throws with the log when it
    /// exits first or stays silent for `timeout` seconds.
    public static func startServer(
        _ script: URL, arguments: [String], directory: TemporaryDirectory, logFile: String, timeout: Double
    ) throws -> Server {
        let name = script.lastPathComponent
        let portFile = directory.url.appendingPathComponent("stdout")
        let process = try BackgroundProcess(
            name: name, executable: try python(), arguments: [script.path] + arguments, environment: environment,
            logFile: directory.url.appendingPathComponent(logFile), stdoutFile: portFile)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let printed = (try? String(contentsOf: portFile, encoding: .utf8)) ?? ""
            if let line = printed.split(separator: "\n").first(where: { $0.hasPrefix("PORT ") }), printed.contains("\n"),
               let port = Int(line.dropFirst("PORT ".count))
            {
                return Server(process: process, port: port)
            }
            if !process.isRunning {
                throw TestEnvironmentError(
                    "\(name) exited with status \(process.terminationStatus ?? -1) before listening:\n\(process.logTail())")
            }
            usleep(50_000)
        }
        process.stop()
        throw TestEnvironmentError("\(name) did not report its port within \(Int(timeout)) s:\n\(process.logTail())")
    }
}
