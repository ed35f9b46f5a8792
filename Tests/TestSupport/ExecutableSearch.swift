import Foundation

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
