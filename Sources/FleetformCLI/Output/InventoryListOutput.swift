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
        ])
        for account in accounts {
            table.append(
                [account.accountID, account.name, account.ouPath, account.region,
                 account.enabled ? "yes" : "no (\((account.disabledReason ?? .user).rawValue))"],
                colors: [nil, nil, nil, nil, account.enabled ? nil : .dim])
        }
        let disabled = accounts.count(where: { !$0.enabled })
        let noun = accounts.count == 1 ? "account" : "accounts"
        return table.render(width: terminal.width, terminal: terminal)
            + "\(accounts.count) \(noun) (\(accounts.count - disabled) enabled, \(disabled) disabled)\n"
    }
}

/// `inventory list --json`, in the shape DESIGN.md fixes.
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
            "source": .string(account.source.rawValue),
        ])
    }
}
