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
}
