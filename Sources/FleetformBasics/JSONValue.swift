/// A parsed JSON document that keeps what validation needs and `Codable` throws away:
/// the order of object keys, duplicate keys, and the literal text of numbers.
///
/// The inventory file is checked field by field with a JSON path for every problem, and
/// an account ID written as a number must be reported with the digits the user typed.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number exactly as written in the document (`012`, `1e3`, `-0.5`).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The name of this value's JSON type, for messages such as "expected a string, got an array".
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A JSON object with its members in document order.
public struct JSONObject: Sendable, Equatable {
    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: JSONValue
    }

    public var members: [Member]

    public init(members: [Member]) {
        self.members = members
    }

    /// The value of the first member named `key`.
    public subscript(key: String) -> JSONValue? {
        members.first { $0.key == key }?.value
    }
}

// Building documents to write: `.object(["key": JSONValue(optional), ...])` reads like
// the JSON it produces, in the order it is written.

extension JSONValue {
    /// A string, or `null` when there is none.
    public init(_ text: String?) {
        self = text.map { .string($0) } ?? .null
    }

    public init(_ number: Int) {
        self = .number(String(number))
    }

    public init(_ flag: Bool) {
        self = .bool(flag)
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    /// Members in the literal's order, unlike a `Dictionary`, because that is the order
    /// they are written in.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(members: elements.map { Member(key: $0.0, value: $0.1) })
    }
}
