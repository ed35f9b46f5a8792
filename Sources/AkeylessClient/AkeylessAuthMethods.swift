/// An AWS IAM auth method as fleetform wants it: what `auth-method-create-aws-iam` and
/// `auth-method-update-aws-iam` send.
///
/// An update replaces every list it sends: merging bound lists (never dropping accounts
/// someone else bound) is the caller's job, done on what `authMethod(named:)` read.
public struct AkeylessAWSIAMAuthMethodSpec: Sendable, Equatable {
    public var name: String
    /// At least one 12-digit account id: Akeyless refuses an empty list.
    public var boundAWSAccountIDs: [String]
    public var boundRoleNames: [String]
    /// nil leaves the list as it is on update (and empty on create).
    public var boundARNs: [String]?
    public var description: String?
    public var deleteProtection: Bool?

    public init(
        name: String, boundAWSAccountIDs: [String], boundRoleNames: [String] = [], boundARNs: [String]? = nil,
        description: String? = nil, deleteProtection: Bool? = nil
    ) {
        self.name = name
        self.boundAWSAccountIDs = boundAWSAccountIDs
        self.boundRoleNames = boundRoleNames
        self.boundARNs = boundARNs
        self.description = description
        self.deleteProtection = deleteProtection
    }
}

/// An AWS IAM auth method as `auth-method-get` describes it.
public struct AkeylessAWSIAMAuthMethod: Sendable, Equatable {
    public var name: String
    /// What a gateway logs in with (`p-…`): recorded per account.
    public var accessID: String
    public var id: Int?
    public var description: String
    public var deleteProtection: Bool
    /// `aws_iam` for an AWS IAM auth method.
    public var rulesType: String?
    public var boundAWSAccountIDs: [String]
    public var boundRoleNames: [String]
    public var boundARNs: [String]
    public var boundRoleIDs: [String]
    public var boundResourceIDs: [String]
    public var boundUserIDs: [String]
    public var boundUserNames: [String]
    public var stsURL: String?

    public init(
        name: String, accessID: String, id: Int? = nil, description: String = "", deleteProtection: Bool = false,
        rulesType: String? = "aws_iam", boundAWSAccountIDs: [String] = [], boundRoleNames: [String] = [],
        boundARNs: [String] = [], boundRoleIDs: [String] = [], boundResourceIDs: [String] = [],
        boundUserIDs: [String] = [], boundUserNames: [String] = [], stsURL: String? = nil
    ) {
        self.name = name
        self.accessID = accessID
        self.id = id
        self.description = description
        self.deleteProtection = deleteProtection
        self.rulesType = rulesType
        self.boundAWSAccountIDs = boundAWSAccountIDs
        self.boundRoleNames = boundRoleNames
        self.boundARNs = boundARNs
        self.boundRoleIDs = boundRoleIDs
        self.boundResourceIDs = boundResourceIDs
        self.boundUserIDs = boundUserIDs
        self.boundUserNames = boundUserNames
        self.stsURL = stsURL
    }

    /// Whether this method already is what `spec` asks for. Bound lists compare as sets
    /// (Akeyless keeps their order, fleetform does not care about it); nil spec fields
    /// are not compared.
    public func matches(_ spec: AkeylessAWSIAMAuthMethodSpec) -> Bool {
        AkeylessNames.normalised(name) == AkeylessNames.normalised(spec.name)
            && Set(boundAWSAccountIDs) == Set(spec.boundAWSAccountIDs)
            && Set(boundRoleNames) == Set(spec.boundRoleNames)
            && (spec.boundARNs.map { Set($0) == Set(boundARNs) } ?? true)
            && (spec.description.map { $0 == description } ?? true)
            && (spec.deleteProtection.map { $0 == deleteProtection } ?? true)
    }
}

/// What `auth-method-create-aws-iam` answers.
public struct AkeylessAuthMethodCreated: Sendable, Equatable {
    public var name: String
    public var accessID: String

    public init(name: String, accessID: String) {
        self.name = name
        self.accessID = accessID
    }
}

// MARK: - Wire format

/// `auth-method-create-aws-iam` / `auth-method-update-aws-iam` (the SDK's
/// `AuthMethodCreateAwsIam` / `AuthMethodUpdateAwsIam`). Optional fields that are nil
/// are not sent, so an update leaves them as they are (the SDK would reset
/// `access-expires`, `jwt-ttl` and `sts-url` to its defaults).
struct AuthMethodAWSIAMBody: Encodable {
    var name: String
    var boundAWSAccountIDs: [String]
    var boundRoleNames: [String]?
    var boundARNs: [String]?
    var description: String?
    var deleteProtection: String?

    init(_ spec: AkeylessAWSIAMAuthMethodSpec) {
        name = spec.name
        boundAWSAccountIDs = spec.boundAWSAccountIDs
        boundRoleNames = spec.boundRoleNames
        boundARNs = spec.boundARNs
        description = spec.description
        deleteProtection = spec.deleteProtection.map { $0 ? "true" : "false" }
    }

    enum CodingKeys: String, CodingKey {
        case name, description
        case boundAWSAccountIDs = "bound-aws-account-id"
        case boundRoleNames = "bound-role-name"
        case boundARNs = "bound-arn"
        case deleteProtection = "delete_protection"
    }
}

/// `AuthMethodCreateOutput`.
struct AuthMethodCreateAnswer: Decodable {
    var accessID: String
    var name: String?

    enum CodingKeys: String, CodingKey {
        case name
        case accessID = "access_id"
    }
}

/// `AuthMethod`, with its `access_info.aws_iam_access_rules`.
struct AuthMethodAnswer: Decodable {
    struct AccessInfo: Decodable {
        var rulesType: String?
        var awsIAMAccessRules: Rules?

        enum CodingKeys: String, CodingKey {
            case rulesType = "rules_type"
            case awsIAMAccessRules = "aws_iam_access_rules"
        }
    }

    /// `AWSIAMAccessRules`: the `bound-*` lists under their answer names.
    struct Rules: Decodable {
        var accountID: [String]?
        var arn: [String]?
        var resourceID: [String]?
        var roleID: [String]?
        var roleName: [String]?
        var userID: [String]?
        var userName: [String]?
        var stsEndpoint: String?

        enum CodingKeys: String, CodingKey {
            case arn
            case accountID = "account_id"
            case resourceID = "resource_id"
            case roleID = "role_id"
            case roleName = "role_name"
            case userID = "user_id"
            case userName = "user_name"
            case stsEndpoint = "sts_endpoint"
        }
    }

    var authMethodName: String?
    var authMethodAccessID: String?
    var authMethodID: Int?
    var description: String?
    var deleteProtection: Bool?
    var accessInfo: AccessInfo?

    enum CodingKeys: String, CodingKey {
        case description
        case authMethodName = "auth_method_name"
        case authMethodAccessID = "auth_method_access_id"
        case authMethodID = "auth_method_id"
        case deleteProtection = "delete_protection"
        case accessInfo = "access_info"
    }

    func method(requestedName: String) -> AkeylessAWSIAMAuthMethod {
        let rules = accessInfo?.awsIAMAccessRules
        return AkeylessAWSIAMAuthMethod(
            name: authMethodName ?? AkeylessNames.normalised(requestedName), accessID: authMethodAccessID ?? "",
            id: authMethodID, description: description ?? "", deleteProtection: deleteProtection ?? false,
            rulesType: accessInfo?.rulesType,
            boundAWSAccountIDs: rules?.accountID ?? [], boundRoleNames: rules?.roleName ?? [],
            boundARNs: rules?.arn ?? [], boundRoleIDs: rules?.roleID ?? [], boundResourceIDs: rules?.resourceID ?? [],
            boundUserIDs: rules?.userID ?? [], boundUserNames: rules?.userName ?? [], stsURL: rules?.stsEndpoint)
    }
}

/// The body of the operations that only name an item (`*-get`, `*-delete`).
struct NameBody: Encodable {
    var name: String
}

/// Answers whose content fleetform does not need (`target-delete`'s `{}`).
struct IgnoredAnswer: Decodable {}
