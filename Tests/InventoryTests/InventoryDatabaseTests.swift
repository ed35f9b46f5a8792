import Foundation
import GRDB
import Testing
import TestSupport
@testable import Inventory

@Suite struct InventoryDatabaseTests {
    private func account(_ id: String, name: String = "acct", region: String = "us-east-1",
                         tags: [String: String] = [:], enabled: Bool = true) -> AccountSpec {
        AccountSpec(accountID: id, name: name, ouPath: "Root/Workloads", region: region,
                    managementAccountID: "123456789012", tags: tags, enabled: enabled)
    }

    private func date(_ seconds: TimeInterval) -> Date { Date(timeIntervalSince1970: 1_800_000_000 + seconds) }

    @Test func importInsertsThenLeavesUnchangedAccountsUntouched() throws {
        let db = try SQLiteInventoryStore.inMemory()
        let accounts = [account("000000000001"), account("000000000002", tags: ["b": "2", "a": "1"])]
        let first = try db.importAccounts(accounts, source: .file, origin: "f.json", prune: false, at: date(0))
        #expect(first == InventoryImportSummary(added: 2))
        let again = try db.importAccounts(accounts, source: .file, origin: "f.json", prune: false, at: date(60))
        #expect(again == InventoryImportSummary(unchanged: 2))
        // Nothing was written, so updated_at is still the first import's.
        #expect(try db.allAccounts().map(\.updatedAt) == [Timestamp.string(from: date(0)), Timestamp.string(from: date(0))])
        #expect(try db.allAccounts()[1].tags == ["a": "1", "b": "2"])
    }

    @Test func reimportUpdatesInPlaceAndKeepsCreationTime() throws {
        let db = try SQLiteInventoryStore.inMemory()
        _ = try db.importAccounts([account("000000000001"), account("000000000002")], source: .file,
                                  origin: "f.json", prune: false, at: date(0))
        let changed = [account("000000000001", name: "renamed", region: "eu-west-1", tags: ["team": "x"]),
                       account("000000000002"), account("000000000003")]
        let summary = try db.importAccounts(changed, source: .file, origin: "f.json", prune: false, at: date(60))
        #expect(summary == InventoryImportSummary(added: 1, updated: 1, unchanged: 1))
        let renamed = try #require(try db.allAccounts().first { $0.accountID == "000000000001" })
        #expect(renamed.name == "renamed")
        #expect(renamed.region == "eu-west-1")
        #expect(renamed.tags == ["team": "x"])
        #expect(renamed.createdAt == Timestamp.string(from: date(0)))
        #expect(renamed.updatedAt == Timestamp.string(from: date(60)))
    }

    /// Account tags are stored beside the resource tags; a change to them alone is an
    /// update, an equal set is not written.
    @Test func accountTagsAreStoredAndCountAsAChange() throws {
        let db = try SQLiteInventoryStore.inMemory()
        var tagged = account("000000000001", tags: ["team": "resource"])
        tagged.accountTags = ["team": "payments", "env": "prod"]
        _ = try db.importAccounts([tagged], source: .file, origin: "f.json", prune: false, at: date(0))
        let stored = try #require(try db.allAccounts().first)
        #expect(stored.accountTags == ["team": "payments", "env": "prod"])
        #expect(stored.tags == ["team": "resource"])
        #expect(try db.importAccounts([tagged], source: .file, origin: "f.json", prune: false, at: date(30))
            == InventoryImportSummary(unchanged: 1))
        tagged.accountTags["env"] = "staging"
        #expect(try db.importAccounts([tagged], source: .file, origin: "f.json", prune: false, at: date(60))
            == InventoryImportSummary(updated: 1))
        #expect(try db.allAccounts().first?.accountTags == ["team": "payments", "env": "staging"])
        #expect(try db.read { try String.fetchOne($0, sql: "SELECT account_tags FROM accounts") }
            == #"{"env":"staging","team":"payments"}"#)
    }

    @Test func pruneDisablesMissingAccountsAndNeverDeletes() throws {
        let db = try SQLiteInventoryStore.inMemory()
        _ = try db.importAccounts([account("000000000001"), account("000000000002"), account("000000000003")],
                                  source: .file, origin: "f.json", prune: false)
        let withoutPrune = try db.importAccounts([account("000000000001")], source: .file, origin: "f.json", prune: false)
        #expect(withoutPrune == InventoryImportSummary(unchanged: 1))
        #expect(try db.allAccounts().allSatisfy(\.enabled))

        let pruned = try db.importAccounts([account("000000000001")], source: .file, origin: "f.json", prune: true)
        #expect(pruned == InventoryImportSummary(unchanged: 1, disabled: 2))
        let all = try db.allAccounts()
        #expect(all.count == 3)
        #expect(all.filter(\.enabled).map(\.accountID) == ["000000000001"])

        // Already-disabled accounts are not counted again.
        let prunedAgain = try db.importAccounts([account("000000000001")], source: .file, origin: "f.json", prune: true)
        #expect(prunedAgain == InventoryImportSummary(unchanged: 1, disabled: 0))

        // An account that comes back in the file is enabled again.
        let back = try db.importAccounts([account("000000000001"), account("000000000002")], source: .file,
                                         origin: "f.json", prune: true)
        #expect(back == InventoryImportSummary(updated: 1, unchanged: 1))
        #expect(try db.accountStandings().map(\.accountID) == ["000000000001", "000000000002"])
    }

    @Test func recordsEachImportThatChangedSomething() throws {
        let db = try SQLiteInventoryStore.inMemory()
        _ = try db.importAccounts([account("000000000001")], source: .file, origin: "/x/f.json", prune: false)
        _ = try db.importAccounts([account("000000000001")], source: .file, origin: "/x/f.json", prune: false)
        let rows = try db.read { db in
            try Row.fetchAll(db, sql: "SELECT origin, added, unchanged FROM inventory_changes")
        }
        #expect(rows.count == 1)
        #expect(rows.first?["origin"] == "/x/f.json")
        #expect(rows.first?["added"] == 1)
    }

    @Test func statusesAreNeverRunForEnabledAccountsOnly() throws {
        let db = try SQLiteInventoryStore.inMemory()
        _ = try db.importAccounts([account("000000000001"), account("000000000002", enabled: false)],
                                  source: .file, origin: "f.json", prune: false)
        let statuses = try db.accountStandings()
        #expect(statuses.map(\.accountID) == ["000000000001"])
        #expect(statuses.first?.status == .neverRun)
        #expect(statuses.first?.roleARN == nil)
        #expect(statuses.first?.attempts == 0)
    }

    @Test func databaseRejectsInvalidAccountIDsEvenBelowTheValidator() throws {
        let db = try SQLiteInventoryStore.inMemory()
        #expect(throws: DatabaseError.self) {
            _ = try db.importAccounts([account("12345")], source: .file, origin: "f.json", prune: false)
        }
        #expect(try db.allAccounts().isEmpty)
    }
}
