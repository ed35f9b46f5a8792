import Foundation
import GRDB
import PostgresNIO
import Testing
import TestSupport
@testable import Inventory

/// `StoreCopy`: a home's SQLite inventory copied into an empty PostgreSQL database,
/// every table and column of the schema, converted, with its ids; refused, with the
/// target left empty, when the schemas differ or the target holds data.
@Suite struct StoreCopyTests {
    /// Every SQLite migration has its PostgreSQL counterpart: a migration added to one
    /// dialect only fails here (and `database migrate` refuses it).
    @Test func everyMigrationOfEitherDialectHasItsCounterpart() {
        #expect(StoreCopy.sqliteEquivalent(ofPostgres: EmbeddedMigration.postgres.map(\.name))
                == EmbeddedMigration.all.map(\.name))
        #expect(StoreCopy.sqliteEquivalent(ofPostgres: ["0001_initial"])?.last == "0010_settings")
        #expect(StoreCopy.sqliteEquivalent(ofPostgres: ["0001_initial", "0009_unknown"]) == nil)
    }

    /// The two dialects have the same tables with the same columns (but for `runs.run_seq`,
    /// SQLite's rowid), and the copy fills every one of them.
    @Test func everyTableOfTheSchemaIsCopiedWithItsIdsAndTypes() throws {
        let source = try SQLiteInventoryStore.inMemory()
        try fillEveryTable(source)
        // More rows than one INSERT carries (30,000 parameters / 8 columns).
        try source.write { db in
            try db.execute(sql: """
                WITH RECURSIVE n(i) AS (SELECT 100 UNION ALL SELECT i + 1 FROM n WHERE i < 5099)
                INSERT INTO inventory_changes (id, source, origin, added, updated, unchanged, disabled, changed_at)
                SELECT i, 'organizations', 'o-' || i, i, 0, 0, 0, 't' || i FROM n
                """)
        }
        let target = try PostgresInventoryStore(url: try PostgresURL(parsing: try PostgresServer.shared().freshDatabase("copy")))

        let sqliteTables = try source.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'grdb_migrations' ORDER BY name")
        }
        let postgresTables = try target.session.run { db in
            try db.query("SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'fleetform_migrations' ORDER BY tablename")
                .map { try $0[0].decode(String.self) }
        }
        #expect(sqliteTables == postgresTables)
        #expect(sqliteTables.count >= 9)

        let report = try StoreCopy.copy(from: source, to: target)
        #expect(report.tables.map(\.table).sorted() == sqliteTables)
        for count in report.tables { #expect(count.rows > 0, "\(count.table) was not copied") }
        #expect(report.tables.first { $0.table == "inventory_changes" }?.rows == 5001)
        #expect(report.tables.first?.table == "accounts")
        #expect(report.stateLocation == "local")

        // Every value of every table, both sides as text (flags as 0/1, bytes as hex).
        for table in sqliteTables {
            #expect(try postgresRows(target, table) == sqliteRows(source, table), "\(table)")
        }

        // Types converted, ids kept, rowid order in run_seq.
        let job = try target.session.run { db in
            try #require(try db.query("SELECT job_id, canary, log_tail, run_id FROM jobs ORDER BY job_id").first)
        }
        #expect(try job.get("job_id", as: Int64.self) == 41)
        #expect(try job.get("canary", as: Bool.self) == true)
        #expect(try job.get("log_tail", as: Data.self) == Data("tail\u{0}bytes".utf8))
        let transient = try target.session.run { db in
            try db.value("SELECT transient FROM job_attempts WHERE job_id = 41", as: Bool.self)
        }
        #expect(transient == true)
        #expect(try target.jobs(runID: "20260101-000000-bbbb").map(\.jobID) == [41])
        let seqs = try target.session.run { db in
            try db.query("SELECT run_id, run_seq FROM runs ORDER BY run_seq").map { try $0[0].decode(String.self) }
        }
        #expect(seqs == ["20260101-000000-bbbb", "20260101-000000-aaaa"])
        #expect(try target.allAccounts().map(\.spec.accountID) == ["100000000001"])
        #expect(try target.allAccounts().first?.spec.enabled == false)

        // The identity sequences moved past the copied ids.
        let next = try target.session.run { db in
            try db.value("INSERT INTO inventory_changes (source, origin, added, updated, unchanged, disabled, changed_at) VALUES ('file', 'x', 0, 0, 0, 0, 't') RETURNING id", as: Int64.self)
        }
        #expect(next == 5100)

        // A second copy into the same database is refused and changes nothing.
        let again = #expect(throws: StoreCopyError.self) { try StoreCopy.copy(from: source, to: target) }
        #expect(again?.description.contains("is not empty (1 accounts, 2 runs") == true, "\(again?.description ?? "")")
    }

    /// A column one dialect has and the other does not (a migration written for one only)
    /// stops the copy, and the target stays empty.
    @Test func aColumnOnOneSideOnlyIsRefusedAndNothingIsWritten() throws {
        let source = try SQLiteInventoryStore.inMemory()
        try fillEveryTable(source)
        let server = try PostgresServer.shared()
        let url = try server.freshDatabase("copycol")
        let target = try PostgresInventoryStore(url: try PostgresURL(parsing: url))
        try target.session.run { db in try db.execute("ALTER TABLE jobs ADD COLUMN lock_id TEXT") }
        let error = #expect(throws: StoreCopyError.self) { try StoreCopy.copy(from: source, to: target) }
        #expect(error == .columns(table: "jobs", onlySQLite: [], onlyPostgres: ["lock_id"]))
        #expect(error?.description.contains("columns only in PostgreSQL: lock_id") == true)

        try source.write { db in try db.execute(sql: "ALTER TABLE akeyless_state ADD COLUMN extra TEXT") }
        try target.session.run { db in try db.execute("ALTER TABLE jobs DROP COLUMN lock_id") }
        let other = #expect(throws: StoreCopyError.self) { try StoreCopy.copy(from: source, to: target) }
        #expect(other == .columns(table: "akeyless_state", onlySQLite: ["extra"], onlyPostgres: []))
        let accounts = try target.session.run { db in try db.value("SELECT count(*) FROM accounts", as: Int64.self) }
        #expect(accounts == 0)
    }

    /// A home at another migration than the database (here one migration behind) is
    /// refused before anything is read.
    @Test func schemasAtDifferentMigrationsAreRefused() throws {
        let older = try SQLiteInventoryStore(writer: DatabaseQueue(), location: ":memory:", runLockDirectory: nil,
                                             upTo: "0010_settings")
        let target = try PostgresInventoryStore(url: try PostgresURL(parsing: try PostgresServer.shared().freshDatabase("copyver")))
        let error = #expect(throws: StoreCopyError.self) { try StoreCopy.copy(from: older, to: target) }
        #expect(error == .schemaVersions(sqlite: "0010_settings", postgres: EmbeddedMigration.postgres.last!.name))
        #expect(error?.description.contains("do not correspond") == true)
    }

    /// A value PostgreSQL's column cannot hold fails the whole copy: the rows of the
    /// tables copied before it are rolled back.
    @Test func aFailureHalfWayLeavesTheTargetEmpty() throws {
        let source = try SQLiteInventoryStore.inMemory()
        try fillEveryTable(source)
        try source.write { db in
            try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
            try db.execute(sql: "UPDATE job_attempts SET transient = 2")
        }
        let target = try PostgresInventoryStore(url: try PostgresURL(parsing: try PostgresServer.shared().freshDatabase("copyhalf")))
        let error = #expect(throws: StoreCopyError.self) { try StoreCopy.copy(from: source, to: target) }
        #expect(error?.isBadData == true)
        #expect(error?.description.contains("job_attempts") == true, "\(error?.description ?? "")")
        let counts = try target.session.run { db in
            try db.value("SELECT (SELECT count(*) FROM accounts) + (SELECT count(*) FROM runs) + (SELECT count(*) FROM jobs)", as: Int64.self)
        }
        #expect(counts == 0)
    }

    /// A table's rows as sorted lines of text, columns by name.
    private func sqliteRows(_ store: SQLiteInventoryStore, _ table: String) throws -> [String] {
        try store.read { db in
            let columns = try Row.fetchAll(db, sql: "PRAGMA table_info(\(table))").map { $0["name"] as String }.sorted()
            return try Row.fetchAll(db, sql: "SELECT \(columns.joined(separator: ", ")) FROM \(table)").map { row in
                columns.map { column -> String in
                    switch (row[column] as DatabaseValue).storage {
                    case .null: "NULL"
                    case .int64(let number): "\(number)"
                    case .double(let number): "\(number)"
                    case .string(let text): text
                    case .blob(let data): data.map { String(format: "%02x", $0) }.joined()
                    }
                }.joined(separator: "|")
            }.sorted()
        }
    }

    private func postgresRows(_ store: PostgresInventoryStore, _ table: String) throws -> [String] {
        try store.session.run { db in
            let columns = try db.query("""
                SELECT column_name::text, data_type::text FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name = \(table) AND column_name <> 'run_seq'
                ORDER BY column_name
                """).map { (try $0[0].decode(String.self), try $0[1].decode(String.self)) }
            let list = columns.map { name, type -> String in
                switch type {
                case "boolean": "COALESCE((\(name)::int)::text, 'NULL')"
                case "bytea": "COALESCE(encode(\(name), 'hex'), 'NULL')"
                default: "COALESCE(\(name)::text, 'NULL')"
                }
            }.joined(separator: " || '|' || ")
            return try db.query(PostgresQuery(unsafeSQL: "SELECT \(list) FROM \(table)"))
                .map { try $0[0].decode(String.self) }.sorted()
        }
    }

    /// One row in every table, written as raw SQL so that the test does not depend on the
    /// store's write paths (and a table nobody fills fails `everyTable…` above).
    private func fillEveryTable(_ store: SQLiteInventoryStore) throws {
        try store.write { db in
            try db.execute(sql: """
                INSERT INTO accounts (account_id, name, ou_path, region, role_name, access_role_name, tags, enabled,
                    disabled_reason, source, created_at, updated_at, account_tags)
                VALUES ('100000000001', 'a', 'Root/A', 'us-east-1', 'r', 'OrganizationAccountAccessRole', '{}', 0,
                    'user', 'file', 't0', 't0', '{"team":"x"}');
                INSERT INTO inventory_changes (id, source, origin, added, updated, unchanged, disabled, changed_at)
                VALUES (7, 'file', 'inventory.json', 1, 0, 0, 0, 't0');
                INSERT INTO runs (run_id, command, template, pid, parallel, started_at, finished_at, outcome, queue,
                    allowed_failures, max_attempts)
                VALUES ('20260101-000000-bbbb', 'apply', 'scripted', 1, 2, 't1', 't2', 'failed', 'open', 1, 3);
                INSERT INTO runs (run_id, command, template, pid, parallel, started_at)
                VALUES ('20260101-000000-aaaa', 'retry', 'scripted', 1, 2, 't1');
                INSERT INTO jobs (job_id, run_id, account_id, operation, template, status, canary, attempts, updated_at,
                    log_tail, claims, lease_expires_ms, terraform_started)
                VALUES (41, '20260101-000000-bbbb', '100000000001', 'apply', 'scripted', 'failed', 1, 1, 't2',
                    X'7461696c0062797465730a', 3, 1767225600000, 123456789012);
                INSERT INTO job_attempts (job_id, attempt, started_at, finished_at, termination, transient, error)
                VALUES (41, 1, 't1', 't2', 'exit 1', 1, 'boom');
                INSERT INTO account_state (account_id, status, last_run_id, last_job_id, attempts, updated_at)
                VALUES ('100000000001', 'failed', '20260101-000000-bbbb', 41, 1, 't2');
                INSERT INTO akeyless_state (account_id, status, api_url, target, auth_method, layout, updated_at)
                VALUES ('100000000001', 'pending', 'https://api.akeyless.io', 't', 'm', 'shared', 't2');
                INSERT INTO settings (name, value, updated_at) VALUES ('state_location', 'local', 't1');
                INSERT INTO run_template_files (run_id, template, template_hash, path, contents)
                VALUES ('20260101-000000-bbbb', 'scripted', 'h', 'main.tf', X'00ff');
                """)
        }
        // Bytes with a NUL, as a log tail may hold.
        try store.write { db in
            try db.execute(sql: "UPDATE jobs SET log_tail = ? WHERE job_id = 41", arguments: [Data("tail\u{0}bytes".utf8)])
        }
    }
}
