import Foundation
import XMLCoder

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
        let body = try await client.query("AssumeRole", version: Self.version, parameters: parameters)
        let response = try XMLAnswer.decode(AssumeRoleResponse.self, from: body, operation: "AssumeRole", service: "STS")
        let credentials = response.assumeRoleResult.credentials
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
        let body = try await client.query("GetCallerIdentity", version: Self.version)
        let response = try XMLAnswer.decode(GetCallerIdentityResponse.self, from: body, operation: "GetCallerIdentity", service: "STS")
        return CallerIdentity(account: response.getCallerIdentityResult.account, arn: response.getCallerIdentityResult.arn)
    }

    private struct AssumeRoleResponse: Decodable {
        var assumeRoleResult: Result

        struct Result: Decodable {
            var credentials: Credentials
            enum CodingKeys: String, CodingKey { case credentials = "Credentials" }
        }

        struct Credentials: Decodable {
            var accessKeyId: String
            var secretAccessKey: String
            var sessionToken: String?
            var expiration: String?
            enum CodingKeys: String, CodingKey {
                case accessKeyId = "AccessKeyId", secretAccessKey = "SecretAccessKey"
                case sessionToken = "SessionToken", expiration = "Expiration"
            }
        }

        enum CodingKeys: String, CodingKey { case assumeRoleResult = "AssumeRoleResult" }
    }

    private struct GetCallerIdentityResponse: Decodable {
        var getCallerIdentityResult: Result

        struct Result: Decodable {
            var account: String
            var arn: String
            enum CodingKeys: String, CodingKey { case account = "Account", arn = "Arn" }
        }

        enum CodingKeys: String, CodingKey { case getCallerIdentityResult = "GetCallerIdentityResult" }
    }
}

/// Decodes XML answers, turning a shape we did not expect into an `AWSError` that names
/// the operation rather than a decoding error nobody can act on.
enum XMLAnswer {
    static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8], operation: String, service: String) throws -> T {
        do {
            let decoder = XMLDecoder()
            decoder.shouldProcessNamespaces = true
            return try decoder.decode(T.self, from: Data(body))
        } catch {
            throw AWSError(service: service, operation: operation, code: "UnexpectedResponse",
                           message: "could not read the answer: \(error)")
        }
    }
}
