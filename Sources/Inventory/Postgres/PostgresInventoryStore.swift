import Foundation
import PostgresNIO

/// The team-mode store: the inventory, runs, jobs and results in a PostgreSQL database
/// (`--database postgres://…`), through postgres-nio, so that several machines share one
/// record. Same contract as `SQLiteInventoryStore` (`StoreContractTests` runs both): every
/// write one transaction, the same rows, the same answers.
///
/// Synchronous like the protocol: each method blocks on postgres-nio's `EventLoopFuture`
/// API, which NIO's own threads complete (see `PostgresSession` for why that cannot
/// deadlock Swift concurrency's cooperative pool).
public final class PostgresInventoryStore: InventoryStore {
    let session: PostgresSession
    /// The `LISTEN` connection of idle workers (`waitForWork`), opened on first use.
    let notifications: PostgresNotifications
    public let url: PostgresURL
    public var location: String { url.redacted }

    /// Connects and applies pending migrations (`migrations/postgres/`), all in one
    /// transaction. A database migrated by a newer fleetform is refused; an upgrade is
    /// refused while a run of an older fleetform holds the run lock.
    public convenience init(url: PostgresURL) throws(InventoryDatabaseError) {
        try self.init(url: url, migrations: EmbeddedMigration.postgres)
    }

    /// `migrations`: the known list; tests pass a prefix to build an older database.
    init(url: PostgresURL, migrations: [EmbeddedMigration]) throws(InventoryDatabaseError) {
        self.url = url
        self.notifications = PostgresNotifications(url: url, channel: Self.jobsChannel)
        self.session = try PostgresSession.connect(url)
        do {
            try migrate(migrations)
        } catch let error as InventoryDatabaseError {
            throw error
        } catch {
            throw .migrationFailed(path: url.redacted, reason: "\(error)")
        }
    }

    /// Keys of the advisory locks fleetform takes; any 64-bit number other applications
    /// of the same database are unlikely to pick (the bytes of "fleetfrm" and "fleetmig").
    static let runLockKey: Int64 = 0x666c_6565_7466_726d
    static let schemaLockKey: Int64 = 0x666c_6565_746d_6967

    private func migrate(_ known: [EmbeddedMigration]) throws {
        // Read first, without writing: a role that may only read (or a database already
        // up to date) needs no CREATE privilege.
        let applied = try appliedMigrations()
        let knownNames = Set(known.map(\.name))
        let newer = applied.filter { !knownNames.contains($0) }
        if !newer.isEmpty {
            throw InventoryDatabaseError.newerSchema(path: location, migrations: newer.sorted())
        }
        guard known.contains(where: { !applied.contains($0.name) }) else { return }
        try session.transaction { db in
            // Two fleetforms opening a new database at once: the second waits here, then
            // finds the work done.
            try db.execute("SELECT pg_advisory_xact_lock(\(Self.schemaLockKey))")
            try db.execute("CREATE TABLE IF NOT EXISTS fleetform_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
            let done = Set(try db.query("SELECT name FROM fleetform_migrations").map { try $0[0].decode(String.self) })
            let pending = known.filter { !done.contains($0.name) }
            guard !pending.isEmpty else { return }
            if !done.isEmpty {
                // A run of an older fleetform would go on writing with the old schema's assumptions.
                let free = try db.value("SELECT pg_try_advisory_xact_lock(\(Self.runLockKey))", as: Bool.self) ?? false
                guard free else {
                    throw InventoryDatabaseError.upgradeDuringRun(path: location, lock: "its advisory run lock")
                }
            }
            let now = Timestamp.string(from: Date())
            for migration in pending {
                for statement in Self.statements(migration.sql) {
                    try db.execute(PostgresQuery(unsafeSQL: statement))
                }
                try db.execute("INSERT INTO fleetform_migrations (name, applied_at) VALUES (\(migration.name), \(now))")
            }
        }
    }

    /// A migration file's statements: each ends with `;` at the end of a line (the rule
    /// `migrations/postgres/` is written to), comment lines left out.
    static func statements(_ sql: String) -> [String] {
        var statements: [String] = []
        var current: [Substring] = []
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("--") || (trimmed.isEmpty && current.isEmpty) { continue }
            current.append(line)
            if trimmed.hasSuffix(";") {
                statements.append(current.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
                    .dropLast().description)
                current = []
            }
        }
        let rest = current.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty { statements.append(rest) }
        return statements
    }

    public func appliedMigrations() throws -> [String] {
        try session.run { db in
            guard try db.value("SELECT to_regclass('fleetform_migrations') IS NOT NULL", as: Bool.self) == true else {
                return []
            }
            return try db.query("SELECT name FROM fleetform_migrations ORDER BY name").map { try $0[0].decode(String.self) }
        }
    }

    // MARK: The run lock

    /// A session-level advisory lock on a connection of its own, held as long as the
    /// returned `RunLock`: the server releases it when that connection closes, so a
    /// fleetform killed on any machine never leaves it behind.
    public func acquireRunLock(home: URL) throws -> RunLock {
        let holder = try PostgresSession.connect(url)
        let taken = try holder.run { db in
            try db.value("SELECT pg_try_advisory_lock(\(Self.runLockKey))", as: Bool.self) ?? false
        }
        if taken {
            return RunLock(path: "the advisory run lock of \(location)", holder: holder)
        }
        holder.close()
        if let other = try openRun() { throw other.shared() }
        throw RunLockHeld(path: "the advisory run lock of \(location)")
    }

    public func openRun() throws -> RunInProgress? {
        try session.run { db in
            try db.query("SELECT * FROM runs WHERE finished_at IS NULL ORDER BY started_at DESC, run_seq DESC LIMIT 1")
                .first.map { RunInProgress(run: try RunRecord(postgres: $0)).shared() }
        }
    }

    // MARK: Settings

    private static let stateLocationName = "state_location"

    public func recordedStateLocation() throws -> String? {
        try session.run { db in
            try db.value("SELECT value FROM settings WHERE name = \(Self.stateLocationName)", as: String.self)
        }
    }

    public func recordStateLocationIfUnset(_ location: String, at date: Date) throws -> String {
        try session.transaction { db in
            try db.execute("""
                INSERT INTO settings (name, value, updated_at) VALUES (\(Self.stateLocationName), \(location), \
                \(Timestamp.string(from: date))) ON CONFLICT (name) DO NOTHING
                """)
            return try db.value("SELECT value FROM settings WHERE name = \(Self.stateLocationName)", as: String.self)
                ?? location
        }
    }

    public func replaceStateLocation(_ location: String, at date: Date) throws {
        try session.transaction { db in
            try db.execute("""
                INSERT INTO settings (name, value, updated_at) VALUES (\(Self.stateLocationName), \(location), \
                \(Timestamp.string(from: date)))
                ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                """)
        }
    }
}
