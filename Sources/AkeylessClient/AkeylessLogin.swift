import AWSClient
import Foundation

/// How the client authenticates (`auth`'s access type) and with what.
///
/// The access key is an `AkeylessSecret` and the AWS credentials redact themselves, so
/// printing a login shows neither.
public enum AkeylessLogin: Sendable, CustomStringConvertible {
    /// `access-type: access_key`: an access id and its access key.
    case accessKey(accessID: String, accessKey: AkeylessSecret)
    /// `access-type: aws_iam`: an access id of an AWS IAM auth method and a cloud id made
    /// from these AWS credentials. A closure, so that a renewed login after the token
    /// expired signs with fresh (possibly refreshed) credentials.
    case awsIAM(accessID: String, credentials: @Sendable () async throws -> AWSCredentials, stsRegion: String?)

    public static let accessTypeVariable = "AKEYLESS_ACCESS_TYPE"
    public static let accessIDVariable = "AKEYLESS_ACCESS_ID"
    public static let accessKeyVariable = "AKEYLESS_ACCESS_KEY"

    /// The access types this client implements, as `auth` spells them.
    public enum AccessType: String, Sendable, CaseIterable {
        case accessKey = "access_key"
        case awsIAM = "aws_iam"
    }

    public var accessID: String {
        switch self {
        case .accessKey(let accessID, _), .awsIAM(let accessID, _, _): accessID
        }
    }

    public var accessType: AccessType {
        switch self {
        case .accessKey: .accessKey
        case .awsIAM: .awsIAM
        }
    }

    /// The login the environment describes: the access type from `accessType` (the
    /// `--akeyless-access-type` parameter), else `AKEYLESS_ACCESS_TYPE`, else `access_key`;
    /// then `AKEYLESS_ACCESS_ID`, and `AKEYLESS_ACCESS_KEY` or `awsCredentials`.
    ///
    /// - Parameter awsCredentials: what an `aws_iam` login signs its cloud id with; the
    ///   caller resolves it (the AWS credential chain), this target does not.
    /// - Throws: `AkeylessError` (configuration) naming the missing variable or the
    ///   unknown access type, never a value.
    public static func resolve(
        accessType: String? = nil, environment: [String: String],
        awsCredentials: (@Sendable () async throws -> AWSCredentials)? = nil, stsRegion: String? = nil
    ) throws -> AkeylessLogin {
        let typeText = [accessType, environment[accessTypeVariable]].compactMap { $0 }.first { !$0.isEmpty }
            ?? AccessType.accessKey.rawValue
        guard let type = AccessType(rawValue: typeText) else {
            throw AkeylessError(
                kind: .configuration, operation: nil,
                message: "Akeyless access type \(AkeylessError.oneLine(typeText)) is not supported (use access_key or aws_iam)")
        }
        guard let accessID = environment[accessIDVariable], !accessID.isEmpty else {
            throw AkeylessError(kind: .configuration, operation: nil, message: "\(accessIDVariable) is not set")
        }
        switch type {
        case .accessKey:
            guard let key = environment[accessKeyVariable], !key.isEmpty else {
                throw AkeylessError(
                    kind: .configuration, operation: nil,
                    message: "\(accessKeyVariable) is not set (needed for the access_key access type)")
            }
            return .accessKey(accessID: accessID, accessKey: AkeylessSecret(key))
        case .awsIAM:
            guard let awsCredentials else {
                throw AkeylessError(
                    kind: .configuration, operation: nil,
                    message: "the aws_iam access type needs AWS credentials and none were given")
            }
            return .awsIAM(accessID: accessID, credentials: awsCredentials, stsRegion: stsRegion)
        }
    }

    public var description: String {
        "\(accessType.rawValue) \(accessID)"
    }
}
