import Foundation

/// A Terraform version, compared numerically (`1.10.0` > `1.9.8`).
public struct TerraformVersion: Sendable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int

    public init(major: Int, minor: Int, patch: Int) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Parses `1.11.4`, `v1.5.0` or `1.6.0-beta1` (the pre-release is ignored).
    public init?(_ text: String) {
        let core = text.drop(while: { $0 == "v" }).prefix(while: { $0 != "-" && $0 != "+" })
        let parts = core.split(separator: ".").map { Int($0) }
        guard parts.count == 3, let major = parts[0], let minor = parts[1], let patch = parts[2] else { return nil }
        self.init(major: major, minor: minor, patch: patch)
    }

    /// The oldest Terraform fleetform runs: `-json` output, `-lock-timeout`, `terraform_data`.
    public static let minimumSupported = TerraformVersion(major: 1, minor: 5, patch: 0)

    /// The first Terraform whose S3 backend locks with a lock file in the bucket
    /// (`use_lockfile`), which S3 state needs (no DynamoDB table).
    public static let s3LockFile = TerraformVersion(major: 1, minor: 10, patch: 0)

    public var description: String { "\(major).\(minor).\(patch)" }

    public static func < (lhs: TerraformVersion, rhs: TerraformVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }
}

/// Finds the terraform binary: `--terraform PATH` when given, else the first executable
/// `terraform` on `PATH`.
public enum TerraformLocator {
    public static func locate(explicit: String?, environment: [String: String]) throws(TerraformError) -> String {
        // Absolute, because jobs run terraform with the workspace as working directory.
        if let explicit, !explicit.isEmpty {
            guard isExecutable(explicit) else { throw .notExecutable(explicit) }
            return URL(fileURLWithPath: explicit).standardizedFileURL.path
        }
        let searchPath = environment["PATH"] ?? ""
        for directory in searchPath.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/terraform"
            if isExecutable(candidate) { return URL(fileURLWithPath: candidate).standardizedFileURL.path }
        }
        throw .notFound("PATH=\(searchPath)")
    }

    private static func isExecutable(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
            && FileManager.default.isExecutableFile(atPath: path)
    }
}
