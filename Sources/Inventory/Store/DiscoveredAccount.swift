import Foundation

/// An account as AWS Organizations reports it.
public struct DiscoveredAccount: Sendable, Equatable {
    public var accountID: String
    public var name: String
    public var email: String?
    public var ouPath: String
    /// `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`, …
    public var state: String
    /// Whether runs may include it: ACTIVE members are enabled; suspended accounts and
    /// the management account only when asked for.
    public var enabled: Bool
    /// The account's tags in Organizations, which become its account tags; nil when they
    /// were not read (`inventory discover` without `--with-tags`), so that a discovery
    /// that did not look at them leaves the recorded ones as they are.
    public var tags: [String: String]?

    public init(accountID: String, name: String, email: String?, ouPath: String, state: String, enabled: Bool,
                tags: [String: String]? = nil) {
        self.accountID = accountID
        self.name = name
        self.email = email
        self.ouPath = ouPath
        self.state = state
        self.enabled = enabled
        self.tags = tags
    }
}

/// The settings a newly discovered account starts with; accounts already in the
/// inventory keep theirs (region, role names, tags), so discovery never undoes a choice
/// made in an inventory file.
public struct DiscoveryDefaults: Sendable, Equatable {
    public var region: String
    public var roleName: String
    public var accessRoleName: String
    public var managementAccountID: String

    public init(region: String, roleName: String = AccountSpec.defaultRoleName,
                accessRoleName: String = AccountSpec.defaultAccessRoleName, managementAccountID: String) {
        self.region = region
        self.roleName = roleName
        self.accessRoleName = accessRoleName
        self.managementAccountID = managementAccountID
    }
}

extension DiscoveredAccount {
    /// Why Organizations says to leave it out, if it does.
    var disabledReason: DisabledReason? {
        enabled ? nil : (state == "ACTIVE" ? .management : .suspended)
    }

    /// The record of an account discovery sees for the first time, with `defaults`.
    func newRecord(defaults: DiscoveryDefaults, at now: String) -> AccountRecord {
        let spec = AccountSpec(
            accountID: accountID, name: name, email: email, ouPath: ouPath, region: defaults.region,
            roleName: defaults.roleName, accessRoleName: defaults.accessRoleName,
            managementAccountID: defaults.managementAccountID, accountTags: tags ?? [:], enabled: enabled)
        return AccountRecord(spec: spec, disabledReason: disabledReason, organizationState: state, source: .organizations,
                             createdAt: now, updatedAt: now)
    }

    /// What this discovery makes of a known account, the same in every store: its name,
    /// e-mail, OU path, state and enabled flag follow Organizations, its account tags
    /// only when they were read, and everything a file chose (region, role names,
    /// resource tags) stays. A user's choice to disable an account outlives every
    /// discovery: discovery only sets or clears the reasons it finds itself. The caller
    /// compares the result with `stored` to tell an update from nothing.
    func merged(into stored: AccountRecord, defaults: DiscoveryDefaults) -> AccountRecord {
        let reason: DisabledReason? = stored.disabledReason == .user ? .user : disabledReason
        var updated = stored
        updated.name = name
        updated.email = email
        updated.ouPath = ouPath
        updated.organizationState = state
        if let tags { updated.accountTags = tags }
        updated.enabled = reason == nil
        updated.disabledReason = reason
        updated.source = .organizations
        updated.managementAccountID = stored.managementAccountID ?? defaults.managementAccountID
        return updated
    }
}
