/// The AWS services fleetform calls.
///
/// The raw value is the service's name in its endpoint variable and, for the signed
/// services, its SigV4 signing name.
public enum AWSService: String, Sendable, CaseIterable {
    /// `sso` is the IAM Identity Center portal (`portal.sso.<region>.amazonaws.com`),
    /// which the credential chain calls with a bearer token, unsigned. `s3` is read for
    /// the state lock objects of S3 state (see `S3Client`).
    case sts, iam, organizations, sso, s3

    /// The name in the credential scope of a signature.
    public var signingName: String {
        self == .sso ? "awsssoportal" : rawValue
    }

    /// The service's own endpoint variable, `AWS_ENDPOINT_URL_<SERVICE ID>` with the
    /// service ID upper-cased (spaces would become underscores; these have none).
    public var endpointVariable: String {
        "AWS_ENDPOINT_URL_\(rawValue.uppercased())"
    }

    /// Whether one endpoint serves the whole partition (IAM, Organizations) rather than one
    /// per region (STS, whose global endpoint AWS now discourages; S3).
    var isGlobal: Bool {
        self != .sts && self != .s3
    }
}
