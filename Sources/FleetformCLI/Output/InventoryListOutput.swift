import FleetformBasics
import Inventory

/// `inventory list` as a table, with a closing count.
enum InventoryListTable {
    static func render(_ accounts: [AccountRecord], terminal: Terminal) -> String {
        guard !accounts.isEmpty else {
            return "No accounts. Add some with `fleetform inventory import FILE`.\n"
        }
        var table = TextTable(columns: [
            .init(header: "ACCOUNT"),
            .init(header: "NAME", flexible: true, minimumWidth: 12),
            .init(header: "OU PATH", flexible: true, minimumWidth: 12, keep: .end),
            .init(header: "REGION"),
            .init(header: "ENABLED"),
            // Account tags, what --tag selects by; the first to give up width, so that
            // names and paths stay readable on a narrow terminal.
            .init(header: "TAGS", flexible: true, minimumWidth: 10, shrinkOrder: -1),
        ])
        for account in accounts {
            table.append(
                [account.accountID, account.name, account.ouPath, account.region,
                 account.enabled ? "yes" : "no (\((account.disabledReason ?? .user).rawValue))", tagsCell(account.accountTags)],
                colors: [nil, nil, nil, nil, account.enabled ? nil : .dim, nil])
        }
        let disabled = accounts.count(where: { !$0.enabled })
        let noun = accounts.count == 1 ? "account" : "accounts"
        return table.render(width: terminal.width, terminal: terminal)
            + "\(accounts.count) \(noun) (\(accounts.count - disabled) enabled, \(disabled) disabled)\n"
    }

    /// `env=prod,team=payments`: keys sorted, so equal tags read alike on every row;
    /// `-` for none, as in the status table.
    static func tagsCell(_ tags: [String: String]) -> String {
        guard !tags.isEmpty else { return "-" }
        return tags.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }
}

/// `inventory list --json`, in the shape DESIGN.md fixes, with `account_tags` (the
/// account's own, selection tags) beside `tags` (the resource tags).
enum InventoryListJSON {
    static func render(_ accounts: [AccountRecord]) -> String {
        JSONOutput.render(["accounts": .array(accounts.map(row))])
    }

    private static func row(_ account: AccountRecord) -> JSONValue {
        .object([
            "account_id": .string(account.accountID), "name": .string(account.name), "email": JSONValue(account.email),
            "ou_path": .string(account.ouPath), "region": .string(account.region), "enabled": JSONValue(account.enabled),
            "disabled_reason": JSONValue(account.disabledReason?.rawValue), "state": JSONValue(account.organizationState),
            "tags": .object(JSONObject(sorted: account.tags.mapValues { .string($0) })),
            "account_tags": .object(JSONObject(sorted: account.accountTags.mapValues { .string($0) })),
            "source": .string(account.source.rawValue),
        ])
    }
}
