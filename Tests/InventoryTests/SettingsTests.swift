import Foundation
import GRDB
import Testing
import TestSupport
@testable import Inventory

@Suite struct SettingsTests {
    @Test func theFirstRecordedStateLocationStaysUntilReplaced() throws {
        let db = try SQLiteInventoryStore.inMemory()
        #expect(try db.recordedStateLocation() == nil)
        #expect(try db.recordStateLocationIfUnset("s3://fleet-state/fleet?region=us-east-1") == "s3://fleet-state/fleet?region=us-east-1")
        // A second first run loses to the one that recorded first.
        #expect(try db.recordStateLocationIfUnset("local") == "s3://fleet-state/fleet?region=us-east-1")
        try db.replaceStateLocation("local")
        #expect(try db.recordedStateLocation() == "local")
    }

    /// A home that ran terraform before S3 state existed has its state locally: the
    /// upgrade records that, so a first `--state s3://…` is refused instead of starting
    /// every account from an empty state.
    @Test func anUpgradedHomeThatRanTerraformIsRecordedLocal() throws {
        for ran in [true, false] {
            let home = try TemporaryDirectory()
            let path = home.url.appendingPathComponent("fleetform.sqlite").path
            do {
                let pool = try DatabasePool(path: path)
                _ = try SQLiteInventoryStore(writer: pool, location: path, runLockDirectory: nil, upTo: "0007_akeyless")
                try pool.write { db in
                    try db.execute(sql: """
                        INSERT INTO accounts (account_id, name, ou_path, region, role_name, access_role_name, tags,
                                              enabled, source, created_at, updated_at)
                        VALUES ('012345678901', 'old', 'Root', 'us-east-1', 'r', 'a', '{}', 1, 'file', 't', 't');
                        INSERT INTO runs (run_id, command, template, pid, parallel, started_at)
                        VALUES ('r1', 'apply', 'akeyless-gateway-role', 1, 1, 't');
                        INSERT INTO jobs (run_id, account_id, operation, template, status, attempts, updated_at)
                        VALUES ('r1', '012345678901', 'apply', 'akeyless-gateway-role', 'succeeded', \(ran ? 1 : 0), 't');
                        """)
                }
            }
            let upgraded = try SQLiteInventoryStore(path: path)
            #expect(try upgraded.recordedStateLocation() == (ran ? "local" : nil))
        }
    }
}
