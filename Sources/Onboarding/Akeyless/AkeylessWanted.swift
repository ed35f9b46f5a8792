import AkeylessClient
import Inventory

/// What Akeyless should hold for an onboarded account: the items a sync creates or
/// repairs and verify compares against. Derived from the inventory and the recorded
/// role alone, so that sync and verify cannot disagree about what "as wanted" means.
enum AkeylessWanted {
    /// `<prefix>/<account_id>`, with a leading slash as Akeyless stores it.
    static func targetName(prefix: String, accountID: String) -> String {
        AkeylessNames.normalised(trimmed(prefix) + "/" + accountID)
    }

    /// The shared method's name, or `<name>/<account_id>` for a method per account.
    static func authMethodName(_ name: String, layout: AkeylessLayout, accountID: String) -> String {
        switch layout {
        case .shared: AkeylessNames.normalised(trimmed(name))
        case .perAccount: AkeylessNames.normalised(trimmed(name) + "/" + accountID)
        }
    }

    /// The account's target: the gateway's own identity (no keys in Akeyless), the
    /// account's region, and a description that says where it came from.
    static func target(named name: String, account: AccountRecord, roleARN: String) -> AkeylessAWSTargetSpec {
        AkeylessAWSTargetSpec(
            name: name, region: account.region, useGatewayCloudIdentity: true,
            description: "fleetform: account \(account.accountID) (\(account.name)), OU \(account.ouPath), gateway role \(roleARN)")
    }

    /// What the account adds to an AWS IAM auth method: its ID and its role's name.
    struct Binding: Sendable, Equatable {
        var accountID: String
        var roleName: String
    }

    static func binding(accountID: String, roleARN: String) -> Binding {
        Binding(accountID: accountID, roleName: roleName(fromARN: roleARN))
    }

    /// `arn:aws:iam::1:role/path/name` → `name`: Akeyless binds role names without paths.
    static func roleName(fromARN arn: String) -> String {
        String(arn.split(separator: "/").last ?? Substring(arn))
    }

    private static func trimmed(_ path: String) -> String {
        var path = path
        while path.hasSuffix("/") { path.removeLast() }
        return path
    }
}

/// Bound lists are merged, never replaced: accounts and roles someone else bound to a
/// method stay bound. Order is kept (new entries go last), so an unchanged method
/// compares equal and is not written.
enum AkeylessBindingMerge {
    /// The method with `bindings` added, or nil when it already holds them all.
    ///
    /// - Throws: `Refusal` when the method binds accounts without naming roles: adding
    ///   role names would restrict those accounts to fleetform's roles.
    static func adding(_ bindings: [AkeylessWanted.Binding], to method: AkeylessAWSIAMAuthMethod)
        throws(Refusal) -> AkeylessAWSIAMAuthMethodSpec? {
        if method.boundRoleNames.isEmpty && !method.boundAWSAccountIDs.isEmpty {
            throw Refusal(description: """
                auth method \(method.name) binds \(method.boundAWSAccountIDs.count) accounts with any role name; adding \
                role names would restrict them: use another --auth-method or --auth-method-per-account
                """)
        }
        let accounts = appending(bindings.map(\.accountID), to: method.boundAWSAccountIDs)
        let roles = appending(bindings.map(\.roleName), to: method.boundRoleNames)
        guard accounts != method.boundAWSAccountIDs || roles != method.boundRoleNames else { return nil }
        return AkeylessAWSIAMAuthMethodSpec(name: method.name, boundAWSAccountIDs: accounts, boundRoleNames: roles)
    }

    /// The method without these accounts, or nil when it binds none of them. Role names
    /// stay: a role name alone admits nobody, and another account may share it.
    static func removing(_ accountIDs: Set<String>, from method: AkeylessAWSIAMAuthMethod) -> AkeylessAWSIAMAuthMethodSpec? {
        let accounts = method.boundAWSAccountIDs.filter { !accountIDs.contains($0) }
        guard accounts != method.boundAWSAccountIDs else { return nil }
        return AkeylessAWSIAMAuthMethodSpec(name: method.name, boundAWSAccountIDs: accounts, boundRoleNames: method.boundRoleNames)
    }

    private static func appending(_ values: [String], to list: [String]) -> [String] {
        var result = list
        var seen = Set(list)
        for value in values where seen.insert(value).inserted { result.append(value) }
        return result
    }

    struct Refusal: Error, Sendable, CustomStringConvertible {
        var description: String
    }
}
