import Foundation

/// The entry point of the AWS client: credentials from the standard chain (resolved
/// once, lazily), the region, endpoints, and clients for the management account or for
/// a member account through an assumed role.
///
/// One session serves one command. Its clients share the command's limits: one
/// `RetryBudget` for all retries, and the list of endpoints found refusing connections.
public final class AWSSession: Sendable {
    public let environment: [String: String]
    public let requests = RequestCounter()
    public let retryBudget: RetryBudget
    private let chain: CredentialChain
    private let transport: any HTTPTransport
    private let retry: RetryPolicy
    private let refused = RefusedEndpoints()
    private let cache: CredentialCache
    /// The region calls are made in when nothing configures one.
    public static let fallbackRegion = "us-east-1"

    /// - Parameters:
    ///   - transport: URLSession with a 30 s idle timeout and a 30 s deadline per request.
    ///   - retry: attempts per call and backoff; its `budget` is shared by every call of the session.
    ///   - credentialProcessTimeout: how long a profile's `credential_process` may run.
    ///   - credentialTransports: for the SSO portal, container and IMDS credentials; by
    ///     default `transport` for the portal and the SDKs' short time limits for the others.
    ///   - credentialRefreshWindow: credentials with less than this many seconds left are
    ///     resolved again before the next call.
    public init(
        environment: [String: String], homeDirectory: String? = nil,
        transport: any HTTPTransport = URLSessionTransport(), retry: RetryPolicy = RetryPolicy(),
        credentialProcessTimeout: Duration = CredentialChain.defaultCredentialProcessTimeout,
        credentialTransports: CredentialTransports? = nil,
        credentialRefreshWindow: TimeInterval = 300
    ) {
        cache = CredentialCache(refreshWindow: credentialRefreshWindow)
        self.environment = environment
        self.transport = transport
        self.retry = retry
        let budget = RetryBudget(total: retry.budget)
        retryBudget = budget
        let home = homeDirectory ?? environment["HOME"] ?? NSHomeDirectory()
        let counter = requests, refused = refused
        // A profile with role_arn + source_profile assumes its role through STS with the
        // source profile's credentials; web identity calls STS unsigned.
        chain = CredentialChain(
            environment: environment, homeDirectory: home, credentialProcessTimeout: credentialProcessTimeout,
            transports: credentialTransports ?? .standard(portal: transport),
            assumeRoleWithWebIdentity: { roleARN, sessionName, token, region in
                let client = AWSServiceClient(
                    service: .sts, endpoint: try EndpointResolver.endpoint(for: .sts, region: region, environment: environment),
                    credentials: nil, transport: transport, retry: retry, budget: budget, refused: refused, counter: counter)
                return try await STSClient(client: client).assumeRoleWithWebIdentity(
                    roleARN: roleARN, sessionName: sessionName, token: token, durationSeconds: 3600)
            }
        ) { source, roleARN, sessionName, externalID, region in
            let client = AWSServiceClient(
                service: .sts, endpoint: try EndpointResolver.endpoint(for: .sts, region: region, environment: environment),
                credentials: { source }, transport: transport, retry: retry, budget: budget, refused: refused,
                counter: counter)
            return try await STSClient(client: client).assumeRole(
                roleARN: roleARN, sessionName: sessionName, externalID: externalID, durationSeconds: 3600)
        }
    }

    /// The configured region, else `us-east-1`. Throws `AWSConfigurationError.invalidRegion`
    /// naming the variable or profile when the configured one is not a region name.
    public func region() throws(AWSConfigurationError) -> String {
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

    /// S3 in `region`, with the caller's own credentials (the state bucket's).
    public func s3(region: String) throws -> S3Client {
        let endpoint = try EndpointResolver.endpoint(for: .s3, region: region, environment: environment)
        return S3Client(client: try client(.s3, region: region, credentials: { try await self.credentials() }),
                        pathStyle: endpoint.variable != nil)
    }

    private func client(
        _ service: AWSService, region: String? = nil, credentials: @escaping @Sendable () async throws -> AWSCredentials
    ) throws -> AWSServiceClient {
        let endpoint = try EndpointResolver.endpoint(for: service, region: try region ?? self.region(), environment: environment)
        return AWSServiceClient(
            service: service, endpoint: endpoint, credentials: credentials, transport: transport, retry: retry,
            budget: retryBudget, refused: refused, counter: requests)
    }
}

/// Keeps the session's credentials and resolves them again shortly before they expire,
/// so a two-hour apply outlives a one-hour role session.
///
/// Concurrent callers share one resolution. A failure of the first resolution is kept
/// for the session: a credential_process or AssumeRole that failed once is not run again
/// for each of 500 accounts. A failed refresh is different: while the old credentials
/// are still valid they go on being used, and once they have expired the failure is
/// thrown but retried after `retryInterval`, so a metadata service that blinked at the
/// wrong moment does not fail the rest of a long run.
actor CredentialCache {
    /// Credentials with less than this left are refreshed (the SDKs use 5 to 15 minutes).
    let refreshWindow: TimeInterval
    let retryInterval: TimeInterval
    private let now: @Sendable () -> Date
    private var current: AWSCredentials?
    private var pending: Task<AWSCredentials, any Error>?
    private var failure: (error: any Error, permanent: Bool, retryAfter: Date)?

    init(refreshWindow: TimeInterval = 300, retryInterval: TimeInterval = 10, now: @escaping @Sendable () -> Date = { Date() }) {
        self.refreshWindow = refreshWindow
        self.retryInterval = retryInterval
        self.now = now
    }

    func get(_ resolve: @escaping @Sendable () async throws -> AWSCredentials) async throws -> AWSCredentials {
        if let current, !isExpiring(current) { return current }
        let task: Task<AWSCredentials, any Error>
        if let pending {
            task = pending
        } else {
            if let failure, failure.permanent || now() < failure.retryAfter {
                if let usable = stillValid { return usable }
                throw failure.error
            }
            task = Task { try await resolve() }
            pending = task
        }
        do {
            let fresh = try await task.value
            if pending == task {
                pending = nil
                current = fresh
                failure = nil
            }
            return fresh
        } catch {
            if pending == task {
                pending = nil
                failure = (error, current == nil, now().addingTimeInterval(retryInterval))
            }
            if let usable = stillValid { return usable }
            throw error
        }
    }

    /// The credentials held, unless they have expired.
    private var stillValid: AWSCredentials? {
        guard let current, !current.isExpired(at: now()) else { return nil }
        return current
    }

    private func isExpiring(_ credentials: AWSCredentials) -> Bool {
        guard let expiration = credentials.expiration else { return false }
        return expiration.timeIntervalSince(now()) < refreshWindow
    }
}
