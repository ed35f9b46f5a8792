/// Writes JSON text directly into a string, for output that must be fast for 10,000
/// accounts and byte-for-byte stable (`Foundation.JSONEncoder` is neither on Linux).
public enum JSONText {
    /// Appends `value` as a quoted JSON string, escaping what RFC 8259 requires.
    public static func appendString(_ value: String, to output: inout String) {
        output.append("\"")
        var needsEscaping = false
        for byte in value.utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            needsEscaping = true
            break
        }
        if !needsEscaping {
            output.append(value)
        } else {
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": output.append("\\\"")
                case "\\": output.append("\\\\")
                case "\n": output.append("\\n")
                case "\r": output.append("\\r")
                case "\t": output.append("\\t")
                default:
                    if scalar.value < 0x20 {
                        let hex = String(scalar.value, radix: 16)
                        output.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                    } else {
                        output.unicodeScalars.append(scalar)
                    }
                }
            }
        }
        output.append("\"")
    }

    /// Appends a string, or `null` when there is none.
    public static func appendOptionalString(_ value: String?, to output: inout String) {
        if let value { appendString(value, to: &output) } else { output.append("null") }
    }
}

extension JSONValue {
    /// The value as JSON text: object members in their stored order, two-space indented
    /// when `pretty`, numbers exactly as they were written.
    public func serialized(pretty: Bool = false) -> String {
        var out = ""
        append(to: &out, pretty: pretty, indent: 0)
        return out
    }

    private func append(to out: inout String, pretty: Bool, indent: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .number(let text): out += text
        case .string(let text): JSONText.appendString(text, to: &out)
        case .array(let elements):
            guard !elements.isEmpty else { out += "[]"; return }
            out += "["
            for (index, element) in elements.enumerated() {
                out += index == 0 ? "" : ","
                if pretty { out += "\n" + String(repeating: "  ", count: indent + 1) }
                element.append(to: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { out += "\n" + String(repeating: "  ", count: indent) }
            out += "]"
        case .object(let object):
            guard !object.members.isEmpty else { out += "{}"; return }
            out += "{"
            for (index, member) in object.members.enumerated() {
                out += index == 0 ? "" : ","
                if pretty { out += "\n" + String(repeating: "  ", count: indent + 1) }
                JSONText.appendString(member.key, to: &out)
                out += pretty ? ": " : ":"
                member.value.append(to: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { out += "\n" + String(repeating: "  ", count: indent) }
            out += "}"
        }
    }
}

extension JSONObject {
    /// An object with members sorted by key, for output that must not depend on
    /// dictionary order (hashes, golden files).
    public init(sorted dictionary: [String: JSONValue]) {
        self.init(members: dictionary.keys.sorted().map { Member(key: $0, value: dictionary[$0]!) })
    }
}

extension JSONObject.Member {
    public init(_ key: String, _ value: JSONValue) {
        self.init(key: key, value: value)
    }
}
