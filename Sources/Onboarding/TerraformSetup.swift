import Foundation
import Terraform

/// Finds terraform (`--terraform` or PATH), checks its version once, and builds the
/// runner with the environment rules of DESIGN.md. State in S3 needs a newer terraform
/// than the rest: its lock is a lock file in the bucket (`use_lockfile`, 1.10).
public enum TerraformSetup {
    public static func runner(
        explicitPath: String?, layout: HomeLayout, environment: [String: String], debugLog: Bool,
        gracePeriod: Duration = .seconds(60), state: StateLocation = .local
    ) async throws(TerraformError) -> (runner: TerraformRunner, version: TerraformVersion) {
        let executable = try TerraformLocator.locate(explicit: explicitPath, environment: environment)
        let overrides = TerraformEnvironment.overrides(
            inherited: environment, pluginCache: layout.pluginCache.path, debugLog: debugLog)
        if overrides["TF_PLUGIN_CACHE_DIR"] != nil {
            try? FileManager.default.createDirectory(at: layout.pluginCache, withIntermediateDirectories: true,
                                                     attributes: [.posixPermissions: 0o700])
        }
        let runner = TerraformRunner(executable: executable, environment: overrides, gracePeriod: gracePeriod)
        let version = try await runner.checkVersion()
        if state.isS3, version < .s3LockFile { throw .tooOldForS3State(executable, version: version.description) }
        return (runner, version)
    }
}
