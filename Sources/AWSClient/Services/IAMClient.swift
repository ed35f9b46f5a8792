import Foundation

/// The IAM calls `verify` and adoption need, in one account.
public struct IAMClient: Sendable {
    let client: AWSServiceClient
    static let version = "2010-05-08"

    public struct Role: Sendable, Equatable {
        public var name: String
        public var arn: String
        /// `/` unless the role was created under a path.
        public var path: String
        /// The trust policy as a JSON string (IAM sends it URL-encoded).
        public var trustPolicy: String
    }

    public struct Policy: Sendable, Equatable {
        public var name: String
        public var arn: String
        public var path: String
        public var defaultVersionID: String?
        public var attachmentCount: Int
    }

    public struct AttachedPolicy: Sendable, Equatable {
        public var name: String
        public var arn: String
    }

    public struct InstanceProfile: Sendable, Equatable {
        public var name: String
        public var arn: String
        public var path: String
        public var roleNames: [String]
    }

    /// The role, or nil when IAM says it does not exist.
    public func role(named name: String) async throws -> Role? {
        do {
            let role = try await client.query("GetRole", version: Self.version, parameters: [("RoleName", name)],
                                              as: GetRoleResult.self).role
            let policy = role.assumeRolePolicyDocument.map { $0.removingPercentEncoding ?? $0 } ?? "{}"
            return Role(name: role.roleName, arn: role.arn, path: role.path ?? "/", trustPolicy: policy)
        } catch let error as AWSError where error.code == "NoSuchEntity" {
            return nil
        }
    }

    /// The customer managed policy, or nil when it does not exist.
    public func policy(arn: String) async throws -> Policy? {
        do {
            let policy = try await client.query("GetPolicy", version: Self.version, parameters: [("PolicyArn", arn)],
                                                as: GetPolicyResult.self).policy
            return Policy(name: policy.policyName, arn: policy.arn, path: policy.path ?? "/",
                          defaultVersionID: policy.defaultVersionId, attachmentCount: policy.attachmentCount ?? 0)
        } catch let error as AWSError where error.code == "NoSuchEntity" {
            return nil
        }
    }

    /// How many versions the policy keeps (IAM allows five; updating a policy adds one).
    public func policyVersionCount(arn: String) async throws -> Int {
        var count = 0
        var marker: String?
        repeat {
            var parameters = [("PolicyArn", arn)]
            if let marker { parameters.append(("Marker", marker)) }
            let result = try await client.query("ListPolicyVersions", version: Self.version, parameters: parameters,
                                                as: ListPolicyVersionsResult.self)
            count += result.versions?.member?.count ?? 0
            marker = result.isTruncated == true ? result.marker : nil
        } while marker != nil
        return count
    }

    /// Every managed policy attached to the role, following `Marker` pages.
    public func attachedPolicies(roleName: String) async throws -> [AttachedPolicy] {
        var policies: [AttachedPolicy] = []
        var marker: String?
        repeat {
            var parameters = [("RoleName", roleName)]
            if let marker { parameters.append(("Marker", marker)) }
            let result = try await client.query("ListAttachedRolePolicies", version: Self.version, parameters: parameters,
                                                as: ListAttachedRolePoliciesResult.self)
            policies += (result.attachedPolicies?.member ?? []).map { AttachedPolicy(name: $0.policyName, arn: $0.policyArn) }
            marker = result.isTruncated == true ? result.marker : nil
        } while marker != nil
        return policies
    }

    /// The instance profile, or nil when it does not exist.
    public func instanceProfile(named name: String) async throws -> InstanceProfile? {
        do {
            let profile = try await client.query("GetInstanceProfile", version: Self.version,
                                                 parameters: [("InstanceProfileName", name)],
                                                 as: GetInstanceProfileResult.self).instanceProfile
            return InstanceProfile(name: profile.instanceProfileName, arn: profile.arn, path: profile.path ?? "/",
                                   roleNames: (profile.roles?.member ?? []).map(\.roleName))
        } catch let error as AWSError where error.code == "NoSuchEntity" {
            return nil
        }
    }

    // MARK: Answers

    private struct GetRoleResult: Decodable {
        var role: RoleShape

        struct RoleShape: Decodable {
            var roleName: String
            var arn: String
            var path: String?
            var assumeRolePolicyDocument: String?
        }
    }

    private struct GetPolicyResult: Decodable {
        var policy: PolicyShape

        struct PolicyShape: Decodable {
            var policyName: String
            var arn: String
            var path: String?
            var defaultVersionId: String?
            var attachmentCount: Int?
        }
    }

    private struct ListPolicyVersionsResult: Decodable {
        var versions: Members<Version>?
        var isTruncated: Bool?
        var marker: String?

        struct Version: Decodable {
            var versionId: String
        }
    }

    private struct ListAttachedRolePoliciesResult: Decodable {
        var attachedPolicies: Members<Policy>?
        var isTruncated: Bool?
        var marker: String?

        struct Policy: Decodable {
            var policyName: String
            var policyArn: String
        }
    }

    private struct GetInstanceProfileResult: Decodable {
        var instanceProfile: Profile

        struct Profile: Decodable {
            var instanceProfileName: String
            var arn: String
            var path: String?
            var roles: Members<RoleName>?
        }

        struct RoleName: Decodable {
            var roleName: String
        }
    }
}
