import Foundation

enum MotoOrgScript {
    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    /// Runs moto_org.py (or another fixture script) and returns its stdout; throws with
    /// its stderr when it fails. `key` signs moto_org.py's requests, for a moto that
    /// checks signatures.
    static func run(_ arguments: [String], script name: String = "moto_org.py", key: MotoAccessKey? = nil) throws -> String {
        let python = try PythonFixture.python()
        let script = try PythonFixture.script(name)
        let scratch = try TemporaryDirectory("fleetform-moto-org")
        let outFile = scratch.url.appendingPathComponent("stdout")
        let errFile = scratch.url.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
        let out = try FileHandle(forWritingTo: outFile), err = try FileHandle(forWritingTo: errFile)
        let process = Process()
        process.executableURL = python
        process.arguments = [script.path] + arguments
        var environment = PythonFixture.environment
        if let key {
            environment["MOTO_ORG_ACCESS_KEY_ID"] = key.accessKeyId
            environment["MOTO_ORG_SECRET_ACCESS_KEY"] = key.secretAccessKey
        }
        process.environment = environment
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
                "\(name) \(arguments.joined(separator: " ")) exited with status \(process.terminationStatus):\n\(stderr)")
        }
        return stdout
    }
}
