/// A secret string (an access key, a token) that never prints itself.
///
/// Every textual form (`description`, `debugDescription`, `dump`, string interpolation)
/// shows `<redacted>`, so a secret that ends up in an error, a log line or test output by
/// mistake shows nothing. Read `value` only to put it into a request body.
public struct AkeylessSecret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let value: String

    public init(_ value: String) {
        self.value = value
    }

    public var isEmpty: Bool { value.isEmpty }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "AkeylessSecret(<redacted>)" }
    public var customMirror: Mirror { Mirror(self, children: ["value": "<redacted>"], displayStyle: .struct) }
}
