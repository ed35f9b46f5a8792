import Foundation

/// Runs the built `fleetform` binary as a user would, capturing what it prints.
public struct FleetformProcess {
    public struct Result: Sendable {
        public var exitCode: Int32
        public var stdout: String
        public var stderr: String
    }

    /// The `fleetform` built beside the test bundle (the test target depends on the
    /// executable, so `swift test` builds it).
    public static var binary: URL {
        get throws {
            let candidates = [
                Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("fleetform"),
                Bundle.main.bundleURL.appendingPathComponent("fleetform"),
                URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("fleetform"),
                RepositoryFiles.url(".build/debug/fleetform"),
            ]
            guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
                throw MissingBinary(searched: candidates.map(\.path))
            }
            return found
        }
    }

    struct MissingBinary: Error, CustomStringConvertible {
        var searched: [String]
        var description: String { "the fleetform binary was not built; looked in \(searched.joined(separator: ", "))" }
    }

    /// Runs `fleetform arguments…` with `environment` added to a minimal environment
    /// (no inherited FLEETFORM_HOME or colour settings leak in from the developer's shell).
    public static func run(
        _ arguments: [String], environment: [String: String] = [:], binary: URL? = nil
    ) throws -> Result {
        let process = Process()
        process.executableURL = try binary ?? self.binary
        process.arguments = arguments
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        env.merge(environment) { _, new in new }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes before waiting so a large output cannot block the child.
        let outData = ReadAll(out.fileHandleForReading)
        let errData = ReadAll(err.fileHandleForReading)
        process.waitUntilExit()
        return Result(
            exitCode: process.terminationStatus,
            stdout: String(decoding: outData.wait(), as: UTF8.self),
            stderr: String(decoding: errData.wait(), as: UTF8.self))
    }
}

/// Reads a file handle to its end on a background thread.
private final class ReadAll: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}
