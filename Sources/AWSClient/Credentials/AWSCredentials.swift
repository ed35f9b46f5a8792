import Foundation

/// An AWS access key, with the session token and expiry of temporary credentials.
///
/// Every textual form (`description`, `debugDescription`, `dump`) shows only a shortened
/// access key ID: the secret key and the session token never reach logs, errors or test
/// output through this type.
public struct AWSCredentials: Sendable, Equatable {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?
    public var expiration: Date?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }

    /// Whether the credentials have expired at `date` (never, when they have no expiry).
    public func isExpired(at date: Date = Date()) -> Bool {
        guard let expiration else { return false }
        return expiration <= date
    }

    /// The access key ID shortened to its first four and last three characters
    /// (`AKIA…MPLE` style), enough to tell keys apart without showing the whole key.
    public var redactedAccessKeyID: String {
        accessKeyID.count > 8 ? "\(accessKeyID.prefix(4))…\(accessKeyID.suffix(3))" : "…"
    }
}

extension AWSCredentials: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// `AKIA…XYZ`, `ASIA…XYZ (session)` or `ASIA…XYZ (session, expires 2025-01-01T00:00:00Z)`.
    public var description: String {
        var notes: [String] = []
        if sessionToken != nil { notes.append("session") }
        if let expiration { notes.append("expires \(expiration.formatted(.iso8601))") }
        return notes.isEmpty ? redactedAccessKeyID : "\(redactedAccessKeyID) (\(notes.joined(separator: ", ")))"
    }

    public var debugDescription: String { "AWSCredentials(\(description))" }

    /// What `dump` and debuggers show: the redacted description instead of the fields.
    public var customMirror: Mirror {
        Mirror(self, children: ["credentials": description], displayStyle: .struct)
    }
}
