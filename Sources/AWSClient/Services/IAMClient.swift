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
        try await allPages("ListPolicyVersions", [("PolicyArn", arn)], as: ListPolicyVersionsResult.self) {
            $0.versions?.member ?? []
        }.count
    }

    /// Every managed policy attached to the role.
    public func attachedPolicies(roleName: String) async throws -> [AttachedPolicy] {
        try await allPages("ListAttachedRolePolicies", [("RoleName", roleName)], as: ListAttachedRolePoliciesResult.self) {
            $0.attachedPolicies?.member ?? []
        }.map { AttachedPolicy(name: $0.policyName, arn: $0.policyArn) }
    }

    /// Every item of a listing, following `Marker` while IAM says the page is truncated.
    private func allPages<Page: MarkerPage, Item>(
        _ action: String, _ parameters: [(String, String)], as page: Page.Type, items: (Page) -> [Item]
    ) async throws -> [Item] {
        var all: [Item] = []
        var marker: String?
        repeat {
            let pageParameters = parameters + (marker.map { [("Marker", $0)] } ?? [])
            let result = try await client.query(action, version: Self.version, parameters: pageParameters, as: Page.self)
            all += items(result)
            marker = result.isTruncated == true ? result.marker : nil
        } while marker != nil
        return all
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

    /// A listing page: IAM's `IsTruncated` and `Marker`.
    private protocol MarkerPage: Decodable {
        var isTruncated: Bool? { get }
        var marker: String? { get }
    }

    private struct ListPolicyVersionsResult: MarkerPage {
        var versions: Members<Version>?
        var isTruncated: Bool?
        var marker: String?

        struct Version: Decodable {
            var versionId: String
        }
    }

    private struct ListAttachedRolePoliciesResult: MarkerPage {
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
