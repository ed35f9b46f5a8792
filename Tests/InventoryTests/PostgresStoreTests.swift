import FleetformBasics
import Foundation
import Testing
import TestSupport
@testable import Inventory

/// What only the PostgreSQL side has: its URL, its test server, its migrations file
/// format, and errors that never show the password.
@Suite struct PostgresStoreTests {
    @Test func databaseURLsAreParsedAndPrintedWithoutTheirPassword() throws {
        let url = try PostgresURL(parsing: "postgresql://fleet:s%40cret@db.example:6543/inv?sslmode=require")
        #expect(url.host == "db.example")
        #expect(url.port == 6543)
        #expect(url.user == "fleet")
        #expect(url.password == "s@cret")
        #expect(url.database == "inv")
        #expect(url.tls == .require)
        #expect(url.redacted == "postgres://fleet:***@db.example:6543/inv?sslmode=require")
        #expect(try PostgresURL(parsing: "postgres://u@h/d").port == 5432)
        #expect(try PostgresURL(parsing: "postgres://u@h/d").redacted == "postgres://u@h:5432/d")
    }

    @Test(arguments: [
        ("mysql://u:hunter2@h/d", "unsupported scheme"),
        ("postgres://u:hunter2@h", "no database name"),
        ("postgres://:hunter2@h/d", "no user"),
        ("postgres://u:hunter2@h/d?sslmode=maybe", "sslmode must be"),
        ("postgres://u:hunter2@h/d?application=x", "unknown parameter"),
    ])
    func badURLsAreUsageErrorsNamingTheFlagWithoutThePassword(text: String, problem: String) throws {
        let home = FleetformHome(url: URL(fileURLWithPath: "/tmp/h"))
        let error = #expect(throws: StoreLocationError.self) {
            _ = try StoreLocation.resolve(flag: text, environment: [:], home: home)
        }
        #expect(error?.description.hasPrefix("--database ") == true)
        #expect(error?.description.contains(problem) == true, "\(error?.description ?? "")")
        #expect(error?.description.contains("hunter2") == false)
        let fromEnvironment = #expect(throws: StoreLocationError.self) {
            _ = try StoreLocation.resolve(flag: nil, environment: ["FLEETFORM_DATABASE_URL": text], home: home)
        }
        #expect(fromEnvironment?.description.hasPrefix("FLEETFORM_DATABASE_URL ") == true)
    }

    @Test func withoutAURLTheHomesSQLiteFileIsTheStore() throws {
        let home = FleetformHome(url: URL(fileURLWithPath: "/tmp/h"))
        #expect(try StoreLocation.resolve(flag: nil, environment: [:], home: home) == .sqlite(path: "/tmp/h/fleetform.sqlite"))
        #expect(try StoreLocation.resolve(flag: "", environment: ["FLEETFORM_DATABASE_URL": "postgres://u@h/d"], home: home)
            == .postgres(try PostgresURL(parsing: "postgres://u@h/d")))
    }

    @Test func aServerThatCannotBeReachedIsOneLineWithoutThePassword() throws {
        let port = try LoopbackNetwork.freePort()
        let url = try PostgresURL(parsing: "postgres://fleet:hunter2@127.0.0.1:\(port)/nowhere?sslmode=disable")
        let error = #expect(throws: InventoryDatabaseError.self) { _ = try PostgresInventoryStore(url: url) }
        let text = error?.description ?? ""
        #expect(text.hasPrefix("cannot open the inventory database postgres://fleet:***@127.0.0.1:\(port)/nowhere"), "\(text)")
        #expect(!text.contains("hunter2"))
        #expect(!text.contains("\n"))
    }

    @Test func aMissingDatabaseSaysWhatTheServerSaid() throws {
        let server = try PostgresServer.shared()
        let url = try PostgresURL(parsing: server.url(database: "no_such_database").replacingOccurrences(
            of: "postgres://fleetform@", with: "postgres://fleetform:hunter2@"))
        let error = #expect(throws: InventoryDatabaseError.self) { _ = try PostgresInventoryStore(url: url) }
        #expect(error?.description.contains("database \"no_such_database\" does not exist") == true,
                "\(error?.description ?? "")")
        #expect(error?.description.contains("hunter2") == false)
    }

    /// The test server itself: it answers at its URL, and `stop` ends it and removes its
    /// directory.
    @Test func theTestServerStartsAnswersAndIsRemoved() throws {
        let server = try PostgresServer.start()
        let store = try PostgresInventoryStore(url: try PostgresURL(parsing: server.url))
        #expect(try store.appliedMigrations() == EmbeddedMigration.postgres.map(\.name))
        server.stop()
        #expect(throws: (any Error).self) { _ = try store.allAccounts() }
    }

    @Test func migrationFilesSplitIntoTheirStatements() {
        let statements = PostgresInventoryStore.statements("""
            -- a comment; with a semicolon;
            CREATE TABLE a (
                x TEXT -- inline
            );

            CREATE INDEX b ON a (x);
            """)
        #expect(statements == ["CREATE TABLE a (\n    x TEXT -- inline\n)", "CREATE INDEX b ON a (x)"])
    }

    /// An older database (applied a prefix of the migrations) is upgraded on open; while
    /// another fleetform holds the run lock it is refused instead.
    @Test func anUpgradeWaitsForNoRunAndThenApplies() throws {
        let server = try PostgresServer.shared()
        let url = try PostgresURL(parsing: try server.freshDatabase("upgrade"))
        let old = [EmbeddedMigration(name: "0000_base", sql: "CREATE TABLE early (x TEXT);")]
        _ = try PostgresInventoryStore(url: url, migrations: old)
        let lockHolder = try PostgresInventoryStore(url: url, migrations: old)
        var lock: RunLock? = try lockHolder.acquireRunLock(home: URL(fileURLWithPath: "/nonexistent"))
        let newer = old + EmbeddedMigration.postgres
        #expect(throws: InventoryDatabaseError.upgradeDuringRun(path: url.redacted, lock: "its advisory run lock")) {
            _ = try PostgresInventoryStore(url: url, migrations: newer)
        }
        withExtendedLifetime(lock) {}
        lock = nil
        let upgraded = try PostgresInventoryStore(url: url, migrations: newer)
        #expect(try upgraded.appliedMigrations() == newer.map(\.name).sorted())
        #expect(try upgraded.allAccounts().isEmpty)
    }

    /// A run held on another host is normal for a database machines share: the refusal
    /// names the run and its host without calling the set-up a mistake.
    @Test func aRunHeldOnAnotherHostIsNamedWithoutBlamingTheSetUp() {
        let owner = ProcessIdentity(host: "builder-7", pid: 4242, startTime: nil)
        let shared = RunInProgress(runID: "r1", command: .apply, owner: owner, startedAt: "t", sharedStore: true)
        #expect(shared.description == "run r1 (apply, started t) is held by fleetform pid 4242 on host builder-7; wait for it, or stop it there with Ctrl-C / kill -INT 4242")
        let home = RunInProgress(runID: "r1", command: .apply, owner: owner, startedAt: "t")
        #expect(home.description.contains("a home must not be shared between machines"))
    }
}
