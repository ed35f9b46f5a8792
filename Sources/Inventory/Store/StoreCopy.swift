import Foundation
import GRDB
import PostgresNIO

/// Moves a home's SQLite inventory into an empty PostgreSQL database with its whole
/// history (`fleetform database migrate --to postgres://…`), so that a team takes over a
/// home without losing its record.
///
/// Generic on purpose: every table and column is read from the two catalogs (SQLite's
/// `PRAGMA table_info`, PostgreSQL's `information_schema`), not from the record types,
/// and a table or column present on one side only is refused. A migration added to one
/// dialect and not the other therefore stops the copy instead of being silently dropped.
/// Values are converted by the PostgreSQL column's type (0/1 to BOOLEAN, BLOB to bytea);
/// ids are kept, so jobs, attempts and `account_state.last_job_id` point at the same
/// rows, and the identity sequences are moved past them.
public enum StoreCopy {
    /// Rows copied into one table.
    public struct TableCount: Sendable, Equatable {
        public var table: String
        public var rows: Int
    }

    public struct Report: Sendable, Equatable {
        /// Every table, in the order it was copied (referenced tables first).
        public var tables: [TableCount]
        /// The SQLite file, left as it was.
        public var source: String
        /// The database, its password redacted.
        public var target: String
        /// The state location the home recorded (it travelled with the settings), nil
        /// when no run recorded one yet.
        public var stateLocation: String?
    }

    /// Columns PostgreSQL has and SQLite does not, because SQLite gets them for free:
    /// `runs.run_seq` is the insertion order that SQLite reads from `rowid`.
    static let rowidColumns: [String: String] = ["runs": "run_seq"]

    /// The first PostgreSQL migration builds what SQLite's migrations up to this one
    /// built; every later migration carries the same name after its number in both
    /// dialects (`0011_queue` ↔ `postgres/0002_queue`).
    static let initialPostgresMigration = "0001_initial"
    static let initialCoversSQLiteUpTo = "0010_settings"

    /// Opens the home's SQLite file (which must exist), holds its run lock so that no run
    /// changes it meanwhile, opens the database (creating its schema) and copies.
    public static func migrate(home: FleetformHome, to url: PostgresURL) throws -> Report {
        let path = home.databasePath
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreCopyError.noSource(path: path)
        }
        let source = try SQLiteInventoryStore(path: path)
        let lock = try source.acquireRunLock(home: home.url)
        defer { withExtendedLifetime(lock) {} }
        let target = try PostgresInventoryStore(url: url)
        defer { target.session.close() }
        return try copy(from: source, to: target)
    }

    /// Copies every table of `source` into `target`, which must hold no rows, in one
    /// PostgreSQL transaction: on any failure the target is left as it was.
    public static func copy(from source: SQLiteInventoryStore, to target: PostgresInventoryStore) throws -> Report {
        let sqliteMigrations = try source.appliedMigrations()
        let postgresMigrations = try target.appliedMigrations()
        guard let equivalent = sqliteEquivalent(ofPostgres: postgresMigrations), equivalent == sqliteMigrations else {
            throw StoreCopyError.schemaVersions(sqlite: sqliteMigrations.last ?? "none",
                                                postgres: postgresMigrations.last ?? "none")
        }
        let location = target.location
        do {
            // One SQLite read transaction, a consistent snapshot, streamed table by table
            // into one PostgreSQL transaction: a large history is never all in memory.
            return try source.read { sqlite in
                let schema = try SourceSchema(sqlite)
                return try target.session.transaction { db in
                    // No fleetform may use the target meanwhile (it would be a team already).
                    guard try db.value("SELECT pg_try_advisory_xact_lock(\(PostgresInventoryStore.runLockKey))",
                                       as: Bool.self) == true else {
                        throw StoreCopyError.targetInUse(location: location)
                    }
                    let columns = try targetColumns(db)
                    try compare(schema, columns)
                    try requireEmpty(db, tables: schema.order, location: location)
                    var counts: [TableCount] = []
                    for table in schema.order {
                        let rows = try insert(table: table, schema: schema, columns: columns[table] ?? [],
                                              from: sqlite, into: db)
                        counts.append(TableCount(table: table, rows: rows))
                    }
                    for table in schema.order {
                        for column in columns[table] ?? [] where column.identity {
                            try db.execute(PostgresQuery(unsafeSQL: """
                                SELECT setval(pg_get_serial_sequence('\(quoted(table))', '\(column.name)'), \
                                COALESCE(MAX(\(quoted(column.name))), 0) + 1, false) FROM \(quoted(table))
                                """))
                        }
                    }
                    let state = try db.value("SELECT value FROM settings WHERE name = 'state_location'", as: String.self)
                    return Report(tables: counts, source: source.location, target: location, stateLocation: state)
                }
            }
        } catch let error as StoreCopyError {
            throw error
        } catch let error as PostgresStoreError {
            throw StoreCopyError.database(location: location, reason: error.reason)
        } catch {
            throw StoreCopyError.database(location: location, reason: PostgresSession.reason(error, url: target.url))
        }
    }

    /// The SQLite migrations a PostgreSQL database with these migrations corresponds to;
    /// nil when one has no counterpart (a migration added to one dialect only).
    static func sqliteEquivalent(ofPostgres names: [String]) -> [String]? {
        let sqlite = EmbeddedMigration.all.map(\.name)
        var result: [String] = []
        for name in names {
            if name == initialPostgresMigration {
                guard let end = sqlite.firstIndex(of: initialCoversSQLiteUpTo) else { return nil }
                result += sqlite[...end]
            } else {
                let suffix = name.drop(while: { $0 != "_" })
                guard !suffix.isEmpty, let match = sqlite.first(where: { $0.drop(while: { $0 != "_" }) == suffix }) else {
                    return nil
                }
                result.append(match)
            }
        }
        return result
    }

    // MARK: The two catalogs

    /// Every table of the SQLite inventory (GRDB's own bookkeeping aside) with its columns,
    /// in an order that inserts referenced rows first.
    struct SourceSchema {
        var columns: [String: [String]] = [:]
        var order: [String] = []

        init(_ db: Database) throws {
            let tables = try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
                AND name != 'grdb_migrations' ORDER BY name
                """)
            var references: [String: Set<String>] = [:]
            for table in tables {
                columns[table] = try Row.fetchAll(db, sql: "PRAGMA table_info(\(quoted(table)))").map { $0["name"] as String }
                references[table] = Set(try Row.fetchAll(db, sql: "PRAGMA foreign_key_list(\(quoted(table)))")
                    .map { $0["table"] as String }).subtracting([table])
            }
            // Referenced tables first; ties by name, so the order is stable.
            var remaining = tables
            while !remaining.isEmpty {
                let ready = remaining.filter { (references[$0] ?? []).isSubset(of: Set(order)) }
                let next = ready.first ?? remaining[0]  // a cycle cannot be ordered; PostgreSQL will say so
                order.append(next)
                remaining.removeAll { $0 == next }
            }
        }
    }

    struct TargetColumn {
        var name: String
        var type: String
        var identity: Bool
    }

    private static func targetColumns(_ db: PostgresSession.Statements) throws -> [String: [TargetColumn]] {
        var result: [String: [TargetColumn]] = [:]
        for row in try db.query("""
            SELECT table_name::text, column_name::text, data_type::text, is_identity::text
            FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name <> 'fleetform_migrations'
            ORDER BY table_name, ordinal_position
            """) {
            let table = try row[0].decode(String.self)
            result[table, default: []].append(TargetColumn(
                name: try row[1].decode(String.self), type: try row[2].decode(String.self),
                identity: try row[3].decode(String.self) == "YES"))
        }
        return result
    }

    /// Refuses a table or a column that exists on one side only.
    private static func compare(_ schema: SourceSchema, _ target: [String: [TargetColumn]]) throws {
        let sourceTables = Set(schema.order)
        let targetTables = Set(target.keys)
        if sourceTables != targetTables {
            throw StoreCopyError.tables(onlySQLite: sourceTables.subtracting(targetTables).sorted(),
                                        onlyPostgres: targetTables.subtracting(sourceTables).sorted())
        }
        for table in schema.order {
            let sourceColumns = Set(schema.columns[table] ?? [])
            var targetColumns = Set((target[table] ?? []).map(\.name))
            if let derived = rowidColumns[table] { targetColumns.remove(derived) }
            if sourceColumns != targetColumns {
                throw StoreCopyError.columns(table: table,
                                             onlySQLite: sourceColumns.subtracting(targetColumns).sorted(),
                                             onlyPostgres: targetColumns.subtracting(sourceColumns).sorted())
            }
        }
    }

    private static func requireEmpty(_ db: PostgresSession.Statements, tables: [String], location: String) throws {
        var counts: [String: Int64] = [:]
        for table in tables {
            counts[table] = try db.value(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(quoted(table))"), as: Int64.self)
        }
        let filled = counts.filter { $0.value > 0 }
        if !filled.isEmpty {
            throw StoreCopyError.targetNotEmpty(location: location, accounts: counts["accounts"] ?? 0,
                                                runs: counts["runs"] ?? 0, tables: filled.keys.sorted())
        }
    }

    // MARK: Rows

    /// Inserts one table's rows, many per statement (PostgreSQL takes at most 65,535
    /// parameters in one), each value cast to its column's type.
    private static func insert(table: String, schema: SourceSchema, columns: [TargetColumn], from sqlite: Database,
                               into db: PostgresSession.Statements) throws -> Int {
        let sourceColumns = schema.columns[table] ?? []
        let byName = Dictionary(uniqueKeysWithValues: columns.map { ($0.name, $0) })
        // (target column, index in a source row: 0 is rowid)
        var plan: [(column: TargetColumn, index: Int)] = sourceColumns.enumerated().compactMap { offset, name in
            byName[name].map { (column: $0, index: offset + 1) }
        }
        if let derived = rowidColumns[table], let column = byName[derived] { plan.append((column: column, index: 0)) }
        guard !plan.isEmpty else { return 0 }
        let names = plan.map { quoted($0.column.name) }.joined(separator: ", ")
        let overriding = plan.contains { $0.column.identity } ? " OVERRIDING SYSTEM VALUE" : ""
        let perStatement = max(1, 30_000 / plan.count)

        func write(_ chunk: [[DatabaseValue]]) throws -> Int {
            var bindings = PostgresBindings(capacity: chunk.count * plan.count)
            var tuples: [String] = []
            for row in chunk {
                var placeholders: [String] = []
                for (column, index) in plan {
                    try bind(row[index], to: column, table: table, rowid: row[0], into: &bindings)
                    placeholders.append("$\(bindings.count)::\(column.type)")
                }
                tuples.append("(" + placeholders.joined(separator: ", ") + ")")
            }
            return try db.execute(PostgresQuery(
                unsafeSQL: "INSERT INTO \(quoted(table)) (\(names))\(overriding) VALUES \(tuples.joined(separator: ", "))",
                binds: bindings))
        }

        let list = sourceColumns.map(quoted).joined(separator: ", ")
        let rows = try Row.fetchCursor(sqlite, sql: "SELECT rowid, \(list) FROM \(quoted(table)) ORDER BY rowid")
        var chunk: [[DatabaseValue]] = []
        var written = 0
        while let row = try rows.next() {
            chunk.append(Array(row.databaseValues))
            if chunk.count == perStatement {
                written += try write(chunk)
                chunk.removeAll(keepingCapacity: true)
            }
        }
        if !chunk.isEmpty { written += try write(chunk) }
        return written
    }

    /// One SQLite value as the PostgreSQL column's type; a value that does not fit is
    /// refused, never guessed.
    private static func bind(_ value: DatabaseValue, to column: TargetColumn, table: String, rowid: DatabaseValue,
                             into bindings: inout PostgresBindings) throws {
        func refuse(_ reason: String) -> StoreCopyError {
            .value(table: table, rowid: "\(rowid)", column: column.name, reason: reason)
        }
        switch (column.type, value.storage) {
        case (_, .null):
            bindings.appendNull()
        case ("boolean", .int64(let number)):
            guard number == 0 || number == 1 else { throw refuse("\(number) is not a 0/1 flag") }
            bindings.append(number == 1)
        case ("bigint", .int64(let number)), ("integer", .int64(let number)), ("smallint", .int64(let number)):
            bindings.append(number)
        case ("double precision", .double(let number)), ("real", .double(let number)):
            bindings.append(number)
        case ("double precision", .int64(let number)), ("real", .int64(let number)):
            bindings.append(Double(number))
        case ("text", .string(let text)):
            bindings.append(text)
        case ("bytea", .blob(let data)):
            try bindings.append(data)
        case ("bytea", .string(let text)):
            try bindings.append(Data(text.utf8))
        case ("bigint", _), ("integer", _), ("smallint", _), ("boolean", _), ("text", _), ("bytea", _),
             ("double precision", _), ("real", _):
            throw refuse("\(value) does not fit \(column.type)")
        default:
            throw StoreCopyError.unsupportedType(table: table, column: column.name, type: column.type)
        }
    }

    static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// Why a home's inventory was not copied; one line each, never a password.
public enum StoreCopyError: Error, Sendable, Equatable, CustomStringConvertible {
    case noSource(path: String)
    case schemaVersions(sqlite: String, postgres: String)
    case tables(onlySQLite: [String], onlyPostgres: [String])
    case columns(table: String, onlySQLite: [String], onlyPostgres: [String])
    case targetNotEmpty(location: String, accounts: Int64, runs: Int64, tables: [String])
    case targetInUse(location: String)
    case unsupportedType(table: String, column: String, type: String)
    case value(table: String, rowid: String, column: String, reason: String)
    case database(location: String, reason: String)

    /// A value in the home that PostgreSQL's schema cannot hold: bad data (exit 65);
    /// everything else is a failure (exit 1).
    public var isBadData: Bool {
        if case .value = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .noSource(let path):
            return "no inventory to copy: \(path) does not exist"
        case .schemaVersions(let sqlite, let postgres):
            return "the schemas do not correspond: the home's SQLite inventory is at migration \(sqlite), the PostgreSQL database at \(postgres); nothing was copied"
        case .tables(let onlySQLite, let onlyPostgres):
            return "the schemas do not match: \(Self.sides(onlySQLite, onlyPostgres, what: "tables")); nothing was copied"
        case .columns(let table, let onlySQLite, let onlyPostgres):
            return "the schemas do not match: table \(table) has \(Self.sides(onlySQLite, onlyPostgres, what: "columns")); nothing was copied"
        case .targetNotEmpty(let location, let accounts, let runs, let tables):
            return "\(location) is not empty (\(accounts) accounts, \(runs) runs; rows in \(tables.joined(separator: ", "))); database migrate copies into an empty database only"
        case .targetInUse(let location):
            return "a fleetform holds the run lock of \(location); database migrate copies into a database nobody uses yet"
        case .unsupportedType(let table, let column, let type):
            return "cannot copy \(table).\(column): PostgreSQL type \(type) is not one the copy converts; nothing was copied"
        case .value(let table, let rowid, let column, let reason):
            return "cannot copy \(table) row \(rowid), column \(column): \(reason); nothing was copied"
        case .database(let location, let reason):
            return "copying into \(location) failed: \(reason); nothing was copied"
        }
    }

    private static func sides(_ onlySQLite: [String], _ onlyPostgres: [String], what: String) -> String {
        var parts: [String] = []
        if !onlySQLite.isEmpty { parts.append("\(what) only in SQLite: \(onlySQLite.joined(separator: ", "))") }
        if !onlyPostgres.isEmpty { parts.append("\(what) only in PostgreSQL: \(onlyPostgres.joined(separator: ", "))") }
        return parts.joined(separator: "; ")
    }
}
