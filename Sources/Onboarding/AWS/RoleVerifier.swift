import AWSClient
import FleetformBasics
import Inventory

/// Checks with IAM, in each onboarded account, that the role is still as fleetform
/// recorded it: the role exists with the recorded ARN, its trust policy still lets EC2
/// and the role itself assume it, the policy is attached, and the instance profile
/// holds the role. Catches changes made behind fleetform's back.
public struct RoleVerifier: Sendable {
    public var session: AWSSession
    public var concurrency: Int

    public init(session: AWSSession, concurrency: Int = 16) {
        self.session = session
        self.concurrency = concurrency
    }

    public enum Finding: Sendable, Equatable {
        case asRecorded
        /// The role differs from the record; the reason says how.
        case drifted(String)
        /// The account could not be checked (the access role cannot be assumed, …).
        case unchecked(String)
    }

    public struct Outcome: Sendable, Equatable {
        public var accountID: String
        public var name: String
        public var finding: Finding
    }

    /// Verifies every account and records the findings: drifted accounts become
    /// `drifted` with the reason; a drifted account found as recorded again is
    /// `succeeded` again.
    public func verify(_ onboarded: [(account: AccountRecord, standing: AccountStanding)], database: any InventoryStore) async throws -> [Outcome] {
        let outcomes = await BoundedConcurrency.map(onboarded, limit: concurrency) { account, state in
            Outcome(accountID: account.accountID, name: account.name, finding: await check(account, state))
        }
        for outcome in outcomes {
            switch outcome.finding {
            case .drifted(let reason): try database.markDrifted(accountID: outcome.accountID, reason: reason)
            case .asRecorded: try database.markVerified(accountID: outcome.accountID)
            case .unchecked: break
            }
        }
        return outcomes
    }

    private func check(_ account: AccountRecord, _ state: AccountStanding) async -> Finding {
        guard let roleARN = state.roleARN else { return .unchecked("no role ARN recorded") }
        let accessRole = AccessRole.arn(account: account)
        let iam: IAMClient
        do {
            let credentials = try await session.sts().assumeRole(roleARN: accessRole, sessionName: "fleetform-verify")
            iam = try session.iam(credentials: credentials)
        } catch {
            return .unchecked(FailureLine.text(error, context: "assuming \(accessRole)"))
        }
        do {
            let roleName = String(roleARN.split(separator: "/").last ?? "")
            guard let role = try await iam.role(named: roleName) else {
                return .drifted("role \(roleName) no longer exists")
            }
            guard role.arn == roleARN else {
                return .drifted("role \(roleName) has ARN \(role.arn), recorded \(roleARN)")
            }
            if let problem = TrustPolicyCheck.problem(role.trustPolicy, roleARN: roleARN, accountID: account.accountID) {
                return .drifted("trust policy of \(roleName) \(problem)")
            }
            if let policyARN = state.policyARN {
                let attached = try await iam.attachedPolicies(roleName: roleName)
                if !attached.contains(where: { $0.arn == policyARN }) {
                    return .drifted("policy \(policyARN) is no longer attached to \(roleName)")
                }
            }
            if let profileARN = state.instanceProfileARN {
                let profileName = String(profileARN.split(separator: "/").last ?? "")
                guard let profile = try await iam.instanceProfile(named: profileName) else {
                    return .drifted("instance profile \(profileName) no longer exists")
                }
                if !profile.roleNames.contains(roleName) {
                    return .drifted("instance profile \(profileName) no longer holds \(roleName)")
                }
            }
            return .asRecorded
        } catch {
            // AWS errors name their call: `NoSuchEntity: … (IAM GetRole)`.
            return .unchecked(FailureLine.text(error))
        }
    }
}
