import Foundation
import GRDB

/// A row of the `accounts` table: the account as an import sets it (`spec`), and what
/// fleetform keeps beside it. The fields of `spec` read as the record's own
/// (`record.region`), so the field list is written once, in `AccountSpec`.
@dynamicMemberLookup
public struct AccountRecord: Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "accounts"

    public var spec: AccountSpec
    /// Why the account is disabled; nil while it is enabled.
    public var disabledReason: DisabledReason?
    /// The account's state in AWS Organizations (`ACTIVE`, `SUSPENDED`, …), nil when
    /// unknown. Column `state`; not its onboarding status, nor terraform state.
    public var organizationState: String?
    public var source: AccountSource
    public var createdAt: String
    public var updatedAt: String

    public subscript<Value>(dynamicMember field: WritableKeyPath<AccountSpec, Value>) -> Value {
        get { spec[keyPath: field] }
        set { spec[keyPath: field] = newValue }
    }

    enum CodingKeys: String, CodingKey {
        case accountID = "account_id"
        case name, email
        case ouPath = "ou_path"
        case region
        case roleName = "role_name"
        case accessRoleName = "access_role_name"
        case managementAccountID = "management_account_id"
        case tags
        case accountTags = "account_tags"
        case enabled
        case disabledReason = "disabled_reason"
        case state, source
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public enum Columns {
        public static let accountID = Column(CodingKeys.accountID)
        public static let name = Column(CodingKeys.name)
        public static let ouPath = Column(CodingKeys.ouPath)
        public static let enabled = Column(CodingKeys.enabled)
        public static let source = Column(CodingKeys.source)
    }

    public init(spec: AccountSpec, disabledReason: DisabledReason? = nil, organizationState: String?, source: AccountSource,
                createdAt: String, updatedAt: String) {
        self.spec = spec
        self.disabledReason = spec.enabled ? nil : (disabledReason ?? .user)
        self.organizationState = organizationState
        self.source = source
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public init(
        accountID: String, name: String, email: String?, ouPath: String, region: String, roleName: String,
        accessRoleName: String, managementAccountID: String?, tags: [String: String],
        accountTags: [String: String] = [:], enabled: Bool,
        disabledReason: DisabledReason? = nil, organizationState: String?, source: AccountSource, createdAt: String, updatedAt: String
    ) {
        self.init(
            spec: AccountSpec(accountID: accountID, name: name, email: email, ouPath: ouPath, region: region,
                              roleName: roleName, accessRoleName: accessRoleName,
                              managementAccountID: managementAccountID, tags: tags, accountTags: accountTags,
                              enabled: enabled),
            disabledReason: disabledReason, organizationState: organizationState, source: source, createdAt: createdAt, updatedAt: updatedAt)
    }

    public init(row: Row) throws {
        let accountID: String = row[CodingKeys.accountID.rawValue]
        spec = AccountSpec(
            accountID: accountID,
            name: row[CodingKeys.name.rawValue],
            email: row[CodingKeys.email.rawValue],
            ouPath: row[CodingKeys.ouPath.rawValue],
            region: row[CodingKeys.region.rawValue],
            roleName: row[CodingKeys.roleName.rawValue],
            accessRoleName: row[CodingKeys.accessRoleName.rawValue],
            managementAccountID: row[CodingKeys.managementAccountID.rawValue],
            tags: TagsColumn.decode(row[CodingKeys.tags.rawValue]),
            accountTags: TagsColumn.decode(row[CodingKeys.accountTags.rawValue]),
            enabled: row[CodingKeys.enabled.rawValue])
        disabledReason = try row.decodedIfPresent(CodingKeys.disabledReason.rawValue, table: Self.databaseTableName,
                                                  key: accountID)
        organizationState = row[CodingKeys.state.rawValue]
        source = try row.decoded(CodingKeys.source.rawValue, table: Self.databaseTableName, key: accountID)
        createdAt = row[CodingKeys.createdAt.rawValue]
        updatedAt = row[CodingKeys.updatedAt.rawValue]
    }

    public func encode(to container: inout PersistenceContainer) throws {
        for (column, value) in zip(Self.storedColumns, storedValues) {
            container[column] = value
        }
    }

    /// The columns in `storedValues` order: one list for `encode` and for the bulk
    /// insert of an import.
    static let storedColumns = [
        CodingKeys.accountID, .name, .email, .ouPath, .region, .roleName, .accessRoleName, .managementAccountID,
        .tags, .accountTags, .enabled, .disabledReason, .state, .source, .createdAt, .updatedAt,
    ].map(\.rawValue)

    var storedValues: [(any DatabaseValueConvertible)?] {
        [spec.accountID, spec.name, spec.email, spec.ouPath, spec.region, spec.roleName, spec.accessRoleName,
         spec.managementAccountID, TagsColumn.encode(spec.tags),
         TagsColumn.encode(spec.accountTags), spec.enabled, disabledReason?.rawValue,
         organizationState, source.rawValue, createdAt, updatedAt]
    }

    /// Inserts many records through one prepared statement: GRDB's per-record `insert`
    /// builds a container and looks up its statement for each of 10,000 accounts.
    static func insertAll(_ records: [AccountRecord], _ db: Database) throws {
        guard !records.isEmpty else { return }
        let insert = try db.cachedStatement(sql: """
            INSERT INTO \(databaseTableName) (\(storedColumns.joined(separator: ", ")))
            VALUES (\(Array(repeating: "?", count: storedColumns.count).joined(separator: ", ")))
            """)
        for record in records {
            try insert.execute(arguments: StatementArguments(record.storedValues))
        }
    }
}

/// Where an account's inventory entry last came from.
public enum AccountSource: String, Sendable, Codable, CaseIterable {
    case file
    case organizations
}

/// Why an account takes part in no run. Discovery sets and clears the reasons it finds
/// in Organizations; only the user sets and clears `user`.
public enum DisabledReason: String, Sendable, Codable, CaseIterable {
    /// An inventory file said `enabled: false`.
    case user
    /// Organizations reports the account as not `ACTIVE`.
    case suspended
    /// The organization's management account, left out unless asked for.
    case management
    /// It left the organization (discovery `--prune`) or the inventory file (`--prune`).
    case removed
}

/// A stored value this fleetform does not know: a newer binary wrote it, or the file
/// was edited. Acting on a guess could onboard or destroy the wrong account.
public struct InventoryRowError: Error, Sendable, CustomStringConvertible {
    public var table: String
    public var key: String
    public var column: String
    public var value: String

    public var description: String {
        "the inventory database has an unknown \(column) '\(value)' in \(table) row \(key); upgrade fleetform"
    }
}
