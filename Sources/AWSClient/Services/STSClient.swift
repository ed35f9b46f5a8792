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
            expiration: credentials.expiration.flatMap { try? Date($0, strategy: .iso8601) })
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
