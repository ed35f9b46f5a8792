import FleetformBasics
import Foundation
import Inventory
import Terraform

/// The values the generated `fleetform.auto.tfvars.json` gives a template for an account.
public enum TemplateVariables {
    public static func values(for account: AccountRecord) -> [String: JSONValue] {
        var values: [String: JSONValue] = [
            "account_id": .string(account.accountID),
            "region": .string(account.region),
            "role_name": .string(account.roleName),
            "access_role_name": .string(account.accessRoleName),
            "tags": .object(JSONObject(sorted: account.tags.mapValues { JSONValue.string($0) })),
        ]
        if let management = account.managementAccountID {
            values["management_account_id"] = .string(management)
        }
        return values
    }
}

/// Loads the templates jobs name: the built-in one, or a directory.
public enum TemplateCatalog {
    public static func load(_ name: String) throws(TemplateError) -> TerraformTemplate {
        if name == TerraformTemplate.builtInName { return .builtIn }
        return try TerraformTemplate.load(directory: URL(fileURLWithPath: name))
    }
}

/// Run IDs sort by start time and name the log directory: `20261126-013045-7f3a`.
public enum RunID {
    public static func make(at date: Date = Date()) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let stamp = String(format: "%04d%02d%02d-%02d%02d%02d", parts.year!, parts.month!, parts.day!,
                           parts.hour!, parts.minute!, parts.second!)
        return stamp + "-" + String(format: "%04x", UInt16.random(in: 0...UInt16.max))
    }
}

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
