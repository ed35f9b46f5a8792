/// An AWS target as fleetform wants it: what `target-create-aws` and `target-update-aws` send.
public struct AkeylessAWSTargetSpec: Sendable, Equatable {
    /// A path, `/fleetform/aws/123456789012`; Akeyless adds a missing leading slash.
    public var name: String
    public var region: String
    /// The gateway's own AWS identity instead of stored keys: no access key in Akeyless.
    public var useGatewayCloudIdentity: Bool
    public var description: String?
    public var deleteProtection: Bool?

    public init(
        name: String, region: String, useGatewayCloudIdentity: Bool = true, description: String? = nil,
        deleteProtection: Bool? = nil
    ) {
        self.name = name
        self.region = region
        self.useGatewayCloudIdentity = useGatewayCloudIdentity
        self.description = description
        self.deleteProtection = deleteProtection
    }
}

/// An AWS target as `target-get-details` describes it. Its stored keys, if any, are not
/// read: fleetform's targets have none, and what is not decoded cannot leak.
public struct AkeylessAWSTarget: Sendable, Equatable {
    public var name: String
    public var id: Int?
    /// `aws` for an AWS target.
    public var type: String?
    /// The target's `comment`, which is where the description is kept.
    public var description: String
    public var deleteProtection: Bool
    public var region: String
    public var useGatewayCloudIdentity: Bool
    public var lastVersion: Int?

    public init(
        name: String, id: Int? = nil, type: String? = "aws", description: String = "", deleteProtection: Bool = false,
        region: String, useGatewayCloudIdentity: Bool, lastVersion: Int? = nil
    ) {
        self.name = name
        self.id = id
        self.type = type
        self.description = description
        self.deleteProtection = deleteProtection
        self.region = region
        self.useGatewayCloudIdentity = useGatewayCloudIdentity
        self.lastVersion = lastVersion
    }

    /// Whether this target already is what `spec` asks for, so no update is needed.
    /// Fields the spec leaves nil are not compared.
    public func matches(_ spec: AkeylessAWSTargetSpec) -> Bool {
        AkeylessNames.normalised(name) == AkeylessNames.normalised(spec.name)
            && region == spec.region
            && useGatewayCloudIdentity == spec.useGatewayCloudIdentity
            && (spec.description.map { $0 == description } ?? true)
            && (spec.deleteProtection.map { $0 == deleteProtection } ?? true)
    }
}

/// Item names are paths: Akeyless stores `fleetform/aws/1` as `/fleetform/aws/1`.
public enum AkeylessNames {
    public static func normalised(_ name: String) -> String {
        name.hasPrefix("/") ? name : "/" + name
    }
}

// MARK: - Wire format

/// `target-create-aws` and `target-update-aws` (the SDK's `TargetCreateAws`/`TargetUpdateAws`).
/// `access-key` and `access-key-id` are sent empty: the SDK refuses to send these models
/// without them even when the target uses the gateway's cloud identity.
struct TargetAWSBody: Encodable {
    var name: String
    var accessKeyID = ""
    var accessKey = ""
    var region: String?
    var useGatewayCloudIdentity: Bool?
    var description: String?
    /// `"true"`/`"false"`: a string, under an underscored key, as the SDK's model has it.
    var deleteProtection: String?
    /// Only `target-update-aws` has it.
    var newName: String?

    init(_ spec: AkeylessAWSTargetSpec) {
        name = spec.name
        region = spec.region
        useGatewayCloudIdentity = spec.useGatewayCloudIdentity
        description = spec.description
        deleteProtection = spec.deleteProtection.map { $0 ? "true" : "false" }
    }

    enum CodingKeys: String, CodingKey {
        case name, region, description
        case accessKeyID = "access-key-id"
        case accessKey = "access-key"
        case useGatewayCloudIdentity = "use-gw-cloud-identity"
        case deleteProtection = "delete_protection"
        case newName = "new-name"
    }
}

/// `TargetCreateOutput` / `TargetUpdateOutput`.
struct TargetWriteAnswer: Decodable {
    var targetID: Int?

    enum CodingKeys: String, CodingKey {
        case targetID = "target_id"
    }
}

/// `GetTargetDetailsOutput`: the `Target` and, in `value.aws_target_details`, the AWS fields.
struct TargetDetailsAnswer: Decodable {
    struct Target: Decodable {
        var targetName: String?
        var targetID: Int?
        var targetType: String?
        var comment: String?
        var deleteProtection: Bool?
        var lastVersion: Int?

        enum CodingKeys: String, CodingKey {
            case comment
            case targetName = "target_name"
            case targetID = "target_id"
            case targetType = "target_type"
            case deleteProtection = "delete_protection"
            case lastVersion = "last_version"
        }
    }

    struct Value: Decodable {
        var awsTargetDetails: AWSDetails?

        enum CodingKeys: String, CodingKey {
            case awsTargetDetails = "aws_target_details"
        }
    }

    /// `AWSTargetDetails`, without the key fields.
    struct AWSDetails: Decodable {
        var awsRegion: String?
        var useGatewayCloudIdentity: Bool?

        enum CodingKeys: String, CodingKey {
            case awsRegion = "aws_region"
            case useGatewayCloudIdentity = "use_gw_cloud_identity"
        }
    }

    var target: Target?
    var value: Value?

    func target(requestedName: String) -> AkeylessAWSTarget {
        let details = value?.awsTargetDetails
        return AkeylessAWSTarget(
            name: target?.targetName ?? AkeylessNames.normalised(requestedName),
            id: target?.targetID, type: target?.targetType,
            description: target?.comment ?? "", deleteProtection: target?.deleteProtection ?? false,
            region: details?.awsRegion ?? "", useGatewayCloudIdentity: details?.useGatewayCloudIdentity ?? false,
            lastVersion: target?.lastVersion)
    }
}
