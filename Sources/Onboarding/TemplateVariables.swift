import FleetformBasics
import Inventory

/// The values the generated `fleetform.auto.tfvars.json` gives a template for an account.
///
/// `tags` are the resource tags. The account's own tags (`accountTags`, which select it)
/// are left out on purpose: they are not part of what terraform builds, and through the
/// variables they would enter the config hash, so retagging an account in Organizations
/// would re-run terraform on it.
public enum TemplateVariables {
    /// The variable whose presence says a template enters the account through its access
    /// role, and so needs the preflight check.
    public static let accessRoleName = "access_role_name"

    public static func values(for account: AccountRecord) -> [String: JSONValue] {
        var values: [String: JSONValue] = [
            "account_id": .string(account.accountID),
            "region": .string(account.region),
            "role_name": .string(account.roleName),
            accessRoleName: .string(account.accessRoleName),
            "tags": .object(JSONObject(sorted: account.tags.mapValues { JSONValue.string($0) })),
        ]
        if let management = account.managementAccountID {
            values["management_account_id"] = .string(management)
        }
        return values
    }
}
