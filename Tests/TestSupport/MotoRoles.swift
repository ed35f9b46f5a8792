import Foundation

extension MotoServer {
    /// Creates a role in the management account that is allowed everything and that a
    /// web identity or the account itself may assume; returns its ARN. `key` signs the
    /// calls (needed once moto checks signatures).
    public func createAdministratorRole(name: String, key: MotoAccessKey? = nil) throws -> String {
        let output = try MotoOrgScript.run(
            ["--endpoint", endpoint, "administrator-role", "--name", name], script: "moto_roles.py", key: key)
        struct Created: Decodable { var arn: String }
        return try JSONDecoder().decode(Created.self, from: Data(output.utf8)).arn
    }

    /// Temporary credentials of `roleARN` from moto's AssumeRole, signed with `key`: what
    /// a metadata service or the SSO portal hands out. moto accepts them when it checks
    /// signatures; an IAM user's key sent with a session token it refuses
    /// (InvalidClientTokenId).
    public func temporaryCredentials(roleARN: String, key: MotoAccessKey? = nil) throws -> MotoTemporaryCredentials {
        let output = try MotoOrgScript.run(
            ["--endpoint", endpoint, "assume-role", "--arn", roleARN], script: "moto_roles.py", key: key)
        return try MotoOrgScript.decoder.decode(MotoTemporaryCredentials.self, from: Data(output.utf8))
    }

    /// Lets the next `count` requests through unsigned. AssumeRoleWithWebIdentity is
    /// unsigned in AWS, but a moto 5 that checks signatures answers it with HTTP 500;
    /// every other request stays checked.
    public func allowUnsignedRequests(_ count: Int) throws {
        _ = try MotoOrgScript.run(["--endpoint", endpoint, "allow-unsigned", "--count", String(count)], script: "moto_roles.py")
    }
}

/// A role session's keys from moto.
public struct MotoTemporaryCredentials: Decodable, Sendable {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String
}
