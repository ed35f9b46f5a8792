import Foundation
import FleetformBasics

/// An error Akeyless answered with, or a call that could not be made.
///
/// The text leads with Akeyless's own message (the `error` field of its JSON error
/// answer) and ends with the operation and the HTTP status in parentheses,
/// `Authentication failed: wrong access id or access key (Akeyless auth, HTTP 401)`,
/// because status tables cut errors short and the cause must survive the cut. It is
/// always one line, and it never holds an access key or a token: the client removes
/// them from the message before it builds the error.
public struct AkeylessError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure, so callers classify by kind rather than by message text
    /// (the stand-in's messages are not confirmed against the real API).
    public enum Kind: Sendable, Equatable {
        /// HTTP 404: the item (or the operation) does not exist.
        case notFound
        /// HTTP 401: wrong credentials, or a token that is invalid or expired.
        case unauthorized
        /// HTTP 409: an item of that name exists already.
        case conflict
        /// HTTP 429 or 5xx, after the retries.
        case unavailable
        /// Any other non-2xx answer (400 validation errors, 403).
        case refused
        /// No answer: connection refused or reset, timeout.
        case connection
        /// A 2xx answer that does not decode as the operation's answer.
        case malformedAnswer
        /// Bad settings on this side (URL, access type, missing access id or key).
        case configuration
    }

    public var kind: Kind
    /// The operation (`auth`, `target-create-aws`), or nil for a configuration error.
    public var operation: String?
    public var httpStatus: Int?
    public var message: String
    /// What the client did about it, e.g. "after 5 attempts".
    public var note: String?

    public init(kind: Kind, operation: String?, httpStatus: Int? = nil, message: String, note: String? = nil) {
        self.kind = kind
        self.operation = operation
        self.httpStatus = httpStatus
        self.message = message
        self.note = note
    }

    /// `<message>[; <note>] (Akeyless <operation>, HTTP <status>)`, on one line.
    public var description: String {
        var text = Self.oneLine(message)
        if let note { text += "; \(note)" }
        var place = ["Akeyless"]
        if let operation { place.append(Self.oneLine(operation)) }
        var call = place.joined(separator: " ")
        if let httpStatus { call += ", HTTP \(httpStatus)" }
        return "\(text) (\(call))"
    }

    /// Throttling and server failures, worth repeating after a pause.
    public var isRetryable: Bool {
        kind == .unavailable || kind == .connection
    }

    /// The kind an HTTP status stands for.
    static func kind(forStatus status: Int) -> Kind {
        switch status {
        case 401: .unauthorized
        case 404: .notFound
        case 409: .conflict
        case 429, 500...599: .unavailable
        default: .refused
        }
    }

    /// Newlines become spaces and control or bidirectional characters are escaped: the
    /// message comes from a server and must neither break a table nor steer a terminal.
    static func oneLine(_ text: String) -> String {
        let flat = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
            .map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        return UnsafeText.escaped(flat)
    }
}
