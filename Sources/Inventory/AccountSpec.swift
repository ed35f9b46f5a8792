/// One member account as the inventory wants it, after the file's `defaults` are applied.
///
/// This is the input of an import (from a file or, later, from Organizations); what the
/// database holds about the account beyond this (state, history) is in `AccountRecord`.
public struct AccountSpec: Sendable, Equatable {
    public var accountID: String
    public var name: String
    public var email: String?
    public var ouPath: String
    public var region: String
    public var roleName: String
    public var accessRoleName: String
    public var managementAccountID: String?
    /// Resource tags: what the template puts on the IAM objects it creates (`tags` in
    /// the file and the tfvars).
    public var tags: [String: String]
    /// The account's own tags, which select it (`--tag team=payments`): from the file's
    /// `account_tags` or from Organizations (`inventory discover --with-tags`). Never
    /// rendered for terraform, so changing them re-runs nothing.
    public var accountTags: [String: String]
    public var enabled: Bool

    public init(
        accountID: String,
        name: String,
        email: String? = nil,
        ouPath: String = AccountSpec.rootOUPath,
        region: String,
        roleName: String = AccountSpec.defaultRoleName,
        accessRoleName: String = AccountSpec.defaultAccessRoleName,
        managementAccountID: String? = nil,
        tags: [String: String] = [:],
        accountTags: [String: String] = [:],
        enabled: Bool = true
    ) {
        self.accountID = accountID
        self.name = name
        self.email = email
        self.ouPath = ouPath
        self.region = region
        self.roleName = roleName
        self.accessRoleName = accessRoleName
        self.managementAccountID = managementAccountID
        self.tags = tags
        self.accountTags = accountTags
        self.enabled = enabled
    }

    /// The seed's role name; used when neither the account nor `defaults` names one.
    public static let defaultRoleName = "terraform-akeyless-role"
    /// The role AWS Organizations creates in every account it creates.
    public static let defaultAccessRoleName = "OrganizationAccountAccessRole"
    /// The OU path of an account that sits directly under the organization's root.
    public static let rootOUPath = "Root"
}
