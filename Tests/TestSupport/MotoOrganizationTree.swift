import Foundation

/// An organization built in moto with OUs and accounts placed in them, for discovery,
/// preflight and verify tests.
public struct MotoOrganizationTree: Decodable, Sendable {
    public var managementAccountId: String
    public var rootId: String
    /// OU path under the root (`Workloads/Prod`) to OU ID.
    public var ous: [String: String]
    /// Account name to account ID.
    public var accounts: [String: String]
}

extension MotoServer {
    /// Creates the OUs (paths under the root, e.g. `Workloads/Prod`) and accounts, each
    /// account moved into its OU (or left under the root when `ou` is nil).
    public func buildTree(ous: [String], accounts: [(name: String, ou: String?)]) throws -> MotoOrganizationTree {
        let accountSpecs = accounts.map { account -> String in
            let ou = account.ou.map { "\"\($0)\"" } ?? "null"
            return "{\"name\": \"\(account.name)\", \"ou\": \(ou)}"
        }
        let spec = "{\"ous\": [\(ous.map { "\"\($0)\"" }.joined(separator: ", "))], \"accounts\": [\(accountSpecs.joined(separator: ", "))]}"
        let output = try MotoOrgScript.run(["--endpoint", endpoint, "tree", "--spec", spec])
        return try MotoOrgScript.decoder.decode(MotoOrganizationTree.self, from: Data(output.utf8))
    }

    public func moveAccount(_ account: String, toOU ouID: String) throws {
        _ = try MotoOrgScript.run(["--endpoint", endpoint, "move", "--account", account, "--ou-id", ouID])
    }

    /// Tags accounts in Organizations (`TagResource`: added to, or replacing, the tags
    /// each has), by account ID, in one run of the script.
    public func tagAccounts(_ tags: [String: [String: String]]) throws {
        let spec = try JSONSerialization.data(withJSONObject: tags, options: [.sortedKeys])
        _ = try MotoOrgScript.run(["--endpoint", endpoint, "tag", "--spec", String(decoding: spec, as: UTF8.self)])
    }

    /// Closes the account: moto marks it SUSPENDED.
    public func closeAccount(_ account: String) throws {
        _ = try MotoOrgScript.run(["--endpoint", endpoint, "close", "--account", account])
    }

    /// Deletes the gateway role in a member account behind fleetform's back.
    public func deleteRole(_ account: String, roleName: String = "terraform-akeyless-role") throws {
        _ = try MotoOrgScript.run(["--endpoint", endpoint, "delete-role", "--account", account, "--role-name", roleName])
    }

    /// Creates the gateway role, its policy, the attachment and the instance profile in
    /// `account` the way the seed's Terraform run by hand would (its trust policy names
    /// the management account). The options make it unsafe to adopt: another path, a
    /// policy with `policyVersions` versions, another role in the instance profile.
    public func createByHand(
        _ account: String, managementAccount: String, roleName: String = "terraform-akeyless-role",
        rolePath: String = "/", policyVersions: Int = 1, profileRole: String? = nil, key: MotoAccessKey? = nil
    ) throws {
        var arguments = ["--endpoint", endpoint, "hand-create", "--account", account, "--management-account",
                         managementAccount, "--role-name", roleName, "--role-path", rolePath,
                         "--policy-versions", "\(policyVersions)"]
        if let profileRole { arguments += ["--profile-role", profileRole] }
        _ = try MotoOrgScript.run(arguments, key: key)
    }
}

/// An IAM user's key in a moto that checks signatures.
public struct MotoAccessKey: Decodable, Sendable {
    public var accessKeyId: String
    public var secretAccessKey: String
}

extension MotoServer {
    /// The number of unauthenticated requests `authSetup` makes: start moto with
    /// `INITIAL_NO_AUTH_ACTION_COUNT` set to this.
    public static let authSetupRequests = authSetupRequests(accounts: 2)

    /// The same for an organization of `accounts` member accounts.
    public static func authSetupRequests(accounts: Int) -> Int { 3 * accounts + 4 }

    /// An organization with `accounts` accounts and a user allowed everything; from then
    /// on moto checks every request's signature.
    public func authSetup(accounts: Int = 2) throws -> MotoAccessKey {
        let output = try MotoOrgScript.run(["--endpoint", endpoint, "auth-setup", "--accounts", "\(accounts)"])
        return try MotoOrgScript.decoder.decode(MotoAccessKey.self, from: Data(output.utf8))
    }
}
