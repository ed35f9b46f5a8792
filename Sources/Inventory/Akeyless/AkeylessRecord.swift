/// What fleetform knows of one account's Akeyless side: the target and auth method the
/// last sync used, the access id its gateway logs in with, and how that sync ended.
public struct AkeylessRecord: Sendable, Equatable {
    public var accountID: String
    public var status: AkeylessSyncStatus
    public var apiURL: String
    public var target: String
    public var authMethod: String
    public var layout: AkeylessLayout
    public var accessID: String?
    public var syncedAt: String?
    /// Why the last sync failed, or what verify found different.
    public var error: String?
    public var updatedAt: String

    public init(accountID: String, status: AkeylessSyncStatus, apiURL: String, target: String, authMethod: String,
                layout: AkeylessLayout, accessID: String? = nil, syncedAt: String? = nil, error: String? = nil,
                updatedAt: String) {
        self.accountID = accountID
        self.status = status
        self.apiURL = apiURL
        self.target = target
        self.authMethod = authMethod
        self.layout = layout
        self.accessID = accessID
        self.syncedAt = syncedAt
        self.error = error
        self.updatedAt = updatedAt
    }
}

/// Where an account's Akeyless side stands (`akeyless_state.status`).
public enum AkeylessSyncStatus: String, Sendable, CaseIterable, Codable {
    /// `apply --akeyless` wanted it synced, and its role is not there yet.
    case pending
    case synced
    /// The last sync of it failed; what an earlier one made may still be there.
    case failed
    /// `verify --akeyless` found its target or binding missing or different.
    case drifted
}

/// How accounts are bound to AWS IAM auth methods.
public enum AkeylessLayout: String, Sendable, CaseIterable, Codable {
    /// One method whose bound lists hold every synced account.
    case shared
    /// One method per account, bound to that account only.
    case perAccount = "per_account"
}

/// Where the items of a sync go: the API, the names, the layout. The same for every
/// account of one sync.
public struct AkeylessPlacement: Sendable, Equatable {
    public var apiURL: String
    public var target: String
    public var authMethod: String
    public var layout: AkeylessLayout

    public init(apiURL: String, target: String, authMethod: String, layout: AkeylessLayout) {
        self.apiURL = apiURL
        self.target = target
        self.authMethod = authMethod
        self.layout = layout
    }
}
