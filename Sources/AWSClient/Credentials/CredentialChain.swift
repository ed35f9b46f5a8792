import FleetformBasics

/// Finds the caller's AWS credentials and region the way the AWS CLI and SDKs do, so a
/// user's existing setup works unchanged.
///
/// Credentials come from the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN`), else from the profile `AWS_PROFILE` (else `default`) in the
/// shared credentials and config files (`AWS_SHARED_CREDENTIALS_FILE` / `AWS_CONFIG_FILE`
/// move them). A profile can hold keys, a `credential_process`, or a `role_arn` to assume
/// with the credentials of its `source_profile`. Nothing is cached: `resolve()` reads
/// the files again, and callers keep what it returns for as long as it is valid.
///
/// The environment and home directory are passed in, and role assumption is a closure,
/// so tests run against temporary files and a fake STS.
public struct CredentialChain: Sendable {
    /// Calls STS AssumeRole: the source credentials, the role, the session name, the
    /// external ID, and the region of the STS endpoint to call.
    public typealias RoleAssumer = @Sendable (
        _ source: AWSCredentials, _ roleARN: String, _ sessionName: String, _ externalID: String?, _ region: String
    ) async throws -> AWSCredentials

    /// The region STS is called in when no region is configured; its endpoint serves every
    /// commercial-partition account.
    public static let defaultSTSRegion = "us-east-1"

    /// How long a `credential_process` may run before it is killed: the AWS SDKs' default.
    public static let defaultCredentialProcessTimeout: Duration = .seconds(60)

    public let environment: [String: String]
    public let homeDirectory: String
    /// How long a profile's `credential_process` may run (60 s, as in the AWS SDKs).
    public let credentialProcessTimeout: Duration
    private let assumeRole: RoleAssumer

    public init(
        environment: [String: String], homeDirectory: String,
        credentialProcessTimeout: Duration = defaultCredentialProcessTimeout, assumeRole: @escaping RoleAssumer
    ) {
        self.environment = environment
        self.homeDirectory = homeDirectory
        self.credentialProcessTimeout = credentialProcessTimeout
        self.assumeRole = assumeRole
    }

    /// The profile in use: `AWS_PROFILE`, else `default`.
    public var profileName: String {
        variable("AWS_PROFILE") ?? "default"
    }

    /// The credentials to use, in the standard order (see the type's documentation).
    ///
    /// Errors from the role assumer (an AccessDenied from STS, say) are passed through
    /// unchanged, so callers can tell them apart from configuration mistakes.
    public func resolve() async throws -> AWSCredentials {
        if let credentials = try environmentCredentials() { return credentials }
        let store = try ProfileStore.load(environment: environment, homeDirectory: homeDirectory)
        guard store.profile(profileName) != nil else {
            if variable("AWS_PROFILE") != nil { throw AWSConfigurationError.profileNotFound(name: profileName, files: store.files) }
            throw AWSConfigurationError.noCredentials(profile: profileName, files: store.files)
        }
        let resolver = ProfileCredentialResolver(
            store: store, environment: environment,
            stsRegion: try region(store: store) ?? Self.defaultSTSRegion,
            credentialProcessTimeout: credentialProcessTimeout,
            assumeRole: assumeRole)
        return try await resolver.credentials(for: profileName)
    }

    /// `AWS_REGION`, then `AWS_DEFAULT_REGION`, then the profile's `region`; nil when none
    /// is set. The files are read only when neither variable is set.
    ///
    /// The region in use must be a region name (`AWSRegionName`): it goes into host names,
    /// and `AWS_REGION='evil.com#'` would otherwise send signed requests and the session
    /// token to that host. The error names the variable or the profile.
    public func region() throws(AWSConfigurationError) -> String? {
        if let region = try variableRegion() { return region }
        let store = try ProfileStore.load(environment: environment, homeDirectory: homeDirectory)
        if store.profile(profileName) == nil, variable("AWS_PROFILE") != nil {
            throw .profileNotFound(name: profileName, files: store.files)
        }
        return try region(store: store)
    }

    private func region(store: ProfileStore) throws(AWSConfigurationError) -> String? {
        if let region = try variableRegion() { return region }
        guard let region = store.profile(profileName)?["region"] else { return nil }
        guard AWSRegionName.isValid(region) else {
            throw .invalidRegion(source: "region of AWS profile '\(profileName)'", value: region)
        }
        return region
    }

    /// The first of `AWS_REGION` and `AWS_DEFAULT_REGION` that is set, checked.
    private func variableRegion() throws(AWSConfigurationError) -> String? {
        for name in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
            guard let value = variable(name) else { continue }
            guard AWSRegionName.isValid(value) else { throw .invalidRegion(source: name, value: value) }
            return value
        }
        return nil
    }

    /// Keys from the environment, or nil when neither key variable is set. Only one of the
    /// two set is an error rather than a reason to fall back to a profile: silently
    /// using some other identity against a whole organization would be worse.
    func environmentCredentials() throws(AWSConfigurationError) -> AWSCredentials? {
        switch (variable("AWS_ACCESS_KEY_ID"), variable("AWS_SECRET_ACCESS_KEY")) {
        case (nil, nil):
            return nil
        case (let key?, let secret?):
            return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: variable("AWS_SESSION_TOKEN"))
        case (nil, _):
            throw .incompleteEnvironmentCredentials(missing: "AWS_ACCESS_KEY_ID")
        case (_, nil):
            throw .incompleteEnvironmentCredentials(missing: "AWS_SECRET_ACCESS_KEY")
        }
    }

    /// An environment variable, with empty meaning unset.
    private func variable(_ name: String) -> String? {
        guard let value = environment[name], !value.isEmpty else { return nil }
        return value
    }
}
