import Inventory

/// Which accounts a command works on: `--account` IDs and `--ou` path prefixes.
public struct AccountSelection: Sendable, Equatable {
    public var accountIDs: [String]
    public var ouPrefixes: [String]

    public init(accountIDs: [String] = [], ouPrefixes: [String] = []) {
        self.accountIDs = accountIDs
        self.ouPrefixes = ouPrefixes
    }

    public var isEmpty: Bool { accountIDs.isEmpty && ouPrefixes.isEmpty }

    /// The enabled accounts selected, in inventory order. Named accounts must exist and
    /// be enabled: a typo in `--account` must not silently select nothing.
    public func apply(to accounts: [AccountRecord]) throws(SelectionError) -> [AccountRecord] {
        let byID = Dictionary(accounts.map { ($0.accountID, $0) }, uniquingKeysWith: { first, _ in first })
        for id in accountIDs {
            guard let account = byID[id] else { throw .unknownAccount(id) }
            guard account.enabled else { throw .disabledAccount(id, account.name) }
        }
        let wanted = Set(accountIDs)
        return accounts.filter { account in
            guard account.enabled else { return false }
            if isEmpty { return true }
            return wanted.contains(account.accountID) || ouPrefixes.contains { Self.path(account.ouPath, isUnder: $0) }
        }
    }

    /// Narrows `items` (retry candidates, onboarded accounts) to the selection, keeping
    /// their order; all of them without a selection. The one place a list of accounts
    /// other than the inventory is narrowed, so `retry`, `verify` and `export` agree.
    public func narrow<Item>(
        _ items: [Item], accountID: (Item) -> String, database: InventoryDatabase
    ) throws -> [Item] {
        guard !isEmpty else { return items }
        let selected = Set(try apply(to: try database.allAccounts()).map(\.accountID))
        return items.filter { selected.contains(accountID($0)) }
    }

    /// `Root/Workloads` covers `Root/Workloads` and `Root/Workloads/Prod`, not `Root/WorkloadsX`.
    static func path(_ path: String, isUnder prefix: String) -> Bool {
        let trimmed = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        return path == trimmed || path.hasPrefix(trimmed + "/")
    }
}

public enum SelectionError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownAccount(String)
    case disabledAccount(String, String)
    case nothingSelected

    public var description: String {
        switch self {
        case .unknownAccount(let id): "--account \(id): no such account in the inventory"
        case .disabledAccount(let id, let name):
            "--account \(id) (\(name)): the account is disabled in the inventory (enabled: false)"
        case .nothingSelected: "no enabled account matches the selection"
        }
    }
}
