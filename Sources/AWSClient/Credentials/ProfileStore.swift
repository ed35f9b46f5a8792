import Foundation

/// The profiles of the shared credentials file and the shared config file, merged.
///
/// A profile may be split across both files (keys in `~/.aws/credentials`, `region` and
/// `role_arn` in `~/.aws/config`); where both set the same key, the credentials file
/// wins, as in the AWS CLI. Missing files are simply empty: most machines have only one.
struct ProfileStore: Sendable {
    var profiles: [String: AWSProfile]
    /// The config file's `[sso-session NAME]` sections (keys lower-case), by NAME.
    var ssoSessions: [String: [String: String]] = [:]
    /// The files consulted, credentials file first, for error messages.
    var files: [String]

    init(profiles: [String: AWSProfile], files: [String], ssoSessions: [String: [String: String]] = [:]) {
        self.profiles = profiles
        self.files = files
        self.ssoSessions = ssoSessions
    }

    /// Reads `AWS_SHARED_CREDENTIALS_FILE` (else `~/.aws/credentials`) and `AWS_CONFIG_FILE`
    /// (else `~/.aws/config`); a leading `~` in those variables is the home directory.
    static func load(environment: [String: String], homeDirectory: String) throws(AWSConfigurationError) -> ProfileStore {
        let credentialsPath = path(environment["AWS_SHARED_CREDENTIALS_FILE"], default: ".aws/credentials", home: homeDirectory)
        let configPath = path(environment["AWS_CONFIG_FILE"], default: ".aws/config", home: homeDirectory)
        let credentials = try read(credentialsPath)?.credentialsFileProfiles ?? [:]
        let configFile = try read(configPath)
        let config = configFile?.configFileProfiles ?? [:]
        var merged: [String: AWSProfile] = [:]
        for name in Set(credentials.keys).union(config.keys) {
            let settings = (config[name] ?? [:]).merging(credentials[name] ?? [:]) { _, fromCredentials in fromCredentials }
            merged[name] = AWSProfile(name: name, settings: settings)
        }
        return ProfileStore(profiles: merged, files: [credentialsPath, configPath], ssoSessions: configFile?.ssoSessions ?? [:])
    }

    func profile(_ name: String) -> AWSProfile? {
        profiles[name]
    }

    private static func path(_ configured: String?, default relative: String, home: String) -> String {
        guard let configured, !configured.isEmpty else {
            return URL(fileURLWithPath: home).appendingPathComponent(relative).path
        }
        if configured == "~" { return home }
        if configured.hasPrefix("~/") {
            return URL(fileURLWithPath: home).appendingPathComponent(String(configured.dropFirst(2))).path
        }
        return configured
    }

    /// The parsed file, or nil when there is no file at `path`.
    private static func read(_ path: String) throws(AWSConfigurationError) -> SharedConfigFile? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        // Read through a file handle: `/dev/null`, the usual way to switch a file off,
        // is a device that Data(contentsOf:) refuses on Linux.
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .unreadableFile(path: path, reason: "permission denied")
        }
        defer { try? handle.close() }
        do {
            let data = try handle.readToEnd() ?? Data()
            return SharedConfigFile(parsing: String(decoding: data, as: UTF8.self))
        } catch {
            throw .unreadableFile(path: path, reason: (error as NSError).localizedFailureReason ?? "\(error.localizedDescription)")
        }
    }
}
