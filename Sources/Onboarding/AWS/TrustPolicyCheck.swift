import Foundation

/// Reads a trust policy for the two statements the gateway role needs.
enum TrustPolicyCheck {
    /// What is missing from `document` (JSON), or nil when it allows both EC2 and the
    /// role itself (directly, or through the account root limited to the role by
    /// `aws:PrincipalArn`) to assume the role.
    static func problem(_ document: String, roleARN: String, accountID: String) -> String? {
        guard let policy = try? JSONDecoder().decode(PolicyDocument.self, from: Data(document.utf8)) else {
            return "cannot be read as JSON"
        }
        let allowing = (policy.statement?.values ?? []).filter(\.allowsAssumeRole)
        let ec2 = allowing.contains { $0.principals("Service").contains("ec2.amazonaws.com") }
        let root = roleARN.replacingOccurrences(of: #":role/.*$"#, with: ":root", options: .regularExpression)
        let selfAssume = allowing.contains { statement in
            let principals = statement.principals("AWS")
            if principals.contains(roleARN) { return true }
            guard principals.contains(root) || principals.contains(accountID) else { return false }
            return statement.condition?.value?.stringEquals?.value?["aws:PrincipalArn"]?.values.contains(roleARN) == true
        }
        switch (ec2, selfAssume) {
        case (true, true): return nil
        case (false, true): return "no longer allows ec2.amazonaws.com"
        case (true, false): return "no longer allows the role itself (\(roleARN))"
        case (false, false): return "allows neither ec2.amazonaws.com nor the role itself"
        }
    }

    // MARK: The document
    //
    // Only the members the check reads. Policies are written by people and tools, and
    // the grammar lets most members be one value or a list, a principal be `"*"`, and
    // conditions compare numbers and booleans: a member of another shape than the check
    // looks for is read as absent, never as an unreadable policy.
    //
    // Member names are coding keys rather than a key strategy: JSONDecoder would rename
    // the keys of the principal and condition maps too (`AWS`, `aws:PrincipalArn`).

    private struct PolicyDocument: Decodable {
        var statement: OneOrList<Statement>?

        enum CodingKeys: String, CodingKey {
            case statement = "Statement"
        }
    }

    private struct Statement: Decodable {
        var effect: Lenient<String>?
        var action: OneOrList<String>?
        /// `"*"`, or principal kinds (`AWS`, `Service`) to identifiers.
        var principal: Lenient<[String: OneOrList<String>]>?
        var condition: Lenient<Condition>?

        enum CodingKeys: String, CodingKey {
            case effect = "Effect", action = "Action", principal = "Principal", condition = "Condition"
        }

        var allowsAssumeRole: Bool {
            effect?.value == "Allow" && (action?.values ?? []).contains("sts:AssumeRole")
        }

        func principals(_ kind: String) -> [String] {
            principal?.value?[kind]?.values ?? []
        }
    }

    private struct Condition: Decodable {
        /// Condition keys (`aws:PrincipalArn`) to the values they must equal.
        var stringEquals: Lenient<[String: OneOrList<String>]>?

        enum CodingKeys: String, CodingKey {
            case stringEquals = "StringEquals"
        }
    }

    /// One value or a list of them; list items of another type are left out.
    private struct OneOrList<Element: Decodable>: Decodable {
        var values: [Element]

        init(from decoder: any Decoder) throws {
            if let one = try? Element(from: decoder) {
                values = [one]
            } else {
                values = (try? [Lenient<Element>](from: decoder))?.compactMap(\.value) ?? []
            }
        }
    }

    /// A value of the expected type, or nil in place of one of another type.
    private struct Lenient<Value: Decodable>: Decodable {
        var value: Value?

        init(from decoder: any Decoder) throws {
            value = try? Value(from: decoder)
        }
    }
}
