/// The AWS services fleetform calls.
///
/// The raw value is the SigV4 signing name (and the endpoint host prefix), so
/// `service.rawValue` can go straight into the credential scope.
public enum AWSService: String, Sendable, CaseIterable {
    case sts, iam, organizations

    /// The name in the credential scope of a signature.
    public var signingName: String { rawValue }

    /// The service's own endpoint variable, `AWS_ENDPOINT_URL_<SERVICE ID>` with the
    /// service ID upper-cased (spaces would become underscores; these have none).
    public var endpointVariable: String {
        "AWS_ENDPOINT_URL_\(rawValue.uppercased())"
    }

    /// Whether one endpoint serves the whole partition (IAM, Organizations) rather than one
    /// per region (STS, whose global endpoint AWS now discourages).
    var isGlobal: Bool {
        self != .sts
    }
}
