import FleetformBasics
/// Walks a parsed inventory document, collecting every problem with its JSON path and
/// building the account specs when there are none.
///
/// Paths are built only when a problem is reported (`@autoclosure`), so a valid
/// 10,000-account file costs no string building beyond the values themselves.
struct InventoryFileValidator {
    private(set) var problems: [InventoryProblem] = []

    private static let rootKeys = ["management_account_id", "defaults", "accounts"]
    private static let defaultsKeys = ["region", "role_name", "access_role_name", "tags"]
    private static let accountKeys = [
        "id", "name", "email", "ou_path", "region", "role_name", "access_role_name", "tags", "account_tags", "enabled",
    ]

    /// The `defaults` object, resolved.
    private struct Defaults {
        var region: String?
        var roleName: String?
        var accessRoleName: String?
        var tags: [String: String] = [:]
        /// Whether the file gave a region at all, valid or not: a bad default is reported
        /// once, at `defaults.region`, not again as "missing" on every account.
        var regionGiven = false
    }

    /// An account ID field that must be present: its value checked, or `missing` reported.
    private mutating func requiredAccountID(_ value: JSONValue?, at path: String, missing: String) -> String? {
        guard let value else {
            report(path, missing)
            return nil
        }
        return accountID(value, at: path)
    }

    mutating func validate(_ document: JSONValue) -> InventoryFile? {
        guard case .object(let root) = document else {
            report("$", "the file must hold a JSON object with \"management_account_id\" and \"accounts\", got \(document.typeName)")
            return nil
        }
        let rootFields = fields(of: root, allowed: Self.rootKeys, at: "")

        let managementAccountID = requiredAccountID(
            rootFields[0], at: "management_account_id",
            missing: "missing; give the 12-digit ID of the organization's management account")

        var defaults = Defaults()
        if let value = rootFields[1] {
            defaults = self.defaults(value)
        }

        var accounts: [AccountSpec] = []
        switch rootFields[2] {
        case nil:
            report("accounts", "missing; give a list of accounts (it may be empty)")
        case .array(let elements)?:
            accounts.reserveCapacity(elements.count)
            var firstIndexOfID: [String: Int] = [:]
            firstIndexOfID.reserveCapacity(elements.count)
            for (index, element) in elements.enumerated() {
                guard let spec = account(element, index: index, defaults: defaults,
                                         managementAccountID: managementAccountID) else { continue }
                if let first = firstIndexOfID[spec.accountID] {
                    report("accounts[\(index)].id", "\(spec.accountID) is listed twice (first at accounts[\(first)])")
                    continue
                }
                firstIndexOfID[spec.accountID] = index
                accounts.append(spec)
            }
        case let other?:
            report("accounts", "expected an array of accounts, got \(other.typeName)")
        }

        guard problems.isEmpty, let managementAccountID else { return nil }
        return InventoryFile(managementAccountID: managementAccountID, accounts: accounts)
    }

    // MARK: Sections

    private mutating func defaults(_ value: JSONValue) -> Defaults {
        guard case .object(var object) = value else {
            report("defaults", "expected an object, got \(value.typeName)")
            return Defaults()
        }
        // Account tags describe one account (its team, its environment) and select it;
        // a default would give every account the same ones and select them all alike.
        if object["account_tags"] != nil {
            report("defaults.account_tags", "not allowed in defaults: account tags describe one account; give them per account")
            object.members.removeAll { $0.key == "account_tags" }
        }
        let field = fields(of: object, allowed: Self.defaultsKeys, at: "defaults.")
        var defaults = Defaults()
        defaults.regionGiven = field[0] != nil
        defaults.region = optionalString(field[0], at: "defaults.region", rule: AccountFieldRules.regionProblem)
        defaults.roleName = optionalString(field[1], at: "defaults.role_name",
                                           rule: AccountFieldRules.iamRoleNameProblem)
        defaults.accessRoleName = optionalString(field[2], at: "defaults.access_role_name",
                                                 rule: AccountFieldRules.iamRoleNameProblem)
        if let tags = field[3] {
            defaults.tags = self.tags(tags, at: "defaults.tags")
        }
        return defaults
    }

    private mutating func account(
        _ value: JSONValue, index: Int, defaults: Defaults, managementAccountID: String?
    ) -> AccountSpec? {
        guard case .object(let object) = value else {
            report("accounts[\(index)]", "expected an object, got \(value.typeName)")
            return nil
        }
        let problemsBefore = problems.count
        // Slots in `accountKeys` order.
        let field = fields(of: object, allowed: Self.accountKeys, at: "accounts[\(index)].")

        let id = requiredAccountID(field[0], at: "accounts[\(index)].id",
                                   missing: "missing; give the account's 12-digit ID as a string")
        var name: String?
        if let value = field[1] {
            name = optionalString(value, at: "accounts[\(index)].name", rule: AccountFieldRules.accountNameProblem)
        } else {
            report("accounts[\(index)].name", "missing; give the account's name")
        }
        let email = optionalString(field[2], at: "accounts[\(index)].email", rule: AccountFieldRules.emailProblem)
        let ouPath = optionalString(field[3], at: "accounts[\(index)].ou_path", rule: AccountFieldRules.ouPathProblem)
        let region = optionalString(field[4], at: "accounts[\(index)].region", rule: AccountFieldRules.regionProblem)
        if field[4] == nil, !defaults.regionGiven {
            report("accounts[\(index)].region", "missing, and defaults.region is not set")
        }
        let roleName = optionalString(field[5], at: "accounts[\(index)].role_name",
                                      rule: AccountFieldRules.iamRoleNameProblem)
        let accessRoleName = optionalString(field[6], at: "accounts[\(index)].access_role_name",
                                            rule: AccountFieldRules.iamRoleNameProblem)
        var tags = defaults.tags
        if let value = field[7] {
            tags.merge(self.tags(value, at: "accounts[\(index)].tags")) { _, account in account }
        }
        if tags.count > AccountFieldRules.maximumTagCount {
            report("accounts[\(index)].tags", "\(tags.count) tags including defaults.tags; IAM allows at most \(AccountFieldRules.maximumTagCount)")
        }
        var accountTags: [String: String] = [:]
        if let value = field[8] {
            accountTags = self.tags(value, at: "accounts[\(index)].account_tags")
            if accountTags.count > AccountFieldRules.maximumTagCount {
                report("accounts[\(index)].account_tags",
                       "\(accountTags.count) tags; Organizations allows at most \(AccountFieldRules.maximumTagCount) on an account")
            }
        }
        var enabled = true
        switch field[9] {
        case nil, .null?: break
        case .bool(let flag)?: enabled = flag
        case let other?: report("accounts[\(index)].enabled", "expected true or false, got \(other.typeName)")
        }

        guard problems.count == problemsBefore, let id, let name, let region = region ?? defaults.region else {
            return nil
        }
        return AccountSpec(
            accountID: id,
            name: name,
            email: email,
            ouPath: ouPath ?? AccountSpec.rootOUPath,
            region: region,
            roleName: roleName ?? defaults.roleName ?? AccountSpec.defaultRoleName,
            accessRoleName: accessRoleName ?? defaults.accessRoleName ?? AccountSpec.defaultAccessRoleName,
            managementAccountID: managementAccountID,
            tags: tags,
            accountTags: accountTags,
            enabled: enabled
        )
    }

    // MARK: Fields

    private mutating func accountID(_ value: JSONValue, at path: @autoclosure () -> String) -> String? {
        switch value {
        case .string(let id):
            if let problem = AccountFieldRules.unsafeTextProblem(id) ?? AccountFieldRules.accountIDProblem(id) {
                report(path(), problem)
                return nil
            }
            return id
        case .number(let literal):
            var message = "must be a string, not a number: write it in quotes (\"\(literal)\"), because account IDs can start with 0"
            let digits = literal.utf8.filter { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }.count
            if digits < 12, !literal.contains(".") {
                message += "; this number has \(digits) digits, so a leading 0 was probably lost"
            }
            report(path(), message)
            return nil
        default:
            report(path(), "expected a string of 12 digits, got \(value.typeName)")
            return nil
        }
    }

    /// A string field that may be absent or null; when present it must pass `rule`.
    private mutating func optionalString(
        _ value: JSONValue?, at path: @autoclosure () -> String, rule: (String) -> String?
    ) -> String? {
        switch value {
        case nil, .null?:
            return nil
        case .string(let text)?:
            if let problem = AccountFieldRules.unsafeTextProblem(text) ?? rule(text) {
                report(path(), problem)
                return nil
            }
            return text
        case let other?:
            report(path(), "expected a string, got \(other.typeName)")
            return nil
        }
    }

    private mutating func tags(_ value: JSONValue, at path: @autoclosure () -> String) -> [String: String] {
        guard case .object(let object) = value else {
            report(path(), "expected an object of string keys to string values, got \(value.typeName)")
            return [:]
        }
        var tags: [String: String] = [:]
        for member in object.members {
            if let problem = AccountFieldRules.unsafeTextProblem(member.key) ?? AccountFieldRules.tagKeyProblem(member.key) {
                report(path() + Self.keyPath(member.key), problem)
                continue
            }
            if tags[member.key] != nil {
                report(path() + Self.keyPath(member.key), "duplicate key")
                continue
            }
            guard case .string(let text) = member.value else {
                report(path() + Self.keyPath(member.key), "tag values must be strings, got \(member.value.typeName)")
                continue
            }
            if let problem = AccountFieldRules.unsafeTextProblem(text) ?? AccountFieldRules.tagValueProblem(text) {
                report(path() + Self.keyPath(member.key), problem)
                continue
            }
            tags[member.key] = text
        }
        return tags
    }

    /// The members of `object` in the order of `allowed` (nil where absent), in one pass,
    /// reporting unknown and duplicate keys; `prefix` is the path of the object plus a dot.
    private mutating func fields(
        of object: JSONObject, allowed: [String], at prefix: @autoclosure () -> String
    ) -> [JSONValue?] {
        var values = [JSONValue?](repeating: nil, count: allowed.count)
        for member in object.members {
            guard let slot = allowed.firstIndex(of: member.key) else {
                var message = "unknown key"
                if let suggestion = Self.closest(to: member.key, among: allowed) {
                    message += "; did you mean \"\(suggestion)\"?"
                } else {
                    message += " (allowed: \(allowed.joined(separator: ", ")))"
                }
                report(prefix() + member.key, message)
                continue
            }
            if values[slot] != nil {
                report(prefix() + member.key, "duplicate key")
                continue
            }
            values[slot] = member.value
        }
        return values
    }

    /// Paths hold the file's own keys (an unknown key is reported by name): they are
    /// escaped, so that a key cannot carry control characters onto the user's terminal.
    private mutating func report(_ path: String, _ message: String) {
        problems.append(InventoryProblem(path: UnsafeText.escaped(path), message: message))
    }

    // MARK: Helpers

    /// `.team` for plain keys, `["cost center"]` for keys a reader could not split on dots.
    private static func keyPath(_ key: String) -> String {
        let plain = !key.isEmpty && key.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
        return plain ? ".\(key)" : "[\(AccountFieldRules.quoted(key))]"
    }

    /// The allowed key within edit distance 2 of a typo, if there is exactly one best.
    static func closest(to key: String, among candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(key.lowercased(), $0)) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= 2 else { return nil }
        return best.0
    }

    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            previous = current
        }
        return previous[b.count]
    }
}
