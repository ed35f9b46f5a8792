import Foundation

/// What `moto_org.py inspect` found in one member account's IAM.
public struct MemberAccountIAM: Decodable, Sendable {
    public struct Statement: Decodable, Sendable {
        public var sid: String?
        public var effect: String
        public var actions: [String]
        public var resources: [String]
        /// "AWS" / "Service" → identifiers.
        public var principals: [String: [String]]
        /// operator → key → values, e.g. ["StringEquals": ["aws:PrincipalArn": [arn]]].
        public var condition: [String: [String: [String]]]
    }

    public struct Role: Decodable, Sendable {
        public var exists: Bool
        public var name: String?
        public var arn: String?
        public var trustStatements: [Statement]?
        public var tags: [String: String]?
    }

    public struct AttachedPolicy: Decodable, Sendable {
        public var name: String
        public var arn: String
        public var sids: [String]
        public var statements: [Statement]
    }

    public struct InstanceProfile: Decodable, Sendable {
        public var name: String
        public var arn: String
        public var roles: [String]
    }

    public var accountId: String
    /// The account `GetCallerIdentity` named with the assumed credentials (must equal `accountId`).
    public var callerAccount: String
    public var role: Role
    public var attachedPolicies: [AttachedPolicy]
    public var instanceProfiles: [InstanceProfile]
    /// Every role in the account, the access role among them.
    public var roleNames: [String]
    /// Every customer managed policy in the account.
    public var localPolicyNames: [String]
}

extension MotoServer {
    /// Reads `account`'s IAM through `access_role_name` (directly from moto, never through a proxy).
    public func inspectAccount(
        _ account: String, roleName: String = "terraform-akeyless-role",
        accessRoleName: String = "OrganizationAccountAccessRole", key: MotoAccessKey? = nil
    ) throws -> MemberAccountIAM {
        let output = try MotoOrgScript.run([
            "--endpoint", endpoint, "inspect", "--account", account, "--role-name", roleName,
            "--access-role-name", accessRoleName,
        ], key: key)
        return try MotoOrgScript.decoder.decode(MemberAccountIAM.self, from: Data(output.utf8))
    }
}
