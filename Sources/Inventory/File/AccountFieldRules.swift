import FleetformBasics

/// The rules every account field must follow, as pure functions that return what is
/// wrong (a sentence fragment for the user) or `nil`.
///
/// Hand-written character checks rather than `Regex`: they run for every field of every
/// account on each import, and Swift's regex engine costs tens of microseconds a match.
public enum AccountFieldRules {
    /// Exactly 12 ASCII digits. IDs may start with 0, so they are always strings.
    public static func accountIDProblem(_ id: String) -> String? {
        let utf8 = id.utf8
        if utf8.count == 12, utf8.allSatisfy(isDigit) { return nil }
        return "must be exactly 12 digits, got \(quoted(id))"
    }

    /// 1–50 printable ASCII characters, the limit AWS puts on account names.
    public static func accountNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "must not be empty" }
        if name.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            return "must not contain control characters, got \(quoted(name))"
        }
        if name.utf8.contains(where: { $0 > 0x7E }) {
            return "must be printable ASCII characters, got \(quoted(name))"
        }
        if name.utf8.count > 50 { return "must be at most 50 characters, got \(name.utf8.count)" }
        return nil
    }

    /// A plausible address: one `@`, something before it, a dotted domain after it, no
    /// spaces or control characters, 6–64 characters (the limits AWS puts on account e-mail).
    public static func emailProblem(_ email: String) -> String? {
        func problem() -> String { "must be an e-mail address like name@example.com, got \(quoted(email))" }
        let bytes = Array(email.utf8)
        guard (6...64).contains(bytes.count),
              !bytes.contains(where: { $0 <= 0x20 || $0 == 0x7F }),
              let at = bytes.firstIndex(of: UInt8(ascii: "@")),
              at > 0,
              bytes.lastIndex(of: UInt8(ascii: "@")) == at
        else { return problem() }
        let domain = bytes[(at + 1)...].split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard domain.count >= 2, domain.allSatisfy({ !$0.isEmpty }) else { return problem() }
        return nil
    }

    /// `Root` followed by OU names separated by `/`, as discovery records them.
    public static func ouPathProblem(_ path: String) -> String? {
        func problem() -> String {
            "must be a path of OU names starting at Root, like Root/Workloads/Prod, got \(quoted(path))"
        }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        guard segments.first == "Root" else { return problem() }
        for segment in segments.dropFirst() {
            if segment.isEmpty || segment.utf8.count > 128 { return problem() }
            if segment.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) { return problem() }
        }
        return nil
    }

    /// An AWS region name: `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`,
    /// `us-iso-east-1`. The same rule as for `AWS_REGION` and profiles (`AWSRegionName`).
    public static func regionProblem(_ region: String) -> String? {
        AWSRegionName.isValid(region) ? nil : "must be an AWS region like us-east-1 or eu-central-2, got \(quoted(region))"
    }

    /// IAM role names: 1–64 of letters, digits and `+=,.@_-`.
    public static func iamRoleNameProblem(_ name: String) -> String? {
        let allowed = name.utf8.allSatisfy { byte in
            isDigit(byte) || isLowercaseLetter(byte) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || "+=,.@_-".utf8.contains(byte)
        }
        guard allowed, (1...64).contains(name.utf8.count) else {
            return "must be an IAM role name of 1–64 letters, digits and +=,.@_-, got \(quoted(name))"
        }
        return nil
    }

    /// IAM tag keys: 1–128 characters of letters, digits, spaces and `_.:/=+-@`, not
    /// starting with the reserved `aws:`.
    public static func tagKeyProblem(_ key: String) -> String? {
        if key.isEmpty || key.count > 128 { return "tag keys must be 1–128 characters" }
        if key.lowercased().hasPrefix("aws:") { return "tag keys starting with aws: are reserved by AWS" }
        if !isTagText(key) { return "tag keys may hold only letters, digits, spaces and _.:/=+-@" }
        return nil
    }

    /// IAM tag values: 0–256 characters of the same set as keys.
    public static func tagValueProblem(_ value: String) -> String? {
        if value.count > 256 { return "tag values must be at most 256 characters, got \(value.count)" }
        if !isTagText(value) { return "tag values may hold only letters, digits, spaces and _.:/=+-@, got \(quoted(value))" }
        return nil
    }

    /// IAM accepts at most 50 tags on a role.
    public static let maximumTagCount = 50

    // MARK: Helpers

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func isLowercaseLetter(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")
    }

    private static func isTagText(_ text: String) -> Bool {
        // Fast path for the ASCII text nearly every tag is.
        let asciiAllowed = text.utf8.allSatisfy { byte in
            isDigit(byte) || isLowercaseLetter(byte) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || " _.:/=+-@".utf8.contains(byte)
        }
        if asciiAllowed { return true }
        return text.unicodeScalars.allSatisfy { scalar in
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                 .decimalNumber, .letterNumber, .otherNumber, .spaceSeparator:
                return true
            default:
                return "_.:/=+-@".unicodeScalars.contains(scalar)
            }
        }
    }

    /// A value quoted for a message, shortened so that one bad field cannot flood the terminal.
    static func quoted(_ value: String) -> String {
        var shown = ""
        for scalar in value.unicodeScalars.prefix(60) {
            switch scalar {
            case "\"": shown += "\\\""
            case "\\": shown += "\\\\"
            case "\n": shown += "\\n"
            case "\t": shown += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    shown += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                        + String(scalar.value, radix: 16)
                } else {
                    shown.unicodeScalars.append(scalar)
                }
            }
        }
        if value.unicodeScalars.count > 60 { shown += "…" }
        return "\"\(shown)\""
    }
}
