import FleetformBasics
import Foundation

/// Why AWS credentials or settings could not be worked out from the environment and the
/// shared config files.
///
/// Each message says what was looked at and what to change, because these errors reach
/// the user directly. None of them contains a secret key or a session token: they
/// carry names, paths and reasons only.
public enum AWSConfigurationError: Error, Sendable, Equatable {
    /// No source gave credentials; `tried` says, per source in the chain's order, why not.
    case noCredentials(profile: String, files: [String], tried: [String])
    /// One of `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` is set without the other.
    case incompleteEnvironmentCredentials(missing: String)
    /// `AWS_PROFILE` names a profile that neither file defines.
    case profileNotFound(name: String, files: [String])
    /// The profile is defined but its settings cannot be used.
    case invalidProfile(name: String, reason: String)
    /// `source_profile` references lead back to a profile already on the path.
    case sourceProfileCycle([String])
    /// The profile's `credential_process` failed or printed something unusable.
    case credentialProcessFailed(profile: String, reason: String)
    /// A shared config file exists but cannot be read.
    case unreadableFile(path: String, reason: String)
    /// `AWS_ENDPOINT_URL` or `AWS_ENDPOINT_URL_<SERVICE>` is not an absolute http(s) URL.
    case invalidEndpointURL(variable: String, value: String)
    /// No region is set anywhere.
    case noRegion
    /// A region from `source` (`AWS_REGION`, `AWS_DEFAULT_REGION`, or a profile's
    /// `region`) is not a region name; it would become part of a host name.
    case invalidRegion(source: String, value: String)
    /// The profile's `credential_process` ran past its deadline; its process group was killed.
    case credentialProcessTimedOut(profile: String, limit: Duration)
    /// A web identity setting is unusable: the token file is missing, unreadable or empty,
    /// or a token file is set without a role. `setting` names the variable or profile key.
    case webIdentity(setting: String, problem: String)
    /// IAM Identity Center needs a new sign-in: the token cached by `aws sso login` is
    /// missing, expired or was refused by the portal.
    case ssoLoginRequired(profile: String, reason: String)
    /// An IAM Identity Center profile is incomplete, or the portal answered unusably.
    case ssoFailed(profile: String, reason: String)
    /// The container credentials endpoint is not allowed, unreachable or answered unusably.
    case containerCredentials(endpoint: String, reason: String)
    /// The EC2 instance metadata service could not be reached (no answer, refused, timed out).
    case instanceMetadataUnreachable(endpoint: String, reason: String)
    /// The EC2 instance metadata service answered, but not with usable credentials.
    case instanceMetadataFailed(endpoint: String, reason: String)
}

extension AWSConfigurationError: CustomStringConvertible, LocalizedError {
    public var description: String {
        switch self {
        case .noCredentials(let profile, let files, let tried):
            "No AWS credentials found. Tried, in order: \(tried.joined(separator: "; ")). "
                + "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, set AWS_PROFILE to a profile that has credentials, "
                + "or give profile '\(profile)' in \(Self.list(files)) aws_access_key_id and aws_secret_access_key, "
                + "credential_process, sso_session, web_identity_token_file, or role_arn with source_profile."
        case .incompleteEnvironmentCredentials(let missing):
            "\(missing) is not set, but the other AWS access key variable is: set both AWS_ACCESS_KEY_ID and "
                + "AWS_SECRET_ACCESS_KEY, or neither to use a profile."
        case .profileNotFound(let name, let files):
            "AWS profile '\(name)' (from AWS_PROFILE) is not defined in \(Self.list(files)). "
                + "In the credentials file it is the section [\(name)]; in the config file, [profile \(name)]."
        case .invalidProfile(let name, let reason):
            "AWS profile '\(name)': \(reason)"
        case .sourceProfileCycle(let chain):
            "AWS profiles refer to each other in a cycle through source_profile: \(chain.joined(separator: " -> ")). "
                + "The last profile in a chain needs its own credentials."
        case .credentialProcessFailed(let profile, let reason):
            "The credential_process of AWS profile '\(profile)' failed: \(reason)"
        case .unreadableFile(let path, let reason):
            "Cannot read the AWS config file \(path): \(reason)"
        case .invalidEndpointURL(let variable, let value):
            "\(variable) is '\(value)', which is not an absolute http:// or https:// URL."
        case .invalidRegion(let source, let value):
            "\(source) \(Self.quoted(value)): not an AWS region name"
        case .credentialProcessTimedOut(let profile, let limit):
            "credential_process of profile \(profile) did not finish within \(limit.secondsText) (its deadline); "
                + "it and every process it started were killed"
        case .webIdentity(let setting, let problem):
            "Web identity credentials (\(setting)): \(problem)"
        case .ssoLoginRequired(let profile, let reason):
            "IAM Identity Center (SSO) sign-in of AWS profile '\(profile)' \(reason); run aws sso login --profile \(profile)"
        case .ssoFailed(let profile, let reason):
            "IAM Identity Center (SSO) credentials of AWS profile '\(profile)': \(reason)"
        case .containerCredentials(let endpoint, let reason):
            "Container credentials from \(endpoint) (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI): \(reason)"
        case .instanceMetadataUnreachable(let endpoint, let reason):
            "EC2 instance metadata at \(endpoint) cannot be reached (\(reason)); off EC2, set AWS_EC2_METADATA_DISABLED=true, "
                + "or point AWS_EC2_METADATA_SERVICE_ENDPOINT at a running metadata service"
        case .instanceMetadataFailed(let endpoint, let reason):
            "EC2 instance metadata at \(endpoint): \(reason)"
        case .noRegion:
            "No AWS region is configured: set AWS_REGION (or AWS_DEFAULT_REGION), or add region = ... "
                + "to the profile in ~/.aws/config."
        }
    }

    public var errorDescription: String? { description }

    /// A value from the environment or a file, quoted for a message: escaped, and
    /// shortened so that a long value cannot flood the terminal.
    static func quoted(_ value: String) -> String {
        let shown = value.count > 60 ? String(value.prefix(60)) + "…" : value
        return "\"" + UnsafeText.escaped(shown.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "\"", with: "\\\"")) + "\""
    }

    private static func list(_ files: [String]) -> String {
        switch files.count {
        case 0: "the shared AWS files"
        case 1: files[0]
        default: files.dropLast().joined(separator: ", ") + " and " + files.last!
        }
    }
}
