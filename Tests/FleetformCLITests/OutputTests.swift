import Foundation
import Testing
@testable import FleetformCLI
@testable import Inventory

@Suite struct OutputTests {
    private let plain = Terminal(colors: false, width: 80)

    private func status(_ id: String, name: String, status: OnboardingStatus = .neverRun, roleARN: String? = nil,
                        error: String? = nil) -> AccountStatus {
        AccountStatus(accountID: id, name: name, ouPath: "Root/Workloads/Prod", region: "eu-central-1",
                      status: status, roleARN: roleARN, error: error, updatedAt: "2026-11-26T00:00:00Z")
    }

    @Test func statusTableFitsEightyColumnsAndKeepsTheEndOfLongARNs() {
        let longName = "an-extraordinarily-long-account-name-for-testing-x"
        let arn = "arn:aws:iam::012345678901:role/an-equally-long-role-name-for-the-akeyless-gateway"
        let output = StatusTable.render(
            [status("012345678901", name: longName, status: .succeeded, roleARN: arn), status("000000000002", name: "b")],
            terminal: plain)
        let lines = output.split(separator: "\n")
        #expect(lines.count == 4)
        for line in lines { #expect(line.count <= 80, "\(line) is \(line.count) columns") }
        #expect(lines[1].hasPrefix("012345678901  an-extraord…"))
        #expect(lines[1].contains("…"))
        #expect(lines[1].hasSuffix("akeyless-gateway"))
        #expect(lines[3] == "2 accounts: 1 never_run, 1 succeeded")
        #expect(!output.contains("\u{1B}["))
    }

    @Test func statusTableColoursStatusesOnlyWhenAllowed() {
        let coloured = StatusTable.render([status("000000000001", name: "a", status: .failed)],
                                          terminal: Terminal(colors: true, width: 80))
        #expect(coloured.contains("\u{1B}[31mfailed\u{1B}[0m"))
        // Escape codes do not count toward the width: the header still lines up.
        let header = coloured.split(separator: "\n")[0]
        #expect(header == "ACCOUNT       NAME  REGION        STATUS  ROLE ARN / ERROR")
    }

    @Test func terminalHonoursNoColor() {
        #expect(!Terminal.standardOutput(noColorFlag: false, environment: ["NO_COLOR": "1"]).colors)
        #expect(!Terminal.standardOutput(noColorFlag: true, environment: [:]).colors)
        // Test output is a pipe, never a terminal.
        #expect(!Terminal.standardOutput(noColorFlag: false, environment: [:]).colors)
        #expect(Terminal.standardOutput(noColorFlag: false, environment: ["COLUMNS": "120"]).width == 120)
        #expect(Terminal.standardOutput(noColorFlag: false, environment: ["COLUMNS": "20"]).width == 80)
    }

    @Test func statusJSONHasTheDocumentedShape() throws {
        let json = StatusJSON.render([
            status("012345678901", name: "a \"quoted\" name", status: .failed, error: "AccessDenied: no"),
            status("000000000002", name: "b"),
        ])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["accounts", "summary"])
        let accounts = try #require(object["accounts"] as? [[String: Any]])
        #expect(Set(accounts[0].keys) == [
            "account_id", "name", "ou_path", "region", "status", "role_arn", "policy_arn", "instance_profile_arn",
            "last_run_id", "attempts", "error", "updated_at",
        ])
        #expect(accounts[0]["account_id"] as? String == "012345678901")
        #expect(accounts[0]["name"] as? String == "a \"quoted\" name")
        #expect(accounts[0]["error"] as? String == "AccessDenied: no")
        #expect(accounts[1]["role_arn"] is NSNull)
        #expect(accounts[1]["attempts"] as? Int == 0)
        #expect(object["summary"] as? [String: Int] == ["failed": 1, "never_run": 1])
        #expect(StatusJSON.render([]) == "{\"accounts\": [], \"summary\": {}}\n")
    }

    @Test func statusCSVQuotesOnlyWhereNeeded() {
        let csv = StatusCSV.render([status("000000000001", name: "a, \"b\"", error: "line1\nline2")])
        let lines = csv.components(separatedBy: "\r\n")
        #expect(lines[0] == StatusCSV.header.joined(separator: ","))
        #expect(lines[1] == "000000000001,\"a, \"\"b\"\"\",Root/Workloads/Prod,eu-central-1,never_run,,,,,0,\"line1\nline2\",2026-11-26T00:00:00Z")
    }

    @Test func textTableCutsFromTheChosenEnd() {
        #expect(TextTable.fit("abcdefgh", width: 5, keep: .start) == "abcd…")
        #expect(TextTable.fit("abcdefgh", width: 5, keep: .end) == "…efgh")
        #expect(TextTable.fit("abc", width: 5, keep: .end) == "abc")
    }
}

@Suite struct CSVWriterTests {
    @Test(arguments: [
        ("=1+2", "'=1+2"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
        ("\rx", "\"'\rx\""), ("plain", "plain"), ("a,b", "\"a,b\""), ("", ""), ("say \"hi\"", "\"say \"\"hi\"\"\""),
    ])
    func neutralisesFormulasAndQuotes(value: String, expected: String) {
        #expect(CSVWriter.field(value) == expected)
    }
}
