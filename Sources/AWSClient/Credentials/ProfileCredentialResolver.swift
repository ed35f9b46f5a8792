import Foundation

/// Turns one profile into credentials: its `role_arn` assumed with the credentials of
/// `source_profile` (itself resolved the same way, so roles can chain) or of a
/// `credential_source`; else its own web identity token file, IAM Identity Center
/// sign-in, keys, or `credential_process`, in botocore's order.
///
/// In the profile asked for, `role_arn` comes first; in a source profile, keys come
/// first, so `[a] role_arn=… source_profile=a` plus keys assumes the role with a's own
/// keys instead of looping (the AWS CLI's rule).
struct ProfileCredentialResolver: Sendable {
    var store: ProfileStore
    var context: CredentialContext

    /// - Parameter path: the profiles that led here through `source_profile`, to detect cycles.
    func credentials(for name: String, path: [String] = []) async throws -> AWSCredentials {
        guard let profile = store.profile(name) else {
            // Only reached through source_profile: the first profile is checked by the chain.
            let referrer = path.last ?? name
            throw AWSConfigurationError.invalidProfile(
                name: referrer,
                reason: "its source_profile '\(name)' is not defined in \(store.files.joined(separator: " or ")).")
        }
        let isSource = !path.isEmpty
        if isSource, let keys = try profile.staticCredentials() { return keys }
        if path.contains(name) { throw AWSConfigurationError.sourceProfileCycle(path + [name]) }
        if profile.assumesRole { return try await assume(profile, path: path + [name]) }
        if let credentials = try await ownCredentials(of: profile) { return credentials }
        throw AWSConfigurationError.invalidProfile(
            name: path.last ?? name,
            reason: isSource
                ? "its source_profile '\(name)' holds no credentials (keys, credential_process, sso_session or web_identity_token_file)."
                : "it holds no credentials (keys, credential_process, sso_session, web_identity_token_file or role_arn).")
    }

    /// The profile's own credentials, without role assumption, in botocore's order: web
    /// identity, IAM Identity Center, keys, `credential_process`. nil when it has none.
    /// The web identity variables are the chain's business, not a profile's.
    func ownCredentials(of profile: AWSProfile) async throws -> AWSCredentials? {
        if let webIdentity = try WebIdentityCredentials(environment: nil, profile: profile) {
            return try await webIdentity.credentials(context: context)
        }
        if profile.usesSSO {
            return try await SSOCredentials(profile: profile, store: store).credentials(context: context)
        }
        if let keys = try profile.staticCredentials() { return keys }
        if let command = profile["credential_process"] {
            return try await CredentialProcess(
                profile: profile.name, command: command, environment: context.environment, timeout: context.credentialProcessTimeout
            ).run(now: context.now())
        }
        return nil
    }

    private func assume(_ profile: AWSProfile, path: [String]) async throws -> AWSCredentials {
        let source: AWSCredentials
        switch (profile["source_profile"], profile["credential_source"]) {
        case (_?, _?):
            throw AWSConfigurationError.invalidProfile(
                name: profile.name, reason: "source_profile and credential_source are both set; keep one.")
        case (let sourceProfile?, nil):
            source = try await credentials(for: sourceProfile, path: path)
        case (nil, let credentialSource?):
            source = try await credentials(fromSource: credentialSource, profile: profile.name)
        case (nil, nil):
            throw AWSConfigurationError.invalidProfile(
                name: profile.name, reason: "role_arn is set but source_profile (or credential_source) is not.")
        }
        let sessionName = profile["role_session_name"] ?? context.defaultSessionName
        return try await context.assumeRole(source, profile["role_arn"]!, sessionName, profile["external_id"], context.stsRegion)
    }

    /// `credential_source = Environment | Ec2InstanceMetadata | EcsContainer`: the named
    /// source must be there; it is the profile's explicit choice, not a fallback.
    private func credentials(fromSource source: String, profile: String) async throws -> AWSCredentials {
        func missing(_ what: String) -> AWSConfigurationError {
            .invalidProfile(name: profile, reason: "credential_source = \(source), but \(what).")
        }
        switch source {
        case "Environment":
            guard let keys = try CredentialChain.environmentKeys(context.environment) else {
                throw missing("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
            }
            return keys
        case "EcsContainer":
            guard let container = try ContainerCredentials(environment: context.environment) else {
                throw missing("neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor AWS_CONTAINER_CREDENTIALS_FULL_URI is set")
            }
            return try await container.credentials(context: context)
        case "Ec2InstanceMetadata":
            guard let metadata = try InstanceMetadataCredentials(environment: context.environment) else {
                throw missing("AWS_EC2_METADATA_DISABLED is true")
            }
            switch try await metadata.credentials(context: context) {
            case .credentials(let credentials): return credentials
            case .absent(let reason): throw missing(reason)
            }
        default:
            throw AWSConfigurationError.invalidProfile(
                name: profile, reason: "credential_source = \(source) is not one of Environment, Ec2InstanceMetadata, EcsContainer.")
        }
    }
}
