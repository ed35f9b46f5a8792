import AWSClient
import FleetformBasics
import Inventory
import Terraform

/// For `--adopt`: which of a template's IAM objects already exist in an account, looked
/// up through its access role, and the import blocks that take them over.
///
/// Only objects the account's state does not manage yet are looked up. An object that
/// exists but cannot be taken over as the template has it (another path, a policy with
/// no room for a new version, an instance profile holding another role) refuses the
/// whole account before terraform starts, so nothing is half-imported.
public struct AdoptionSurvey: Sendable {
    public var session: AWSSession

    public init(session: AWSSession) {
        self.session = session
    }

    public struct Finding: Sendable, Equatable {
        public var imports: [ImportBlock]
        /// The kinds of the objects imported, in manifest order.
        public var kinds: [AdoptionManifest.ObjectKind]

        public static let nothing = Finding(imports: [], kinds: [])
    }

    /// Why an account cannot be adopted; one line.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// IAM keeps at most five versions of a managed policy; bringing one to the template
    /// writes a new version.
    static let policyVersionLimit = 5

    public func survey(
        account: AccountRecord, manifest: AdoptionManifest, variables: [String: JSONValue], managed: Set<String>
    ) async throws(Refusal) -> Finding {
        let wanted = manifest.objects.filter { !managed.contains($0.address) }
        guard !wanted.isEmpty else { return .nothing }
        let names = try resolveNames(manifest, variables: variables, account: account)
        let partition = AWSPartition(region: account.region).id
        let accessRole = AccessRole.arn(account: account)
        let iam: IAMClient
        do {
            let credentials = try await session.sts().assumeRole(roleARN: accessRole, sessionName: "fleetform-adopt")
            iam = try session.iam(credentials: credentials)
        } catch {
            throw Refusal(description: FailureLine.text(error, context: "adoption look-up, assuming \(accessRole)"))
        }
        let policyARN = names[.policy].map { name in
            "arn:\(partition):iam::\(account.accountID):policy\(manifest.object(.policy)!.path)\(name)"
        }
        var finding = Finding.nothing
        do {
            for object in wanted {
                if let id = try await importID(object, names: names, policyARN: policyARN, iam: iam, account: account) {
                    finding.imports.append(ImportBlock(address: object.address, id: id))
                    finding.kinds.append(object.kind)
                }
            }
        } catch let refusal as Refusal {
            throw refusal
        } catch {
            throw Refusal(description: FailureLine.text(error, context: "adoption look-up in \(account.accountID)"))
        }
        return finding
    }

    /// The import id of an object that exists and may be taken over, nil when it does not exist.
    private func importID(
        _ object: AdoptionManifest.Object, names: [AdoptionManifest.ObjectKind: String], policyARN: String?,
        iam: IAMClient, account: AccountRecord
    ) async throws -> String? {
        let accountID = account.accountID
        switch object.kind {
        case .role:
            let name = names[.role]!
            guard let role = try await iam.role(named: name) else { return nil }
            try checkPath(role.path, of: object, kind: "role", name: name, accountID: accountID)
            return name
        case .policy:
            guard let arn = policyARN, let policy = try await iam.policy(arn: arn) else { return nil }
            let versions = try await iam.policyVersionCount(arn: arn)
            if versions >= Self.policyVersionLimit {
                throw Refusal(description: """
                    cannot adopt policy \(policy.name) in \(accountID): it has \(versions) versions, the most IAM keeps, \
                    and bringing it to the template adds one; delete an old version \
                    (aws iam delete-policy-version) and run again
                    """)
            }
            return arn
        case .instanceProfile:
            let name = names[.instanceProfile]!
            guard let profile = try await iam.instanceProfile(named: name) else { return nil }
            try checkPath(profile.path, of: object, kind: "instance profile", name: name, accountID: accountID)
            let roleName = names[.role]!
            if let other = profile.roleNames.first(where: { $0 != roleName }) {
                throw Refusal(description: """
                    cannot adopt instance profile \(name) in \(accountID): it holds the role \(other), not \(roleName); \
                    remove that role from it (aws iam remove-role-from-instance-profile) and run again
                    """)
            }
            return name
        case .attachment:
            let roleName = names[.role]!
            guard let arn = policyARN else { return nil }
            let attached: [IAMClient.AttachedPolicy]
            do {
                attached = try await iam.attachedPolicies(roleName: roleName)
            } catch let error as AWSError where error.code == "NoSuchEntity" {
                return nil
            }
            return attached.contains { $0.arn == arn } ? "\(roleName)/\(arn)" : nil
        }
    }

    /// An object under another path is another object to the template: terraform would
    /// try to move it, which IAM cannot do, and replace it.
    private func checkPath(
        _ path: String, of object: AdoptionManifest.Object, kind: String, name: String, accountID: String
    ) throws(Refusal) {
        guard path != object.path else { return }
        throw Refusal(description: """
            cannot adopt \(kind) \(name) in \(accountID): its path is \(path), the template's is \(object.path); \
            adopting it would replace it, so fleetform leaves it alone (rename or delete it by hand)
            """)
    }

    private func resolveNames(
        _ manifest: AdoptionManifest, variables: [String: JSONValue], account: AccountRecord
    ) throws(Refusal) -> [AdoptionManifest.ObjectKind: String] {
        var names: [AdoptionManifest.ObjectKind: String] = [:]
        for object in manifest.objects {
            guard let template = object.name else { continue }
            guard let name = template.resolve(variables) else {
                throw Refusal(description: """
                    cannot adopt in \(account.accountID): the \(object.kind.rawValue) name \(template) in \
                    \(AdoptionManifest.fileName) uses a variable fleetform does not set \
                    (it sets \(variables.keys.sorted().joined(separator: ", ")))
                    """)
            }
            names[object.kind] = name
        }
        return names
    }
}
