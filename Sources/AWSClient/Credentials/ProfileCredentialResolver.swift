import Foundation

/// Turns one profile into credentials: its keys, its `credential_process`, or its
/// `role_arn` assumed with the credentials of `source_profile` (itself resolved the same
/// way, so roles can chain).
///
/// The order follows the AWS CLI: in the profile asked for, `role_arn` comes first; in a
/// source profile, keys come first, so `[a] role_arn=… source_profile=a` plus keys
/// assumes the role with a's own keys instead of looping.
struct ProfileCredentialResolver: Sendable {
    var store: ProfileStore
    var environment: [String: String]
    /// The region whose STS endpoint every AssumeRole of this resolution calls.
    var stsRegion: String
    var credentialProcessTimeout: Duration = CredentialChain.defaultCredentialProcessTimeout
    var assumeRole: CredentialChain.RoleAssumer
    var now: @Sendable () -> Date = { Date() }

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
        if let roleARN = profile["role_arn"] { return try await assume(roleARN, profile: profile, path: path + [name]) }
        if let keys = try profile.staticCredentials() { return keys }
        if let command = profile["credential_process"] {
            return try await CredentialProcess(
                profile: name, command: command, environment: environment, timeout: credentialProcessTimeout
            ).run(now: now())
        }
        if profile.usesSSO {
            throw AWSConfigurationError.invalidProfile(
                name: name,
                reason: "it signs in through IAM Identity Center (SSO), which fleetform does not do itself. Run "
                    + "`aws sso login --profile \(name)`, then use a profile with "
                    + "`credential_process = aws configure export-credentials --profile \(name) --format process`.")
        }
        if profile["web_identity_token_file"] != nil {
            throw AWSConfigurationError.invalidProfile(
                name: name, reason: "web_identity_token_file is not supported; use credential_process or access keys.")
        }
        throw AWSConfigurationError.noCredentials(profile: name, files: store.files)
    }

    private func assume(_ roleARN: String, profile: AWSProfile, path: [String]) async throws -> AWSCredentials {
        if let credentialSource = profile["credential_source"] {
            // Environment credentials already win over every profile, and the instance and
            // container sources need metadata services a command-line tool has no use for.
            throw AWSConfigurationError.invalidProfile(
                name: profile.name, reason: "credential_source = \(credentialSource) is not supported; use source_profile.")
        }
        guard let sourceProfile = profile["source_profile"] else {
            throw AWSConfigurationError.invalidProfile(name: profile.name, reason: "role_arn is set but source_profile is not.")
        }
        let source = try await credentials(for: sourceProfile, path: path)
        let sessionName = profile["role_session_name"] ?? "fleetform-\(Int(now().timeIntervalSince1970))"
        return try await assumeRole(source, roleARN, sessionName, profile["external_id"], stsRegion)
    }
}
