import Foundation

/// The instance profile's credentials from the EC2 instance metadata service, IMDSv2
/// only: a session token from `PUT /latest/api/token` first, then the role name and its
/// credentials with that token. IMDSv1 (no token) is never used: an instance that
/// requires v2 refuses it anyway, and one that allows v1 is open to SSRF through it.
///
/// `AWS_EC2_METADATA_DISABLED=true` skips the service; `AWS_EC2_METADATA_SERVICE_ENDPOINT`
/// moves it (default `http://169.254.169.254`, or `http://[fd00:ec2::254]` with
/// `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6`). A laptop has no metadata service: the
/// transport waits 1 s and a failed connection is not retried, so the chain's last
/// source fails fast.
struct InstanceMetadataCredentials: Sendable {
    static let defaultEndpoint = "http://169.254.169.254"
    static let defaultIPv6Endpoint = "http://[fd00:ec2::254]"
    /// Six hours, as in the SDKs; one token serves the two reads that follow.
    static let tokenTTLSeconds = "21600"
    static let attempts = 2

    var endpoint: URL
    /// Whether the endpoint was configured: then failing to reach it is an error of its
    /// own rather than one more source found empty.
    var isConfigured: Bool

    /// The outcome when the service answers that this instance has no role, or when it
    /// cannot be reached at its default address (most likely: not on EC2).
    enum Outcome: Sendable {
        case credentials(AWSCredentials)
        case absent(String)
    }

    /// nil when `AWS_EC2_METADATA_DISABLED` is `true`.
    init?(environment: [String: String]) throws(AWSConfigurationError) {
        guard environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() != "true" else { return nil }
        if let configured = environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"], !configured.isEmpty {
            guard let url = URL(string: configured.trimmingCharacters(in: .whitespaces)),
                  let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host?.isEmpty == false
            else {
                throw .invalidEndpointURL(variable: "AWS_EC2_METADATA_SERVICE_ENDPOINT", value: configured)
            }
            (endpoint, isConfigured) = (url, true)
        } else {
            let ipv6 = environment["AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"]?.lowercased() == "ipv6"
            (endpoint, isConfigured) = (URL(string: ipv6 ? Self.defaultIPv6Endpoint : Self.defaultEndpoint)!, false)
        }
    }

    var endpointText: String { CredentialEndpoint.display(endpoint) }

    func credentials(context: CredentialContext) async throws -> Outcome {
        let transport = context.transports.instanceMetadata
        func failure(_ reason: String) -> AWSConfigurationError { .instanceMetadataFailed(endpoint: endpointText, reason: reason) }
        func send(_ method: String, _ path: String, _ headers: [String: String]) async throws -> HTTPResponse {
            try await CredentialEndpoint.exchange(
                HTTPRequest(method: method, url: url(path), headers: headers, body: []), transport: transport,
                attempts: Self.attempts, retryUnreachable: false)
        }
        let tokenResponse: HTTPResponse
        do {
            tokenResponse = try await send("PUT", "/latest/api/token", ["X-aws-ec2-metadata-token-ttl-seconds": Self.tokenTTLSeconds])
        } catch let unreachable as CredentialEndpointUnreachable {
            if isConfigured {
                throw AWSConfigurationError.instanceMetadataUnreachable(endpoint: endpointText, reason: unreachable.reason)
            }
            return .absent("cannot reach \(endpointText) (\(unreachable.reason)); set AWS_EC2_METADATA_DISABLED=true to skip it")
        }
        guard tokenResponse.status == 200, !tokenResponse.body.isEmpty else {
            throw failure("PUT /latest/api/token answered HTTP \(tokenResponse.status); fleetform uses IMDSv2 only "
                + "(a 403 often means the instance's hop limit is 1 and this runs in a container).")
        }
        let token = String(decoding: tokenResponse.body, as: UTF8.self)
        let headers = ["X-aws-ec2-metadata-token": token]
        do {
            let roles = try await send("GET", "/latest/meta-data/iam/security-credentials/", headers)
            if roles.status == 404 { return .absent("\(endpointText) says this instance has no IAM role (instance profile)") }
            guard roles.status == 200 else { throw failure("listing the instance's role answered HTTP \(roles.status).") }
            guard let role = String(decoding: roles.body, as: UTF8.self).split(whereSeparator: \.isNewline).first
                .map({ $0.trimmingCharacters(in: .whitespaces) }), !role.isEmpty, !role.contains("/")
            else {
                return .absent("\(endpointText) says this instance has no IAM role (instance profile)")
            }
            let answer = try await send("GET", "/latest/meta-data/iam/security-credentials/\(SigV4Encoding.encode(role))", headers)
            guard answer.status == 200 else {
                throw failure("the credentials of role \(AWSConfigurationError.quoted(role)) answered HTTP \(answer.status).")
            }
            switch MetadataCredentialsDocument.credentials(from: answer.body, now: context.now()) {
            case .success(let credentials): return .credentials(credentials)
            case .failure(let reason): throw failure("the credentials of role \(AWSConfigurationError.quoted(role)): \(reason.text).")
            }
        } catch let unreachable as CredentialEndpointUnreachable {
            throw AWSConfigurationError.instanceMetadataUnreachable(endpoint: endpointText, reason: unreachable.reason)
        }
    }

    /// The endpoint with `path` appended (an endpoint may carry a path prefix of its own).
    private func url(_ path: String) -> URL {
        var base = endpoint.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        return URL(string: base + path)!
    }
}
