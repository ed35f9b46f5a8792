import Foundation

/// AWS Security Token Service: who am I, and credentials for a role in another account.
public struct STSClient: Sendable {
    let client: AWSServiceClient
    static let version = "2011-06-15"

    /// Temporary credentials for `roleARN`, valid for `durationSeconds` (15 minutes by
    /// default: fleetform's calls in a member account are short).
    public func assumeRole(
        roleARN: String, sessionName: String, externalID: String? = nil, durationSeconds: Int = 900
    ) async throws -> AWSCredentials {
        var parameters = [("RoleArn", roleARN), ("RoleSessionName", sessionName), ("DurationSeconds", "\(durationSeconds)")]
        if let externalID { parameters.append(("ExternalId", externalID)) }
        let credentials = try await client.query("AssumeRole", version: Self.version, parameters: parameters,
                                                 as: AssumeRoleResult.self).credentials
        return AWSCredentials(
            accessKeyID: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey,
            sessionToken: credentials.sessionToken,
            expiration: credentials.expiration.flatMap(CredentialProcess.parseTimestamp))
    }

    /// Temporary credentials for `roleARN` in exchange for an OIDC token (GitHub Actions,
    /// EKS service accounts). The client must be unsigned: the token is the authorisation.
    public func assumeRoleWithWebIdentity(
        roleARN: String, sessionName: String, token: String, durationSeconds: Int = 3600
    ) async throws -> AWSCredentials {
        let parameters = [("RoleArn", roleARN), ("RoleSessionName", sessionName), ("WebIdentityToken", token),
                          ("DurationSeconds", "\(durationSeconds)")]
        let credentials = try await client.query("AssumeRoleWithWebIdentity", version: Self.version, parameters: parameters,
                                                 as: AssumeRoleResult.self).credentials
        return AWSCredentials(
            accessKeyID: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey,
            sessionToken: credentials.sessionToken,
            expiration: credentials.expiration.flatMap(CredentialProcess.parseTimestamp))
    }

    public struct CallerIdentity: Sendable, Equatable {
        public var account: String
        public var arn: String
    }

    public func callerIdentity() async throws -> CallerIdentity {
        let result = try await client.query("GetCallerIdentity", version: Self.version, as: GetCallerIdentityResult.self)
        return CallerIdentity(account: result.account, arn: result.arn)
    }

    // MARK: Answers

    private struct AssumeRoleResult: Decodable {
        var credentials: Credentials

        struct Credentials: Decodable {
            var accessKeyId: String
            var secretAccessKey: String
            var sessionToken: String?
            var expiration: String?
        }
    }

    private struct GetCallerIdentityResult: Decodable {
        var account: String
        var arn: String
    }
}
