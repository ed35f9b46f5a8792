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
        var out = "{\"accounts\": ["
        for (index, account) in accounts.enumerated() {
            out += index == 0 ? "\n  " : ",\n  "
            out += "{\"account_id\": "
            JSONText.appendString(account.accountID, to: &out)
            out += ", \"name\": "
            JSONText.appendString(account.name, to: &out)
            out += ", \"email\": "
            JSONText.appendOptionalString(account.email, to: &out)
            out += ", \"ou_path\": "
            JSONText.appendString(account.ouPath, to: &out)
            out += ", \"region\": "
            JSONText.appendString(account.region, to: &out)
            out += ", \"enabled\": \(account.enabled), \"disabled_reason\": "
            JSONText.appendOptionalString(account.disabledReason?.rawValue, to: &out)
            out += ", \"state\": "
            JSONText.appendOptionalString(account.state, to: &out)
            out += ", \"tags\": {"
            for (tagIndex, key) in account.tags.keys.sorted().enumerated() {
                out += tagIndex == 0 ? "" : ", "
                JSONText.appendString(key, to: &out)
                out += ": "
                JSONText.appendString(account.tags[key]!, to: &out)
            }
            out += "}, \"source\": \"\(account.source.rawValue)\"}"
        }
        return out + (accounts.isEmpty ? "]}\n" : "\n]}\n")
    }
}
