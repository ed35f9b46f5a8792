import Foundation

/// The entry point of the AWS client: credentials from the standard chain (resolved
/// once, lazily), the region, endpoints, and clients for the management account or for
/// a member account through an assumed role.
public final class AWSSession: Sendable {
    public let environment: [String: String]
    public let requests = RequestCounter()
    private let chain: CredentialChain
    private let transport: any HTTPTransport
    private let retry: RetryPolicy
    private let cache = CredentialCache()
    /// The region calls are made in when nothing configures one.
    public static let fallbackRegion = "us-east-1"

    public init(
        environment: [String: String], homeDirectory: String? = nil,
        transport: any HTTPTransport = URLSessionTransport(), retry: RetryPolicy = RetryPolicy()
    ) {
        self.environment = environment
        self.transport = transport
        self.retry = retry
        let home = homeDirectory ?? environment["HOME"] ?? NSHomeDirectory()
        let counter = requests
        // A profile with role_arn + source_profile assumes its role through STS with the
        // source profile's credentials.
        chain = CredentialChain(environment: environment, homeDirectory: home) { source, roleARN, sessionName, externalID, region in
            let endpoint = EndpointResolver.endpoint(for: .sts, region: region, environment: environment)
            let client = AWSServiceClient(
                service: .sts, endpoint: endpoint.url, signingRegion: endpoint.signingRegion,
                credentials: { source }, transport: transport, retry: retry, counter: counter)
            return try await STSClient(client: client).assumeRole(
                roleARN: roleARN, sessionName: sessionName, externalID: externalID, durationSeconds: 3600)
        }
    }

    /// The configured region, else `us-east-1`.
    public func region() throws -> String {
        try chain.region() ?? Self.fallbackRegion
    }

    /// The caller's own credentials (the management account's, for discovery).
    public func credentials() async throws -> AWSCredentials {
        try await cache.get { try await self.chain.resolve() }
    }

    public func organizations() throws -> OrganizationsClient {
        OrganizationsClient(client: try client(.organizations, credentials: { try await self.credentials() }))
    }

    public func sts(region: String? = nil) throws -> STSClient {
        STSClient(client: try client(.sts, region: region, credentials: { try await self.credentials() }))
    }

    /// IAM in the account whose credentials these are.
    public func iam(credentials: AWSCredentials) throws -> IAMClient {
        IAMClient(client: try client(.iam, credentials: { credentials }))
    }

    private func client(
        _ service: AWSService, region: String? = nil, credentials: @escaping @Sendable () async throws -> AWSCredentials
    ) throws -> AWSServiceClient {
        let endpoint = EndpointResolver.endpoint(for: service, region: try region ?? self.region(), environment: environment)
        return AWSServiceClient(
            service: service, endpoint: endpoint.url, signingRegion: endpoint.signingRegion, credentials: credentials,
            transport: transport, retry: retry, counter: requests)
    }
}

/// Resolves credentials once; concurrent first callers share one resolution.
actor CredentialCache {
    private var task: Task<AWSCredentials, any Error>?

    func get(_ resolve: @escaping @Sendable () async throws -> AWSCredentials) async throws -> AWSCredentials {
        if let task {
            // A failure is kept too: a credential_process or AssumeRole that failed once
            // is not run again for each of 500 accounts.
            let credentials = try await task.value
            if !Self.isExpiring(credentials) { return credentials }
        }
        let next = Task { try await resolve() }
        task = next
        return try await next.value
    }

    private static func isExpiring(_ credentials: AWSCredentials) -> Bool {
        guard let expiration = credentials.expiration else { return false }
        return expiration.timeIntervalSinceNow < 300
    }
}
