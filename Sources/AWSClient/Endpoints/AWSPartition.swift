/// A group of AWS regions with its own DNS suffix and its own global-service endpoints
/// (the table of botocore's `endpoints.json`).
///
/// A region's partition decides where IAM and Organizations live: each partition
/// answers them in one home region of its own. Credentials of one partition are
/// worthless in another, so a GovCloud, China or ISO region must never fall back to
/// the commercial endpoints. Regions of unknown prefix are treated as commercial,
/// which is where new regions appear.
///
/// Public for the ARNs the use cases build (the access role to assume): an ARN names its
/// partition too, and must agree with the endpoints the call goes to.
public struct AWSPartition: Sendable, Equatable {
    /// The partition's ID, as in ARNs: `aws`, `aws-cn`, `aws-us-gov`, `aws-iso`, …
    public let id: String
    var dnsSuffix: String
    /// The host and signing region of IAM, which is global per partition.
    var iam: (host: String, signingRegion: String)
    /// The host and signing region of Organizations, which is global per partition.
    var organizations: (host: String, signingRegion: String)

    public static func == (lhs: AWSPartition, rhs: AWSPartition) -> Bool {
        lhs.id == rhs.id
    }

    public init(region: String) {
        self = Self.all.first { region.hasPrefix($0.prefix) }?.partition ?? .commercial
    }

    private init(id: String, dnsSuffix: String, iam: (String, String), organizations: (String, String)) {
        self.id = id
        self.dnsSuffix = dnsSuffix
        self.iam = iam
        self.organizations = organizations
    }

    /// The partitions whose global endpoints live in `home`, at `<service>.<home>.<dnsSuffix>`.
    private init(id: String, dnsSuffix: String, home: String) {
        self.init(id: id, dnsSuffix: dnsSuffix, iam: ("iam.\(home).\(dnsSuffix)", home),
                  organizations: ("organizations.\(home).\(dnsSuffix)", home))
    }

    static let commercial = AWSPartition(
        id: "aws", dnsSuffix: "amazonaws.com", iam: ("iam.amazonaws.com", "us-east-1"),
        organizations: ("organizations.us-east-1.amazonaws.com", "us-east-1"))

    /// Every prefix ends in a dash, so `us-iso-` cannot take `us-isob-east-1`.
    private static let all: [(prefix: String, partition: AWSPartition)] = [
        ("us-gov-", AWSPartition(
            id: "aws-us-gov", dnsSuffix: "amazonaws.com", iam: ("iam.us-gov.amazonaws.com", "us-gov-west-1"),
            organizations: ("organizations.us-gov-west-1.amazonaws.com", "us-gov-west-1"))),
        ("cn-", AWSPartition(
            id: "aws-cn", dnsSuffix: "amazonaws.com.cn", iam: ("iam.cn-north-1.amazonaws.com.cn", "cn-north-1"),
            organizations: ("organizations.cn-northwest-1.amazonaws.com.cn", "cn-northwest-1"))),
        ("us-isob-", AWSPartition(id: "aws-iso-b", dnsSuffix: "sc2s.sgov.gov", home: "us-isob-east-1")),
        ("us-isof-", AWSPartition(id: "aws-iso-f", dnsSuffix: "csp.hci.ic.gov", home: "us-isof-south-1")),
        ("us-iso-", AWSPartition(id: "aws-iso", dnsSuffix: "c2s.ic.gov", home: "us-iso-east-1")),
        ("eu-isoe-", AWSPartition(id: "aws-iso-e", dnsSuffix: "cloud.adc-e.uk", home: "eu-isoe-west-1")),
    ]
}
