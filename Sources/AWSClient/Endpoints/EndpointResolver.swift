import Foundation

/// Where to send a service's requests and which region to sign them for.
///
/// `AWS_ENDPOINT_URL_<SERVICE>` and `AWS_ENDPOINT_URL` (the SDKs' standard variables)
/// point every client at another server, which is how tests reach moto; unless
/// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`. Without them the endpoint is AWS's, by
/// partition. The signing region does not change with a configured URL: a request for a
/// global service is signed for its partition's home region wherever it is sent.
public enum EndpointResolver {
    /// - Parameter region: the configured region (the partition of a global service's endpoint
    ///   follows it; `cn-north-1` means the China IAM).
    public static func endpoint(for service: AWSService, region: String, environment: [String: String]) -> (url: URL, signingRegion: String) {
        let standard = defaultEndpoint(for: service, region: region)
        guard let configured = configuredURL(for: service, environment: environment) else { return standard }
        return (configured, standard.signingRegion)
    }

    /// The AWS endpoint of `service` for `region`.
    public static func defaultEndpoint(for service: AWSService, region: String) -> (url: URL, signingRegion: String) {
        let partition = AWSPartition(region: region)
        let host: String
        let signingRegion: String
        switch (service, partition) {
        case (.sts, _):
            (host, signingRegion) = ("sts.\(region).\(partition.dnsSuffix)", region)
        case (.iam, .aws):
            (host, signingRegion) = ("iam.amazonaws.com", "us-east-1")
        case (.iam, .govCloud):
            (host, signingRegion) = ("iam.us-gov.amazonaws.com", "us-gov-west-1")
        case (.iam, .china):
            (host, signingRegion) = ("iam.cn-north-1.amazonaws.com.cn", "cn-north-1")
        case (.organizations, .aws):
            (host, signingRegion) = ("organizations.us-east-1.amazonaws.com", "us-east-1")
        case (.organizations, .govCloud):
            (host, signingRegion) = ("organizations.us-gov-west-1.amazonaws.com", "us-gov-west-1")
        case (.organizations, .china):
            (host, signingRegion) = ("organizations.cn-northwest-1.amazonaws.com.cn", "cn-northwest-1")
        }
        return (URL(string: "https://\(host)")!, signingRegion)
    }

    /// The endpoint variables that are set but not usable URLs. `endpoint(for:…)` skips
    /// such a value; call this first to tell the user instead of quietly reaching AWS.
    public static func validate(environment: [String: String]) throws(AWSConfigurationError) {
        guard !ignoresConfiguredEndpoints(environment) else { return }
        for variable in AWSService.allCases.map(\.endpointVariable) + ["AWS_ENDPOINT_URL"] {
            guard let value = environment[variable], !value.isEmpty else { continue }
            guard parse(value) != nil else { throw .invalidEndpointURL(variable: variable, value: value) }
        }
    }

    private static func configuredURL(for service: AWSService, environment: [String: String]) -> URL? {
        guard !ignoresConfiguredEndpoints(environment) else { return nil }
        for variable in [service.endpointVariable, "AWS_ENDPOINT_URL"] {
            if let value = environment[variable], let url = parse(value) { return url }
        }
        return nil
    }

    private static func ignoresConfiguredEndpoints(_ environment: [String: String]) -> Bool {
        environment["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"]?.lowercased() == "true"
    }

    /// An absolute http(s) URL with a host, or nil.
    private static func parse(_ value: String) -> URL? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
        else { return nil }
        return url
    }
}
