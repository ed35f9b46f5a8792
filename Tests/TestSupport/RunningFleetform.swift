import Foundation

/// A `fleetform` started in the background, for tests that signal it (Ctrl-C, kill -9)
/// while it works. Output goes to files so nothing blocks on a full pipe.
public final class RunningFleetform: @unchecked Sendable {
    private let process = Process()
    private let outputDirectory: TemporaryDirectory

    /// `launcher` runs fleetform under another program (its path and arguments, then
    /// fleetform's path and `arguments`), such as a parent that never reaps.
    /// `workingDirectory`: where it runs (a worker's own directory), else the test's.
    public init(_ arguments: [String], environment: [String: String], launcher: [String] = [],
                workingDirectory: URL? = nil) throws {
        outputDirectory = try TemporaryDirectory("fleetform-output")
        if let program = launcher.first {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = Array(launcher.dropFirst()) + [try FleetformProcess.binary.path] + arguments
        } else {
            process.executableURL = try FleetformProcess.binary
            process.arguments = arguments
        }
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        env.merge(environment) { _, new in new }
        process.environment = env
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }
        _ = FileManager.default.createFile(atPath: outputDirectory.url.appendingPathComponent("stdout").path, contents: nil)
        _ = FileManager.default.createFile(atPath: outputDirectory.url.appendingPathComponent("stderr").path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: outputDirectory.url.appendingPathComponent("stdout"))
        process.standardError = try FileHandle(forWritingTo: outputDirectory.url.appendingPathComponent("stderr"))
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    public var pid: Int32 { process.processIdentifier }

    public func signal(_ number: Int32) {
        kill(process.processIdentifier, number)
    }

    /// Waits for the exit and returns the exit code (128 + signal when killed by one).
    public func wait(timeout: Double = 120) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline { return nil }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    public var stdout: String { read("stdout") }
    public var stderr: String { read("stderr") }

    private func read(_ name: String) -> String {
        (try? String(contentsOf: outputDirectory.url.appendingPathComponent(name), encoding: .utf8)) ?? ""
    }
}
