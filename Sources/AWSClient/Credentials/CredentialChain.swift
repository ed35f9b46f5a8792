import FleetformBasics
import Foundation

/// Finds the caller's AWS credentials and region the way the AWS CLI and SDKs do, so a
/// user's existing setup works unchanged: on a laptop, in CI, in a container, on EC2.
///
/// The order is botocore's (`create_credential_resolver`), the first that is configured winning:
/// 1. `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`);
/// 2. the profile's `role_arn` with `source_profile` or `credential_source`;
/// 3. web identity: `AWS_WEB_IDENTITY_TOKEN_FILE` / `AWS_ROLE_ARN`, or the profile's
///    `web_identity_token_file` / `role_arn` (each variable wins over its key);
/// 4. the profile's IAM Identity Center sign-in (`sso_session`, or legacy `sso_start_url`);
/// 5. the profile's keys, then its `credential_process`;
/// 6. container credentials (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` / `_FULL_URI`);
/// 7. EC2 instance metadata, IMDSv2 (unless `AWS_EC2_METADATA_DISABLED=true`).
///
/// The profile is `AWS_PROFILE`, else `default`, in the shared credentials and config
/// files (`AWS_SHARED_CREDENTIALS_FILE` / `AWS_CONFIG_FILE` move them). A profile that
/// `AWS_PROFILE` names must exist; a missing `default` only skips steps 2, 4 and 5. A
/// source that is configured but fails is an error, never a reason to try the next:
/// silently using some other identity against a whole organization would be worse.
/// Nothing is cached here: `resolve()` reads the files again, and `AWSSession` keeps
/// what it returns until shortly before it expires.
///
/// The environment and home directory are passed in, STS is two closures and the
/// other endpoints go through `CredentialTransports`, so tests run against temporary
/// files, a fake STS and local servers.
public struct CredentialChain: Sendable {
    /// Calls STS AssumeRole: the source credentials, the role, the session name, the
    /// external ID, and the region of the STS endpoint to call.
    public typealias RoleAssumer = @Sendable (
        _ source: AWSCredentials, _ roleARN: String, _ sessionName: String, _ externalID: String?, _ region: String
    ) async throws -> AWSCredentials

    /// Calls STS AssumeRoleWithWebIdentity, unsigned: the role, the session name, the
    /// token, and the region of the STS endpoint to call.
    public typealias WebIdentityAssumer = @Sendable (
        _ roleARN: String, _ sessionName: String, _ token: String, _ region: String
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
    private let transports: CredentialTransports
    private let assumeRole: RoleAssumer
    private let assumeRoleWithWebIdentity: WebIdentityAssumer
    var now: @Sendable () -> Date = { Date() }

    /// - Parameters:
    ///   - transports: for the SSO portal, the container endpoint and IMDS.
    ///   - assumeRoleWithWebIdentity: without one, a web identity configuration is an error.
    public init(
        environment: [String: String], homeDirectory: String,
        credentialProcessTimeout: Duration = defaultCredentialProcessTimeout,
        transports: CredentialTransports = .standard(),
        assumeRoleWithWebIdentity: WebIdentityAssumer? = nil,
        assumeRole: @escaping RoleAssumer
    ) {
        self.environment = environment
        self.homeDirectory = homeDirectory
        self.credentialProcessTimeout = credentialProcessTimeout
        self.transports = transports
        self.assumeRole = assumeRole
        self.assumeRoleWithWebIdentity = assumeRoleWithWebIdentity ?? { _, _, _, _ in
            throw AWSConfigurationError.webIdentity(
                setting: "AWS_WEB_IDENTITY_TOKEN_FILE", problem: "this client was built without STS for web identity.")
        }
    }

    /// The profile in use: `AWS_PROFILE`, else `default`.
    public var profileName: String {
        variable("AWS_PROFILE") ?? "default"
    }

    /// The credentials to use, in the standard order (see the type's documentation).
    ///
    /// Errors from STS (an AccessDenied, an InvalidIdentityToken) are passed through
    /// unchanged, so callers can tell them apart from configuration mistakes.
    public func resolve() async throws -> AWSCredentials {
        if let credentials = try Self.environmentKeys(environment) { return credentials }
        var tried = ["AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"]
        let store = try ProfileStore.load(environment: environment, homeDirectory: homeDirectory)
        let profile = store.profile(profileName)
        if profile == nil, variable("AWS_PROFILE") != nil {
            throw AWSConfigurationError.profileNotFound(name: profileName, files: store.files)
        }
        let context = CredentialContext(
            environment: environment, homeDirectory: homeDirectory, transports: transports,
            stsRegion: try region(store: store) ?? Self.defaultSTSRegion, credentialProcessTimeout: credentialProcessTimeout,
            assumeRole: assumeRole, assumeRoleWithWebIdentity: assumeRoleWithWebIdentity, now: now)
        let resolver = ProfileCredentialResolver(store: store, context: context)
        if let profile, profile.assumesRole { return try await resolver.credentials(for: profile.name) }
        if let webIdentity = try WebIdentityCredentials(environment: environment, profile: profile) {
            return try await webIdentity.credentials(context: context)
        }
        tried.append("AWS_WEB_IDENTITY_TOKEN_FILE is not set")
        if let profile {
            if let credentials = try await resolver.ownCredentials(of: profile) { return credentials }
            tried.append("profile '\(profile.name)' holds no credentials")
        } else {
            tried.append("profile 'default' is not defined")
        }
        if let container = try ContainerCredentials(environment: environment) {
            return try await container.credentials(context: context)
        }
        tried.append("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI are not set")
        if let metadata = try InstanceMetadataCredentials(environment: environment) {
            switch try await metadata.credentials(context: context) {
            case .credentials(let credentials): return credentials
            case .absent(let reason): tried.append("EC2 instance metadata: \(reason)")
            }
        } else {
            tried.append("EC2 instance metadata is off (AWS_EC2_METADATA_DISABLED=true)")
        }
        throw AWSConfigurationError.noCredentials(profile: profileName, files: store.files, tried: tried)
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
    static func environmentKeys(_ environment: [String: String]) throws(AWSConfigurationError) -> AWSCredentials? {
        func variable(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
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
