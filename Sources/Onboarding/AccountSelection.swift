import Inventory

/// Which accounts a command works on: `--account` IDs and `--ou` path prefixes (either
/// selects), then `--tag` filters on the account's own tags (all must match), then
/// `--exclude-account` and `--exclude-ou`.
public struct AccountSelection: Sendable, Equatable {
    public var accountIDs: [String]
    public var ouPrefixes: [String]
    public var tags: [TagFilter]
    public var excludedAccountIDs: [String]
    public var excludedOUPrefixes: [String]

    public init(accountIDs: [String] = [], ouPrefixes: [String] = [], tags: [TagFilter] = [],
                excludedAccountIDs: [String] = [], excludedOUPrefixes: [String] = []) {
        self.accountIDs = accountIDs
        self.ouPrefixes = ouPrefixes
        self.tags = tags
        self.excludedAccountIDs = excludedAccountIDs
        self.excludedOUPrefixes = excludedOUPrefixes
    }

    /// `KEY=VALUE` (the tag has that value) or `KEY` (the tag is there), matched
    /// against the account's own tags (`accountTags`: from Organizations or the file's
    /// `account_tags`), never the resource tags the template puts on IAM objects, so
    /// that what a role is tagged with and which accounts a command reaches stay apart.
    public struct TagFilter: Sendable, Equatable, CustomStringConvertible {
        public var key: String
        public var value: String?

        public init(key: String, value: String? = nil) {
            self.key = key
            self.value = value
        }

        /// `KEY=VALUE` or `KEY`; nil for an empty key.
        public init?(_ text: String) {
            let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = parts.first, !key.isEmpty else { return nil }
            self.init(key: String(key), value: parts.count > 1 ? String(parts[1]) : nil)
        }

        func matches(_ tags: [String: String]) -> Bool {
            guard let actual = tags[key] else { return false }
            return value.map { $0 == actual } ?? true
        }

        public var description: String { value.map { "\(key)=\($0)" } ?? key }
    }

    public var isEmpty: Bool {
        accountIDs.isEmpty && ouPrefixes.isEmpty && tags.isEmpty && excludedAccountIDs.isEmpty && excludedOUPrefixes.isEmpty
    }

    private var hasIncludes: Bool { !accountIDs.isEmpty || !ouPrefixes.isEmpty }

    /// The enabled accounts selected, in inventory order. Named accounts must exist and
    /// be enabled: a typo in `--account` must not silently select nothing. A selection
    /// that leaves no account is refused, naming the filter that emptied it.
    public func apply(to accounts: [AccountRecord]) throws(SelectionError) -> [AccountRecord] {
        let byID = Dictionary(accounts.map { ($0.accountID, $0) }, uniquingKeysWith: { first, _ in first })
        for id in accountIDs {
            guard let account = byID[id] else { throw .unknownAccount(id) }
            guard account.enabled else { throw .disabledAccount(id, account.name) }
        }
        let wanted = Set(accountIDs)
        var selected = accounts.filter { account in
            guard account.enabled else { return false }
            guard hasIncludes else { return true }
            return wanted.contains(account.accountID) || ouPrefixes.contains { Self.path(account.ouPath, isUnder: $0) }
        }
        guard !isEmpty else { return selected }
        if selected.isEmpty {
            throw .emptied(by: hasIncludes ? includeText : "the inventory", before: nil)
        }
        // Each filter in turn, so that the error names the one that left nothing.
        var before = (text: hasIncludes ? includeText : "all enabled accounts", count: selected.count)
        for tag in tags {
            selected = selected.filter { tag.matches($0.accountTags) }
            if selected.isEmpty { throw .emptied(by: "--tag \(tag)", before: before) }
            before = ("\(before.text) --tag \(tag)", selected.count)
        }
        let excluded = Set(excludedAccountIDs)
        if !excluded.isEmpty {
            selected = selected.filter { !excluded.contains($0.accountID) }
            if selected.isEmpty {
                throw .emptied(by: excludedAccountIDs.map { "--exclude-account \($0)" }.joined(separator: " "), before: before)
            }
        }
        for prefix in excludedOUPrefixes {
            selected = selected.filter { !Self.path($0.ouPath, isUnder: prefix) }
            if selected.isEmpty { throw .emptied(by: "--exclude-ou \(prefix)", before: before) }
        }
        return selected
    }

    private var includeText: String {
        (accountIDs.map { "--account \($0)" } + ouPrefixes.map { "--ou \($0)" }).joined(separator: " ")
    }

    /// Narrows `items` (retry candidates, onboarded accounts) to the selection, keeping
    /// their order; all of them without a selection. The one place a list of accounts
    /// other than the inventory is narrowed, so `retry`, `verify` and `export` agree.
    public func narrow<Item>(
        _ items: [Item], accountID: (Item) -> String, database: any InventoryStore
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
    /// The filter `by` left no account; `before` is what was selected just before it.
    case emptied(by: String, before: (text: String, count: Int)?)

    public static func == (lhs: SelectionError, rhs: SelectionError) -> Bool {
        lhs.description == rhs.description
    }

    public var description: String {
        switch self {
        case .unknownAccount(let id): "--account \(id): no such account in the inventory"
        case .disabledAccount(let id, let name):
            "--account \(id) (\(name)): the account is disabled in the inventory (enabled: false)"
        case .nothingSelected: "no enabled account matches the selection"
        case .emptied(let filter, nil): "\(filter): no enabled account matches"
        case .emptied(let filter, let before?):
            "\(filter): no account left of the \(before.count) selected by \(before.text)"
        }
    }
}
