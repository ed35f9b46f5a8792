import AWSClient
import Foundation

/// Builds the AWS session of a command, refusing endpoint variables that are not URLs
/// (silently ignoring one would send the management account's credentials to real AWS
/// when the user meant a local endpoint) and a region that is not a region name (it
/// would become part of the host names signed requests go to). Both are usage errors.
public enum AWSSessions {
    public static func make(environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(OnboardingFailure) -> AWSSession {
        let session = AWSSession(environment: environment)
        do {
            try EndpointResolver.validate(environment: environment)
            _ = try session.region()
        } catch {
            // The do block throws only AWSConfigurationError.
            switch error {
            case .invalidEndpointURL, .invalidRegion: throw OnboardingFailure(.usage, "\(error)")
            // A missing profile or an unreadable file is reported where credentials are needed.
            default: break
            }
        }
        return session
    }

    /// A session whose credentials were resolved once, up front: a source that is
    /// broken (an expired SSO sign-in, a token file that is not there) is one error for
    /// the command, `<command>: <why>`, instead of the same failure on every account's line.
    public static func resolved(
        environment: [String: String] = ProcessInfo.processInfo.environment, command: String, hint: String = ""
    ) async throws(OnboardingFailure) -> AWSSession {
        let session = try make(environment: environment)
        do {
            _ = try await session.credentials()
        } catch {
            throw OnboardingFailure(.failure, "\(command): \(error)\(hint)")
        }
        return session
    }
}
