import Foundation

/// Where the inventory lives: `<home>/fleetform.sqlite` (the embedded default) or a
/// PostgreSQL database (`--database postgres://…`, team mode). Logs, workspaces and
/// state stay under the home either way.
public enum StoreLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(PostgresURL)

    /// `--database`, else `FLEETFORM_DATABASE_URL`, else the home's SQLite file. `origin`
    /// names where a bad value came from, for the one-line error.
    public static func resolve(flag: String?, environment: [String: String], home: FleetformHome)
        throws(StoreLocationError) -> StoreLocation {
        let given: (text: String, origin: String)?
        if let flag, !flag.isEmpty {
            given = (flag, "--database")
        } else if let text = environment["FLEETFORM_DATABASE_URL"], !text.isEmpty {
            given = (text, "FLEETFORM_DATABASE_URL")
        } else {
            given = nil
        }
        guard let given else { return .sqlite(path: home.databasePath) }
        do {
            return .postgres(try PostgresURL(parsing: given.text))
        } catch {
            throw StoreLocationError(origin: given.origin, message: error.message)
        }
    }

    /// For messages: the file, or the URL without its password.
    public var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let url): url.redacted
        }
    }
}

/// A `--database` value that is not a database URL: a usage error naming the flag or
/// variable, the value shown without its password.
public struct StoreLocationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var origin: String
    public var message: String

    public var description: String { "\(origin) \(message)" }
}

/// `postgres://user:password@host:port/database?sslmode=…` (also `postgresql://`), as
/// libpq writes it. The password is kept for connecting and never printed: every message
/// uses `redacted`.
public struct PostgresURL: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    /// libpq's `sslmode` values that make sense here.
    public enum TLSMode: String, Sendable, Equatable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it (libpq's default), without checking its certificate.
        case prefer
        /// TLS or nothing, without checking the certificate (libpq's meaning of `require`).
        case require
        /// TLS with the certificate checked against the system's roots and the host name.
        case verifyFull = "verify-full"
    }

    public struct ParseError: Error, Sendable, Equatable {
        public var message: String
    }

    public init(parsing text: String) throws(ParseError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw ParseError(message: "\(Self.redact(text)): not a URL; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        let shown = Self.redact(text)
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw ParseError(message: "\(shown): unsupported scheme '\(scheme)'; expected postgres:// or postgresql://")
        }
        guard let host = components.host, !host.isEmpty else {
            throw ParseError(message: "\(shown): no host; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        guard let user = components.user, !user.isEmpty else {
            throw ParseError(message: "\(shown): no user; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw ParseError(message: "\(shown): no database name; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        var tls = TLSMode.prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    throw ParseError(message: "\(shown): sslmode must be disable, prefer, require or verify-full")
                }
                tls = mode
            default:
                throw ParseError(message: "\(shown): unknown parameter '\(item.name)' (only sslmode is understood)")
            }
        }
        self.host = host
        self.port = components.port ?? 5432
        // URLComponents answers user, password and path already percent-decoded.
        self.user = user
        self.password = components.password
        self.database = database
        self.tls = tls
    }

    /// The URL as it may be printed: `postgres://user:***@host:port/database`.
    public var redacted: String {
        var text = "postgres://\(user)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)"
        if tls != .prefer { text += "?sslmode=\(tls.rawValue)" }
        return text
    }

    /// Any text that may hold a URL with a password, with the password replaced by ***:
    /// for values that could not even be parsed.
    public static func redact(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://") else { return text }
        let rest = text[schemeEnd.upperBound...]
        guard let at = rest.lastIndex(of: "@") else { return text }
        let credentials = rest[..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }
}
