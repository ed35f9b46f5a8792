import Foundation
import Testing
import TestSupport

/// Text fleetform did not write — account names, inventory fields, template files —
/// through the built binary: CSV cells that a spreadsheet would run, control and
/// bidirectional characters, templates that would move the state. None needs terraform.
@Suite struct UntrustedTextEndToEndTests {
    private let home: TemporaryDirectory

    init() throws {
        home = try TemporaryDirectory("fleetform-untrusted")
    }

    private var homePath: String { home.url.appendingPathComponent("home").path }

    private func fleetform(_ arguments: String...) throws -> FleetformProcess.Result {
        try FleetformProcess.run(arguments, environment: ["FLEETFORM_HOME": homePath])
    }

    private func importAccounts(_ accounts: [String]) throws {
        let file = try home.write("inventory.json", """
            {"management_account_id": "123456789012", "defaults": {"region": "us-east-1"},
             "accounts": [\(accounts.joined(separator: ",\n"))]}
            """)
        let imported = try fleetform("inventory", "import", file)
        try #require(imported.exitCode == 0, "\(imported.stderr)")
    }

    @Test func statusCSVNeutralisesFormulaCells() throws {
        try importAccounts([
            #"{"id": "100000000001", "name": "=HYPERLINK(\"http://x\",\"y\")"}"#,
            #"{"id": "100000000002", "name": "+cmd|' /C calc'!A0"}"#,
            #"{"id": "100000000003", "name": "-2+3"}"#,
            #"{"id": "100000000004", "name": "@SUM(A1:A9)"}"#,
            #"{"id": "100000000005", "name": "plain, with comma"}"#,
        ])
        let csv = try fleetform("status", "--csv")
        #expect(csv.exitCode == 0)
        let rows = csv.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        // Everything up to `updated_at`, which is the import's time.
        let cells = Dictionary(uniqueKeysWithValues: rows.dropFirst().map {
            (String($0.prefix(12)), String($0[..<$0.lastIndex(of: ",")!]))
        })
        #expect(cells == [
            "100000000001": #"100000000001,"'=HYPERLINK(""http://x"",""y"")",Root,us-east-1,never_run,,,,,0,"#,
            "100000000002": "100000000002,'+cmd|' /C calc'!A0,Root,us-east-1,never_run,,,,,0,",
            "100000000003": "100000000003,'-2+3,Root,us-east-1,never_run,,,,,0,",
            "100000000004": "100000000004,'@SUM(A1:A9),Root,us-east-1,never_run,,,,,0,",
            "100000000005": #"100000000005,"plain, with comma",Root,us-east-1,never_run,,,,,0,"#,
        ])
        // JSON carries the name unchanged.
        #expect(try fleetform("status", "--json").stdout.contains(#""name": "=HYPERLINK(\"http://x\",\"y\")""#))
    }

    @Test func controlCharactersAreRefusedAtImportWithTheirPaths() throws {
        try importAccounts([#"{"id": "100000000001", "name": "kept"}"#])
        let before = try fleetform("inventory", "list", "--json").stdout

        let bad = try home.write("bad.json", #"""
            {"management_account_id": "123456789012",
             "defaults": {"region": "us-east-1", "role_name": "gw\u202arole", "tags": {"owner": "ops\u001b[2J"}},
             "accounts": [
               {"id": "111111111111", "name": "would-be-added"},
               {"id": "222222222222", "name": "prod\u202e", "email": "a\tb@example.com", "ou_path": "Root/\u2066Prod"},
               {"id": "333333333333", "name": "c", "role_name": "r\u007f", "access_role_name": "x\u0085",
                "tags": {"te\u200fam": "a", "cost": "\u061c1"}},
               {"id": "444444444444", "name": "line\nbreak", "na\u202eme": "x"}
             ]}
            """#)
        let result = try fleetform("inventory", "import", bad)
        #expect(result.exitCode == 65)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.split(separator: "\n").map(String.init) == [
            "defaults.role_name: contains the control character U+202A",
            "defaults.tags.owner: contains the control character U+001B",
            "accounts[1].name: contains the control character U+202E",
            "accounts[1].email: contains the control character U+0009",
            "accounts[1].ou_path: contains the control character U+2066",
            "accounts[2].role_name: contains the control character U+007F",
            "accounts[2].access_role_name: contains the control character U+0085",
            #"accounts[2].tags["te\u200fam"]: contains the control character U+200F"#,
            "accounts[2].tags.cost: contains the control character U+061C",
            #"accounts[3].na\u{202E}me: unknown key (allowed: id, name, email, ou_path, region, role_name, access_role_name, tags, enabled)"#,
            "accounts[3].name: contains the control character U+000A",
            "11 problems; nothing was imported",
        ].map { "fleetform: error: \(bad): \($0)" })
        #expect(!result.stderr.unicodeScalars.contains { $0.value == 0x202E || $0.value == 0x1B })
        #expect(try fleetform("inventory", "list", "--json").stdout == before)
    }

    @Test func tablesEscapeControlCharactersLeftInAnOlderDatabase() throws {
        try importAccounts([#"{"id": "100000000001", "name": "payments", "ou_path": "Root/Prod"}"#])
        // A database written before import refused them: put them in behind fleetform's back.
        try SQLite.execute(
            database: homePath + "/fleetform.sqlite",
            "UPDATE accounts SET name = 'pay\u{202E}stnem\u{1B}[2J', ou_path = 'Root/\u{2067}Prod'")

        let status = try fleetform("status")
        #expect(status.exitCode == 0)
        #expect(status.stdout.split(separator: "\n").map(String.init) == [
            "ACCOUNT       NAME                       REGION     STATUS     ROLE ARN / ERROR",
            #"100000000001  pay\u{202E}stnem\u{1B}[2J  us-east-1  never_run  -"#,
            "1 account: 1 never_run",
        ])
        let list = try fleetform("inventory", "list")
        #expect(list.stdout.split(separator: "\n").map(String.init) == [
            "ACCOUNT       NAME                       OU PATH            REGION     ENABLED",
            #"100000000001  pay\u{202E}stnem\u{1B}[2J  Root/\u{2067}Prod  us-east-1  yes"#,
            "1 account (1 enabled, 0 disabled)",
        ])
        for output in [status.stdout, list.stdout] {
            #expect(!output.unicodeScalars.contains { $0 != "\n" && UnicodeScalarSet.unsafe.contains($0.value) })
        }
    }

    @Test func templatesThatMoveTheStateAreRefusedBeforeAnyRun() throws {
        try importAccounts([#"{"id": "100000000001", "name": "a"}"#])
        let template = try TemporaryDirectory("fleetform-template")
        let scripted = try String(contentsOf: FixtureControl.scriptedTemplate.appendingPathComponent("main.tf"), encoding: .utf8)
        try template.write("main.tf", scripted)
        try template.write("main_override.tf", "terraform {\n  backend \"s3\" {\n    bucket = \"everyone\"\n  }\n}\n")
        let path = template.url.standardizedFileURL.path

        for command in [["apply"], ["plan"], ["destroy", "--yes"]] {
            let result = try FleetformProcess.run(command + ["--template", path, "--skip-preflight"],
                                                  environment: ["FLEETFORM_HOME": homePath])
            #expect(result.exitCode == 65, "\(command): \(result.stderr)")
            #expect(result.stdout.isEmpty)
            #expect(result.stderr == """
                fleetform: error: template \(path): main_override.tf declares a backend block ("s3") at line 2; \
                fleetform keeps each account's state itself, remove it

                """)
        }
        #expect(try fleetform("runs", "--json").stdout == "{\"runs\": []}\n")
    }
}

/// The scalars `UnsafeText` escapes, for checking output from outside the package.
private enum UnicodeScalarSet {
    static let unsafe: Set<UInt32> = Set(Array(0x00...0x1F) + Array(0x7F...0x9F) + Array(0x202A...0x202E)
                                         + Array(0x2066...0x2069) + [0x200E, 0x200F, 0x061C])
}

/// SQL against a fleetform database with Python's sqlite3 (the tests' Python is there
/// anyway for moto), to make states fleetform itself refuses to write.
enum SQLite {
    static func execute(database: String, _ sql: String) throws {
        let python = try ExecutableSearch.require("python3")
        let process = Process()
        process.executableURL = python
        process.arguments = ["-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()",
                             database, sql]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestEnvironmentError("python3 sqlite3 failed on \(sql)") }
    }

    static func query(database: String, _ sql: String) throws -> String {
        let python = try ExecutableSearch.require("python3")
        let process = Process()
        process.executableURL = python
        process.arguments = ["-c", "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])",
                             database, sql]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestEnvironmentError("python3 sqlite3 failed on \(sql)") }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
