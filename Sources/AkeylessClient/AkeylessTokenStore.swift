/// The one token of a client: obtained on first use, replaced when the API says it
/// expired, and shared by every concurrent caller, who then wait for a single `auth`
/// call instead of each logging in.
actor AkeylessTokenStore {
    private let authenticate: @Sendable () async throws -> AkeylessSecret
    private var token: AkeylessSecret?
    private var pending: Task<AkeylessSecret, any Error>?
    /// Successful logins so far.
    private(set) var logins = 0

    init(authenticate: @escaping @Sendable () async throws -> AkeylessSecret) {
        self.authenticate = authenticate
    }

    /// The current token, logging in when there is none.
    func current() async throws -> AkeylessSecret {
        if let token { return token }
        return try await login()
    }

    /// A token other than `stale`: the one another caller already renewed, or a new login.
    func replace(_ stale: AkeylessSecret) async throws -> AkeylessSecret {
        if let token, token != stale { return token }
        token = nil
        return try await login()
    }

    private func login() async throws -> AkeylessSecret {
        if let pending { return try await pending.value }
        let task = Task { try await authenticate() }
        pending = task
        defer { pending = nil }
        let fresh = try await task.value
        token = fresh
        logins += 1
        return fresh
    }
}
