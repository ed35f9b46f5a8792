import Foundation

/// Credentials from the ECS agent or the EKS Pod Identity agent.
///
/// `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` is a path on the ECS agent at
/// `http://169.254.170.2`; `AWS_CONTAINER_CREDENTIALS_FULL_URI` is a whole URL, which
/// over plain http must name this machine (a loopback address) or one of the agents'
/// link-local addresses, so that the authorization token and the credentials never
/// cross a network in clear text (botocore's rule). The token goes in the
/// `Authorization` header: from `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (read on every
/// call: EKS rotates it) else `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
struct ContainerCredentials: Sendable {
    /// The ECS agent's address for relative URIs.
    static let ecsHost = "169.254.170.2"
    /// Hosts plain http may reach besides loopback: ECS, EKS Pod Identity (IPv4, IPv6).
    static let allowedHTTPHosts: Set<String> = [ecsHost, "169.254.170.23", "fd00:ec2::23", "localhost"]
    /// botocore's: three attempts, a second apart.
    static let attempts = 3
    static let retryDelay: Duration = .seconds(1)

    var url: URL
    var tokenFile: String?
    var token: String?

    /// The configuration, or nil when neither URI variable is set (the relative one wins,
    /// as in the SDKs). A full URI that is not allowed is an error, not a reason to skip.
    init?(environment: [String: String]) throws(AWSConfigurationError) {
        func variable(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        if let relative = variable("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            let path = relative.hasPrefix("/") ? relative : "/" + relative
            guard let url = URL(string: "http://\(Self.ecsHost)\(path)") else {
                throw .containerCredentials(endpoint: "http://\(Self.ecsHost)",
                                            reason: "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is not a URL path.")
            }
            self.url = url
        } else if let full = variable("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
            self.url = try Self.checkedFullURI(full)
        } else {
            return nil
        }
        tokenFile = variable("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
        token = variable("AWS_CONTAINER_AUTHORIZATION_TOKEN")
    }

    /// https anywhere; http only to loopback or the agents' addresses.
    static func checkedFullURI(_ value: String) throws(AWSConfigurationError) -> URL {
        let shown = AWSConfigurationError.quoted(value)
        guard let url = URL(string: value), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            throw .containerCredentials(endpoint: shown, reason: "AWS_CONTAINER_CREDENTIALS_FULL_URI is not an absolute URL.")
        }
        switch scheme {
        case "https":
            return url
        case "http":
            var bare = host.lowercased()
            if bare.hasPrefix("["), bare.hasSuffix("]") { bare = String(bare.dropFirst().dropLast()) }
            guard EndpointResolver.isLoopback(url) || allowedHTTPHosts.contains(bare) else {
                throw .containerCredentials(
                    endpoint: CredentialEndpoint.display(url),
                    reason: "plain http is allowed only to a loopback address or one of \(allowedHTTPHosts.sorted().joined(separator: ", ")); "
                        + "use https for \(host).")
            }
            return url
        default:
            throw .containerCredentials(endpoint: shown, reason: "AWS_CONTAINER_CREDENTIALS_FULL_URI must be http or https.")
        }
    }

    func credentials(context: CredentialContext) async throws -> AWSCredentials {
        let endpoint = CredentialEndpoint.display(url)
        func failure(_ reason: String) -> AWSConfigurationError { .containerCredentials(endpoint: endpoint, reason: reason) }
        var headers = ["Accept": "application/json"]
        if let authorization = try authorization() { headers["Authorization"] = authorization }
        let response: HTTPResponse
        do {
            response = try await CredentialEndpoint.exchange(
                HTTPRequest(method: "GET", url: url, headers: headers, body: []), transport: context.transports.container,
                attempts: Self.attempts, delay: Self.retryDelay, retryUnreachable: true)
        } catch let unreachable as CredentialEndpointUnreachable {
            throw failure("no answer after \(Self.attempts) attempts (\(unreachable.reason)).")
        }
        guard response.status == 200 else {
            let hint = response.status == 401 || response.status == 403
                ? " (check AWS_CONTAINER_AUTHORIZATION_TOKEN or AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)" : ""
            throw failure("it answered HTTP \(response.status)\(hint).")
        }
        switch MetadataCredentialsDocument.credentials(from: response.body, now: context.now()) {
        case .success(let credentials): return credentials
        case .failure(let reason): throw failure(reason.text + ".")
        }
    }

    /// The `Authorization` header's value: the token file (read now) wins over the variable.
    func authorization() throws(AWSConfigurationError) -> String? {
        let endpoint = CredentialEndpoint.display(url)
        var value = token
        if let tokenFile {
            guard let handle = FileHandle(forReadingAtPath: tokenFile) else {
                throw .containerCredentials(
                    endpoint: endpoint,
                    reason: "the token file \(tokenFile) (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE) does not exist or cannot be read.")
            }
            defer { try? handle.close() }
            let data = (try? handle.readToEnd()) ?? Data()
            value = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let value, !value.isEmpty else { return nil }
        // A line break would end the header and start another one of the token's choosing.
        guard !value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) else {
            throw .containerCredentials(endpoint: endpoint, reason: "the authorization token contains a line break.")
        }
        return value
    }
}
