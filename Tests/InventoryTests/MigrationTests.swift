import Foundation
import GRDB
import Testing
import TestSupport
@testable import Inventory

@Suite struct MigrationTests {
    /// Both dialects: SQLite's files in migrations/, PostgreSQL's in migrations/postgres/.
    @Test(arguments: [("migrations", EmbeddedMigration.all), ("migrations/postgres", EmbeddedMigration.postgres)])
    func embeddedMigrationsEqualTheFilesInMigrationsFolder(folderName: String, embedded: [EmbeddedMigration]) throws {
        let folder = RepositoryFiles.url(folderName)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".sql") }
            .sorted()
        #expect(!files.isEmpty)
        #expect(embedded.map { $0.name + ".sql" } == files,
                "\(folderName)/ and the embedded copy differ: run scripts/embed-resources")
        for migration in embedded {
            let text = try String(contentsOf: folder.appendingPathComponent(migration.name + ".sql"), encoding: .utf8)
            #expect(migration.sql == text, "\(folderName)/\(migration.name) differs from its file: run scripts/embed-resources")
        }
    }

    @Test func freshDatabaseAppliesEveryMigrationAndIsPrivate() throws {
        let home = try TemporaryDirectory()
        let path = home.url.appendingPathComponent("nested/fleetform.sqlite").path
        let fleetformHome = FleetformHome(url: home.url.appendingPathComponent("nested"))
        let db = try fleetformHome.openDatabase()
        #expect(try db.appliedMigrations() == EmbeddedMigration.all.map(\.name))
        let attributes = try FileManager.default.attributesOfItem(atPath: fleetformHome.url.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test func upgradeFromTheFirstSchemaKeepsAccounts() throws {
        let home = try TemporaryDirectory()
        let path = home.url.appendingPathComponent("fleetform.sqlite").path
        do {
            // A database as the first release left it, with an account in it.
            let pool = try DatabasePool(path: path)
            _ = try SQLiteInventoryStore(writer: pool, location: path, runLockDirectory: nil, upTo: "0001_accounts")
            try pool.write { db in
                try db.execute(sql: """
                    INSERT INTO accounts (account_id, name, ou_path, region, role_name, access_role_name, tags,
                                          enabled, source, created_at, updated_at)
                    VALUES ('012345678901', 'old', 'Root', 'us-east-1', 'r', 'OrganizationAccountAccessRole', '{}',
                            1, 'file', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')
                    """)
            }
            #expect(try pool.read { try $0.tableExists("inventory_changes") } == false)
        }
        let upgraded = try SQLiteInventoryStore(path: path)
        #expect(try upgraded.appliedMigrations() == EmbeddedMigration.all.map(\.name))
        let accounts = try upgraded.allAccounts()
        #expect(accounts.map(\.accountID) == ["012345678901"])
        #expect(accounts.first?.createdAt == "2026-01-01T00:00:00Z")
        #expect(accounts.first?.accountTags == [:])
        // The upgraded schema works: an import is recorded in the new table.
        _ = try upgraded.importAccounts(
            [AccountSpec(accountID: "012345678901", name: "renamed", region: "us-east-1")],
            source: .file, origin: "f.json", prune: false)
        #expect(try upgraded.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM inventory_changes") } == 1)
    }

    @Test func refusesADatabaseFromANewerFleetform() throws {
        let home = try TemporaryDirectory()
        let path = home.url.appendingPathComponent("fleetform.sqlite").path
        _ = try SQLiteInventoryStore(path: path)
        let pool = try DatabasePool(path: path)
        try pool.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('9999_from_the_future')")
        }
        #expect(throws: InventoryDatabaseError.newerSchema(path: path, migrations: ["9999_from_the_future"])) {
            _ = try SQLiteInventoryStore(path: path)
        }
    }

    /// A newer fleetform meeting an older database while an older fleetform's run holds
    /// the run lock must not change the schema under that run; once it ends, it upgrades.
    @Test func neverUpgradesUnderARunningRun() throws {
        let home = try TemporaryDirectory()
        let path = home.url.appendingPathComponent("fleetform.sqlite").path
        do {
            let pool = try DatabasePool(path: path)
            _ = try SQLiteInventoryStore(writer: pool, location: path, runLockDirectory: nil, upTo: "0004_terraform_start_time")
        }
        var lock = try RunLock.acquire(directory: home.url)
        #expect(lock != nil)
        #expect(throws: InventoryDatabaseError.upgradeDuringRun(
            path: path, lock: home.url.appendingPathComponent("run.lock").path)) {
            _ = try SQLiteInventoryStore(path: path)
        }
        let pool = try DatabasePool(path: path)
        #expect(try pool.read { try $0.columns(in: "runs").map(\.name).contains("host") } == false)
        lock = nil
        _ = lock
        let upgraded = try SQLiteInventoryStore(path: path)
        #expect(try upgraded.appliedMigrations() == EmbeddedMigration.all.map(\.name))
    }

    /// Accounts disabled before reasons were recorded get the reason their row implies.
    @Test func disabledReasonsAreFilledInForOldRows() throws {
        let home = try TemporaryDirectory()
        let path = home.url.appendingPathComponent("fleetform.sqlite").path
        do {
            let pool = try DatabasePool(path: path)
            _ = try SQLiteInventoryStore(writer: pool, location: path, runLockDirectory: nil, upTo: "0004_terraform_start_time")
            try pool.write { db in
                for (id, enabled, state, source, management) in [
                    ("000000000001", 0, "SUSPENDED", "organizations", "000000000009"),
                    ("000000000009", 0, "ACTIVE", "organizations", "000000000009"),
                    ("000000000002", 0, "ACTIVE", "organizations", "000000000009"),
                    ("000000000003", 0, nil, "file", nil),
                    ("000000000004", 1, "ACTIVE", "organizations", "000000000009"),
                ] as [(String, Int, String?, String, String?)] {
                    try db.execute(sql: """
                        INSERT INTO accounts (account_id, name, ou_path, region, role_name, access_role_name, tags,
                            enabled, state, source, management_account_id, created_at, updated_at)
                        VALUES (?, 'n', 'Root', 'us-east-1', 'r', 'a', '{}', ?, ?, ?, ?, 'x', 'x')
                        """, arguments: [id, enabled, state, source, management])
                }
            }
        }
        let upgraded = try SQLiteInventoryStore(path: path)
        var reasons: [String: String] = [:]
        for account in try upgraded.allAccounts() { reasons[account.accountID] = account.disabledReason?.rawValue ?? "-" }
        #expect(reasons == ["000000000001": "suspended", "000000000009": "management", "000000000002": "removed",
                            "000000000003": "user", "000000000004": "-"])
    }
}

@Suite struct FleetformHomeTests {
    @Test func aHomeOnANetworkMountIsRecognised() {
        let mounts = """
            /dev/sda1 / ext4 rw,relatime 0 0
            server:/export /mnt/shared nfs4 rw,vers=4.2 0 0
            //nas/teams /mnt/shared/smb cifs rw 0 0
            tmpfs /mnt/shared/tmp tmpfs rw 0 0
            """
        #expect(FleetformHome.networkFileSystem(of: "/mnt/shared/ops/.fleetform", mounts: mounts) == "nfs4")
        #expect(FleetformHome.networkFileSystem(of: "/mnt/shared/smb/x", mounts: mounts) == "cifs")
        #expect(FleetformHome.networkFileSystem(of: "/mnt/shared/tmp/x", mounts: mounts) == nil)
        #expect(FleetformHome.networkFileSystem(of: "/mnt/sharedX/x", mounts: mounts) == nil)
        #expect(FleetformHome.networkFileSystem(of: "/home/me/.fleetform", mounts: mounts) == nil)
    }

    @Test func aLocalHomeIsNotANetworkOne() throws {
        let home = try TemporaryDirectory()
        #expect(FleetformHome(url: home.url).networkFileSystem() == nil)
    }
}
