import Foundation
import GRDB

/// The inventory: one SQLite file holding the accounts and, as later migrations add
/// them, the runs and jobs. Every write is one method wrapping one transaction.
///
/// Opened as a WAL `DatabasePool` so that `status`, `logs` and `runs` read while an
/// apply writes, without either blocking the other.
public final class InventoryDatabase: Sendable {
    private let writer: any DatabaseWriter

    /// Opens (creating if needed) the database file and applies pending migrations.
    public convenience init(path: String) throws(InventoryDatabaseError) {
        var configuration = Configuration()
        // A second writer (another fleetform) waits instead of failing at once.
        configuration.busyMode = .timeout(10)
        // In WAL mode, NORMAL still survives the crash of fleetform (kill -9, OOM) without
        // losing a committed result; only a power loss can drop the last commits, and then
        // the account is re-run against its intact Terraform state. FULL would fsync every
        // job update, which costs more than the orchestration itself.
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw .cannotOpen(path: path, reason: "\(error)")
        }
        try self.init(writer: pool, location: path)
    }

    /// An in-memory database for tests of the layers above.
    public static func inMemory() throws(InventoryDatabaseError) -> InventoryDatabase {
        do {
            return try InventoryDatabase(writer: DatabaseQueue(), location: ":memory:")
        } catch let error as InventoryDatabaseError {
            throw error
        } catch {
            throw .cannotOpen(path: ":memory:", reason: "\(error)")
        }
    }

    /// Applies the migrations up to and including `lastMigration` (all when nil). Tests
    /// use it to build a database as an older fleetform left it.
    init(writer: any DatabaseWriter, location: String, upTo lastMigration: String? = nil) throws(InventoryDatabaseError) {
        self.writer = writer
        let migrator = Self.migrator
        do {
            let newer = try writer.read { db in
                try migrator.appliedIdentifiers(db).subtracting(migrator.migrations)
            }
            if !newer.isEmpty {
                throw InventoryDatabaseError.newerSchema(path: location, migrations: newer.sorted())
            }
            if let lastMigration {
                try migrator.migrate(writer, upTo: lastMigration)
            } else {
                try migrator.migrate(writer)
            }
        } catch let error as InventoryDatabaseError {
            throw error
        } catch {
            throw .migrationFailed(path: location, reason: "\(error)")
        }
    }

    /// The embedded SQL files, registered in order. Each runs in its own transaction
    /// and is recorded, so an interrupted upgrade resumes where it stopped.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in EmbeddedMigration.all {
            migrator.registerMigration(migration.name) { db in
                try db.execute(sql: migration.sql)
            }
        }
        return migrator
    }

    /// The names of the migrations this database has applied, in order.
    public func appliedMigrations() throws -> [String] {
        try writer.read { db in try Self.migrator.appliedMigrations(db) }
    }

    // MARK: Internal access for the extensions in this module

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try writer.read(body)
    }

    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try writer.write(body)
    }

    func writeWithoutTransaction<T>(_ body: (Database) throws -> T) throws -> T {
        try writer.writeWithoutTransaction(body)
    }
}

/// Why the inventory database could not be used.
public enum InventoryDatabaseError: Error, Sendable, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case migrationFailed(path: String, reason: String)
    case newerSchema(path: String, migrations: [String])

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            "cannot open the inventory database \(path): \(reason)"
        case .migrationFailed(let path, let reason):
            "cannot upgrade the inventory database \(path): \(reason)"
        case .newerSchema(let path, let migrations):
            "the inventory database \(path) was written by a newer fleetform (migrations \(migrations.joined(separator: ", "))); upgrade fleetform"
        }
    }
}
