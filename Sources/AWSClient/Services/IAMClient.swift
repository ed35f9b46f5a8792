import Foundation
import XMLCoder

/// The IAM calls `verify` needs, in one account.
public struct IAMClient: Sendable {
    let client: AWSServiceClient
    static let version = "2010-05-08"

    public struct Role: Sendable, Equatable {
        public var name: String
        public var arn: String
        /// The trust policy as a JSON string (IAM sends it URL-encoded).
        public var trustPolicy: String
    }

    public struct AttachedPolicy: Sendable, Equatable {
        public var name: String
        public var arn: String
    }

    public struct InstanceProfile: Sendable, Equatable {
        public var name: String
        public var arn: String
        public var roleNames: [String]
    }

    /// The role, or nil when IAM says it does not exist.
    public func role(named name: String) async throws -> Role? {
        do {
            let body = try await client.query("GetRole", version: Self.version, parameters: [("RoleName", name)])
            let role = try XMLAnswer.decode(GetRoleResponse.self, from: body, operation: "GetRole", service: "IAM").result.role
            let policy = role.assumeRolePolicyDocument.map { $0.removingPercentEncoding ?? $0 } ?? "{}"
            return Role(name: role.roleName, arn: role.arn, trustPolicy: policy)
        } catch let error as AWSError where error.code == "NoSuchEntity" {
            return nil
        }
    }

    /// Every managed policy attached to the role, following `Marker` pages.
    public func attachedPolicies(roleName: String) async throws -> [AttachedPolicy] {
        var policies: [AttachedPolicy] = []
        var marker: String?
        repeat {
            var parameters = [("RoleName", roleName)]
            if let marker { parameters.append(("Marker", marker)) }
            let body = try await client.query("ListAttachedRolePolicies", version: Self.version, parameters: parameters)
            let result = try XMLAnswer.decode(ListAttachedRolePoliciesResponse.self, from: body,
                                              operation: "ListAttachedRolePolicies", service: "IAM").result
            policies += (result.attachedPolicies?.member ?? []).map { AttachedPolicy(name: $0.policyName, arn: $0.policyArn) }
            marker = result.isTruncated == true ? result.marker : nil
        } while marker != nil
        return policies
    }

    /// The instance profile, or nil when it does not exist.
    public func instanceProfile(named name: String) async throws -> InstanceProfile? {
        do {
            let body = try await client.query("GetInstanceProfile", version: Self.version,
                                              parameters: [("InstanceProfileName", name)])
            let profile = try XMLAnswer.decode(GetInstanceProfileResponse.self, from: body,
                                               operation: "GetInstanceProfile", service: "IAM").result.instanceProfile
            return InstanceProfile(name: profile.instanceProfileName, arn: profile.arn,
                                   roleNames: (profile.roles?.member ?? []).map(\.roleName))
        } catch let error as AWSError where error.code == "NoSuchEntity" {
            return nil
        }
    }

    // MARK: Answers

    private struct GetRoleResponse: Decodable {
        var result: Result
        enum CodingKeys: String, CodingKey { case result = "GetRoleResult" }

        struct Result: Decodable {
            var role: RoleShape
            enum CodingKeys: String, CodingKey { case role = "Role" }
        }

        struct RoleShape: Decodable {
            var roleName: String
            var arn: String
            var assumeRolePolicyDocument: String?
            enum CodingKeys: String, CodingKey {
                case roleName = "RoleName", arn = "Arn", assumeRolePolicyDocument = "AssumeRolePolicyDocument"
            }
        }
    }

    private struct ListAttachedRolePoliciesResponse: Decodable {
        var result: Result
        enum CodingKeys: String, CodingKey { case result = "ListAttachedRolePoliciesResult" }

        struct Result: Decodable {
            var attachedPolicies: Members<Policy>?
            var isTruncated: Bool?
            var marker: String?
            enum CodingKeys: String, CodingKey {
                case attachedPolicies = "AttachedPolicies", isTruncated = "IsTruncated", marker = "Marker"
            }
        }

        struct Policy: Decodable {
            var policyName: String
            var policyArn: String
            enum CodingKeys: String, CodingKey { case policyName = "PolicyName", policyArn = "PolicyArn" }
        }
    }

    private struct GetInstanceProfileResponse: Decodable {
        var result: Result
        enum CodingKeys: String, CodingKey { case result = "GetInstanceProfileResult" }

        struct Result: Decodable {
            var instanceProfile: Profile
            enum CodingKeys: String, CodingKey { case instanceProfile = "InstanceProfile" }
        }

        struct Profile: Decodable {
            var instanceProfileName: String
            var arn: String
            var roles: Members<RoleName>?
            enum CodingKeys: String, CodingKey {
                case instanceProfileName = "InstanceProfileName", arn = "Arn", roles = "Roles"
            }
        }

        struct RoleName: Decodable {
            var roleName: String
            enum CodingKeys: String, CodingKey { case roleName = "RoleName" }
        }
    }
}

/// A Query-protocol list: `<List><member>…</member><member>…</member></List>`.
struct Members<Element: Decodable>: Decodable {
    var member: [Element]?
}
