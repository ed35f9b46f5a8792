import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// One PostgreSQL connection used synchronously: each call blocks on an
/// `EventLoopFuture` with `.wait()`.
///
/// Why blocking is safe here: the futures are completed by SwiftNIO's own event-loop
/// threads (`MultiThreadedEventLoopGroup.singleton`), never by the Swift-concurrency
/// cooperative pool, so a cooperative thread waiting here cannot be the thread its own
/// answer needs. (Bridging postgres-nio's async API with a semaphore would be: on 2
/// cores, two blocked callers would leave no thread to run the query.)
///
/// Calls are serialised by a lock, so a transaction's statements are never interleaved
/// with another caller's on the same connection; the store's methods are short, as
/// SQLite's single writer is.
final class PostgresSession: Sendable {
    let url: PostgresURL
    private let state: NIOLockedValueBox<PostgresConnection?>
    static let logger = Logger(label: "fleetform.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    private init(url: PostgresURL, connection: PostgresConnection) {
        self.url = url
        self.state = NIOLockedValueBox(connection)
    }

    /// Connects, or throws a one-line error naming the URL without its password.
    static func connect(_ url: PostgresURL) throws(InventoryDatabaseError) -> PostgresSession {
        PostgresSession(url: url, connection: try open(url))
    }

    static func open(_ url: PostgresURL) throws(InventoryDatabaseError) -> PostgresConnection {
        do {
            var configuration = PostgresConnection.Configuration(
                host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
                tls: try tls(url.tls, host: url.host))
            configuration.options.connectTimeout = .seconds(10)
            return try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: 1, logger: logger
            ).wait()
        } catch {
            throw .cannotOpen(path: url.redacted, reason: Self.reason(error, url: url))
        }
    }

    private static func tls(_ mode: PostgresURL.TLSMode, host: String) throws -> PostgresConnection.Configuration.TLS {
        switch mode {
        case .disable:
            return .disable
        case .prefer, .require:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            let context = try NIOSSLContext(configuration: configuration)
            return mode == .prefer ? .prefer(context) : .require(context)
        case .verifyFull:
            return .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
    }

    /// A server error as one line: its message (and detail), never the URL's password.
    static func reason(_ error: any Error, url: PostgresURL) -> String {
        var text: String
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                text = message
                if let detail = error.serverInfo?[.detail] { text += " (\(detail))" }
            } else if let underlying = error.underlying {
                text = "\(error.code): \(underlying)"
            } else {
                text = "\(error.code)"
            }
        } else {
            text = "\(error)"
        }
        if let password = url.password, !password.isEmpty {
            text = text.replacingOccurrences(of: password, with: "***")
        }
        return text.replacingOccurrences(of: "\n", with: " ")
    }

    // MARK: Running statements

    /// Runs `body` with the connection, reconnecting first when the server closed it (a
    /// restart, an idle timeout): a long apply outlives many such events.
    private func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        do {
            return try state.withLockedValue { connection in
                if connection == nil || connection!.isClosed {
                    connection = try Self.open(url)
                }
                return try body(connection!)
            }
        } catch let error as PSQLError {
            // postgres-nio's own description hides everything; say what the server said.
            throw PostgresStoreError(location: url.redacted, reason: Self.reason(error, url: url))
        }
    }

    /// Runs statements outside a transaction (each commits alone).
    @discardableResult
    func run<T>(_ body: (Statements) throws -> T) throws -> T {
        DatabaseRoundTrips.add()
        return try withConnection { connection in try body(Statements(connection: connection)) }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it
    /// throws, so nothing is half-written.
    @discardableResult
    func transaction<T>(_ body: (Statements) throws -> T) throws -> T {
        DatabaseRoundTrips.add()
        return try withConnection { connection in
            let statements = Statements(connection: connection)
            try statements.execute("BEGIN")
            do {
                let result = try body(statements)
                try statements.execute("COMMIT")
                return result
            } catch {
                if !connection.isClosed { _ = try? statements.execute("ROLLBACK") }
                throw error
            }
        }
    }

    func close() {
        state.withLockedValue { connection in
            try? connection?.close().wait()
            connection = nil
        }
    }

    deinit {
        close()
    }

    /// The statements of one `run` or `transaction`, on its connection.
    struct Statements {
        let connection: PostgresConnection

        /// The rows of one statement, each readable by column name.
        @discardableResult
        func query(_ query: PostgresQuery) throws -> [PostgresRandomAccessRow] {
            try connection.query(query, logger: PostgresSession.logger).wait().rows.map { $0.makeRandomAccess() }
        }

        /// How many rows a statement changed.
        @discardableResult
        func execute(_ query: PostgresQuery) throws -> Int {
            try connection.query(query, logger: PostgresSession.logger).wait().metadata.rows ?? 0
        }

        /// The first column of the first row, if any.
        func value<T: PostgresDecodable>(_ query: PostgresQuery, as type: T.Type = T.self) throws -> T? {
            guard let row = try self.query(query).first else { return nil }
            let cell = row[0]
            return cell.bytes == nil ? nil : try cell.decode(T.self)
        }
    }
}

/// A PostgreSQL error while the store was used, as one line naming the database.
struct PostgresStoreError: Error, CustomStringConvertible {
    var location: String
    var reason: String

    var description: String { "the inventory database \(location): \(reason)" }
}
