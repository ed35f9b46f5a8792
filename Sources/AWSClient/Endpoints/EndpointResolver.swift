import FleetformBasics
import Foundation

/// Where one service's requests go, the region they are signed for, and which variable
/// chose the URL (for errors: "is the endpoint running? (AWS_ENDPOINT_URL)").
public struct ResolvedEndpoint: Sendable, Equatable {
    public var url: URL
    public var signingRegion: String
    /// `AWS_ENDPOINT_URL_<SERVICE>` or `AWS_ENDPOINT_URL` when one set the URL; nil for AWS's own.
    public var variable: String?
}

/// Where to send a service's requests and which region to sign them for.
///
/// `AWS_ENDPOINT_URL_<SERVICE>` and `AWS_ENDPOINT_URL` (the SDKs' standard variables)
/// point every client at another server, which is how tests reach moto; unless
/// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`. Without them the endpoint is AWS's, by
/// partition. The signing region does not change with a configured URL: a request for a
/// global service is signed for its partition's home region wherever it is sent.
public enum EndpointResolver {
    /// - Parameter region: the configured region (the partition of a global service's endpoint
    ///   follows it; `cn-north-1` means the China IAM). Must be a valid region name: it
    ///   becomes part of a host name, so anything else is refused here too, whatever the
    ///   callers checked.
    public static func endpoint(
        for service: AWSService, region: String, environment: [String: String]
    ) throws(AWSConfigurationError) -> ResolvedEndpoint {
        var resolved = try defaultEndpoint(for: service, region: region)
        if let (variable, url) = configuredURL(for: service, environment: environment) {
            resolved.url = url
            resolved.variable = variable
        }
        return resolved
    }

    /// The AWS endpoint of `service` for `region`.
    public static func defaultEndpoint(for service: AWSService, region: String) throws(AWSConfigurationError) -> ResolvedEndpoint {
        guard AWSRegionName.isValid(region) else { throw .invalidRegion(source: "region", value: region) }
        let partition = AWSPartition(region: region)
        let host: String
        let signingRegion: String
        switch service {
        case .sts: (host, signingRegion) = ("sts.\(region).\(partition.dnsSuffix)", region)
        case .iam: (host, signingRegion) = partition.iam
        case .organizations: (host, signingRegion) = partition.organizations
        case .sso: (host, signingRegion) = ("portal.sso.\(region).\(partition.dnsSuffix)", region)
        case .s3: (host, signingRegion) = ("s3.\(region).\(partition.dnsSuffix)", region)
        }
        return ResolvedEndpoint(url: URL(string: "https://\(host)")!, signingRegion: signingRegion, variable: nil)
    }

    /// The endpoint variables that are set but not usable URLs. `endpoint(for:…)` skips
    /// such a value; call this first to tell the user instead of quietly reaching AWS.
    /// The metadata endpoint variable is checked too: it is not subject to
    /// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`, and a typo there would fall back to the real
    /// 169.254.169.254.
    public static func validate(environment: [String: String]) throws(AWSConfigurationError) {
        if let value = environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"], !value.isEmpty, parse(value) == nil {
            throw .invalidEndpointURL(variable: "AWS_EC2_METADATA_SERVICE_ENDPOINT", value: value)
        }
        guard !ignoresConfiguredEndpoints(environment) else { return }
        for variable in AWSService.allCases.map(\.endpointVariable) + ["AWS_ENDPOINT_URL"] {
            guard let value = environment[variable], !value.isEmpty else { continue }
            guard parse(value) != nil else { throw .invalidEndpointURL(variable: variable, value: value) }
        }
    }

    private static func configuredURL(for service: AWSService, environment: [String: String]) -> (String, URL)? {
        guard !ignoresConfiguredEndpoints(environment) else { return nil }
        for variable in [service.endpointVariable, "AWS_ENDPOINT_URL"] {
            if let value = environment[variable], let url = parse(value) { return (variable, url) }
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

    /// Whether `url` names this machine (127.0.0.0/8, ::1, localhost): a refused
    /// connection there means the server is not running, not a network blip.
    static func isLoopback(_ url: URL) -> Bool {
        guard var host = url.host?.lowercased() else { return false }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" || host.hasSuffix(".localhost") || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}
