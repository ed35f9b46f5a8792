import Foundation
import GRDB

/// The embedded store: one SQLite file holding the accounts and, as later migrations add
/// them, the runs and jobs. Every write is one method wrapping one transaction.
///
/// Opened as a WAL `DatabasePool` so that `status`, `logs` and `runs` read while an
/// apply writes, without either blocking the other.
public final class SQLiteInventoryStore: InventoryStore {
    private let writer: any DatabaseWriter
    /// The file, or `:memory:`.
    public let location: String

    /// Opens (creating if needed) the database file and applies pending migrations.
    ///
    /// Opening and migrating happen under an exclusive lock on `schema.lock` beside the
    /// file: on a fresh home, commands started together would otherwise all create the
    /// tables (or switch the journal mode) at once and fail. The lock is held for the
    /// milliseconds an open takes, so the others wait rather than fail. A read-only home
    /// (a copy of another's, a mounted backup) is opened read-only, for `status`.
    public convenience init(path: String) throws(InventoryDatabaseError) {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        let schemaLock = FileLock.open(directory.appendingPathComponent("schema.lock").path)
        schemaLock?.lockExclusive()
        defer { schemaLock?.unlock() }

        let readOnly = access(directory.path, W_OK) != 0
            && FileManager.default.fileExists(atPath: path)
        let writer: any DatabaseWriter
        do {
            writer = readOnly ? try Self.openReadOnly(path: path) : try Self.openPool(path: path)
        } catch {
            throw .cannotOpen(path: path, reason: "\(error)")
        }
        try self.init(writer: writer, location: path, runLockDirectory: readOnly ? nil : directory)
    }

    private static func openPool(path: String) throws -> DatabasePool {
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
        return try DatabasePool(path: path, configuration: configuration)
    }

    /// A home nobody here may write. A WAL database opens read-only only while its
    /// `-shm` file exists or can be made; otherwise it is opened as immutable, which is
    /// what it is to this process.
    private static func openReadOnly(path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        do {
            return try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            let encoded = path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path
            return try DatabaseQueue(path: "file:\(encoded)?immutable=1", configuration: configuration)
        }
    }

    /// An in-memory database for tests of the layers above.
    public static func inMemory() throws(InventoryDatabaseError) -> SQLiteInventoryStore {
        do {
            return try SQLiteInventoryStore(writer: DatabaseQueue(), location: ":memory:", runLockDirectory: nil)
        } catch let error as InventoryDatabaseError {
            throw error
        } catch {
            throw .cannotOpen(path: ":memory:", reason: "\(error)")
        }
    }

    /// Applies the migrations up to and including `lastMigration` (all when nil). Tests
    /// use it to build a database as an older fleetform left it.
    ///
    /// An upgrade never runs under a live run: that run's fleetform would go on writing
    /// with the old schema's assumptions. `runLockDirectory` holds the home's run lock,
    /// which the upgrade takes for its duration (nil: no run can exist, or nothing may be
    /// written).
    init(writer: any DatabaseWriter, location: String, runLockDirectory: URL?,
         upTo lastMigration: String? = nil) throws(InventoryDatabaseError) {
        self.writer = writer
        self.location = location
        let migrator = Self.migrator
        do {
            // On the writer connection: a pool's reader that looked at the schema before
            // the upgrade would go on decoding rows with the old columns.
            let applied = try writer.writeWithoutTransaction { db in try migrator.appliedIdentifiers(db) }
            let newer = applied.subtracting(migrator.migrations)
            if !newer.isEmpty {
                throw InventoryDatabaseError.newerSchema(path: location, migrations: newer.sorted())
            }
            let target = lastMigration.map { last in migrator.migrations.prefix { $0 != last } + [last] }
                ?? migrator.migrations
            let pending = Set(target).subtracting(applied)
            guard !pending.isEmpty else { return }
            if writer.configuration.readonly {
                throw InventoryDatabaseError.readOnlyUpgrade(path: location, migrations: pending.sorted())
            }
            var runLock: RunLock?
            if !applied.isEmpty, let runLockDirectory {
                runLock = try RunLock.acquire(directory: runLockDirectory)
                if runLock == nil {
                    throw InventoryDatabaseError.upgradeDuringRun(
                        path: location, lock: runLockDirectory.appendingPathComponent("run.lock").path)
                }
            }
            defer { withExtendedLifetime(runLock) {} }
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
        DatabaseRoundTrips.add()
        return try writer.read(body)
    }

    func write<T>(_ body: (Database) throws -> T) throws -> T {
        DatabaseRoundTrips.add()
        return try writer.write(body)
    }

    func writeWithoutTransaction<T>(_ body: (Database) throws -> T) throws -> T {
        DatabaseRoundTrips.add()
        return try writer.writeWithoutTransaction(body)
    }
}

/// Why the inventory database could not be used.
public enum InventoryDatabaseError: Error, Sendable, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case migrationFailed(path: String, reason: String)
    case newerSchema(path: String, migrations: [String])
    case readOnlyUpgrade(path: String, migrations: [String])
    case upgradeDuringRun(path: String, lock: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            "cannot open the inventory database \(path): \(reason)"
        case .migrationFailed(let path, let reason):
            "cannot upgrade the inventory database \(path): \(reason)"
        case .newerSchema(let path, let migrations):
            "the inventory database \(path) was written by a newer fleetform (migrations \(migrations.joined(separator: ", "))); upgrade fleetform"
        case .readOnlyUpgrade(let path, let migrations):
            "the inventory database \(path) needs an upgrade (migrations \(migrations.joined(separator: ", "))) but is read-only here; run this fleetform once where the home is writable"
        case .upgradeDuringRun(let path, let lock):
            "the inventory database \(path) needs an upgrade, but a run of an older fleetform is in progress (it holds \(lock)); run this command again when that run has finished"
        }
    }
}
