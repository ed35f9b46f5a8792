import FleetformBasics
import Foundation
import Testing
@testable import FleetformCLI
@testable import Inventory
@testable import Onboarding

@Suite struct OutputTests {
    private let plain = Terminal(colors: false, width: 80)

    private func status(_ id: String, name: String, status: OnboardingStatus = .neverRun, roleARN: String? = nil,
                        error: String? = nil) -> AccountStanding {
        AccountStanding(accountID: id, name: name, ouPath: "Root/Workloads/Prod", region: "eu-central-1",
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

    static let synced = AkeylessRecord(
        accountID: "012345678901", status: .synced, apiURL: "http://127.0.0.1:1", target: "/fleetform/aws/012345678901",
        authMethod: "/fleetform/aws-gateways", layout: .shared, accessID: "p-abc123", syncedAt: "2026-11-27T00:00:00Z",
        updatedAt: "2026-11-27T00:00:00Z")

    @Test func statusTableColoursStatusesOnlyWhenAllowed() {
        let coloured = StatusTable.render([status("000000000001", name: "a", status: .failed)],
                                          terminal: Terminal(colors: true, width: 80))
        #expect(coloured.contains("\u{1B}[31mfailed\u{1B}[0m"))
        // Escape codes do not count toward the width: the header still lines up.
        let header = coloured.split(separator: "\n")[0]
        #expect(header == "ACCOUNT       NAME  REGION        STATUS  AKEYLESS  ROLE ARN / ERROR")
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
            "last_run_id", "attempts", "error", "updated_at", "adopted", "akeyless",
        ])
        #expect(accounts[0]["akeyless"] is NSNull)
        #expect(accounts[0]["account_id"] as? String == "012345678901")
        #expect(accounts[0]["name"] as? String == "a \"quoted\" name")
        #expect(accounts[0]["error"] as? String == "AccessDenied: no")
        #expect(accounts[1]["role_arn"] is NSNull)
        #expect(accounts[1]["attempts"] as? Int == 0)
        #expect(object["summary"] as? [String: Int] == ["failed": 1, "never_run": 1])
        #expect(StatusJSON.render([]) == "{\"accounts\": [], \"summary\": {}}\n")
    }

    // The exact bytes of every JSON writer, so a change of serializer cannot move a space,
    // reorder a key or escape differently without a test saying so. Each has a control
    // character (escaped as \u00XX) and non-ASCII text (written as is, never escaped).

    @Test func statusJSONBytesArePinned() {
        let json = StatusJSON.render([
            AccountStanding(accountID: "012345678901", name: "Zürich \"ops\" \\ 日本", ouPath: "Root/Prod", region: "eu-central-2",
                          status: .succeeded, roleARN: "arn:aws:iam::012345678901:role/r",
                          policyARN: "arn:aws:iam::012345678901:policy/p", lastRunID: "20261126-000000-ab12", attempts: 2,
                          adopted: ["role", "policy"], updatedAt: "2026-11-26T00:00:00Z", akeyless: Self.synced),
            status("000000000002", name: "b\u{07}", status: .failed, error: "line1\nline2\ttab\r\u{1F}"),
        ])
        #expect(json == #"""
            {"accounts": [
              {"account_id": "012345678901", "name": "Zürich \"ops\" \\ 日本", "ou_path": "Root/Prod", "region": "eu-central-2", "status": "succeeded", "role_arn": "arn:aws:iam::012345678901:role/r", "policy_arn": "arn:aws:iam::012345678901:policy/p", "instance_profile_arn": null, "last_run_id": "20261126-000000-ab12", "attempts": 2, "error": null, "updated_at": "2026-11-26T00:00:00Z", "adopted": ["role", "policy"], "akeyless": {"status": "synced", "target": "/fleetform/aws/012345678901", "auth_method": "/fleetform/aws-gateways", "access_id": "p-abc123", "synced_at": "2026-11-27T00:00:00Z", "error": null}},
              {"account_id": "000000000002", "name": "b\u0007", "ou_path": "Root/Workloads/Prod", "region": "eu-central-1", "status": "failed", "role_arn": null, "policy_arn": null, "instance_profile_arn": null, "last_run_id": null, "attempts": 0, "error": "line1\nline2\ttab\r\u001f", "updated_at": "2026-11-26T00:00:00Z", "adopted": [], "akeyless": null}
            ], "summary": {"succeeded": 1, "failed": 1}}

            """#)
    }

    /// The `--notify` text: counts first, then each unfinished account (10 at most), with
    /// what Slack would read as markup escaped.
    @Test func notificationTextIsPinned() {
        func job(_ index: Int, _ status: JobStatus, name: String = "app", error: String? = nil) -> JobSummary {
            JobSummary(accountID: String(format: "1000000000%02d", index), accountName: name, operation: .apply,
                       status: status, attempts: 1, roleARN: nil, changes: nil, error: error, skipReason: nil, logPath: nil)
        }
        var jobs = [job(0, .succeeded), job(1, .failed, name: "<!channel> & co", error: "AccessDenied: <b>no</b>\nsecond line")]
        jobs += (2...12).map { job($0, .interrupted, error: "interrupted") }
        let report = RunReport(runID: "20261206-000000-ab12", command: .apply, outcome: .failed, jobs: jobs,
                               elapsed: .seconds(75))
        let lines = RunNotificationText.render(report).split(separator: "\n").map(String.init)
        #expect(lines.count == 12)
        #expect(lines[0] == "fleetform apply 20261206-000000-ab12 failed in 1m15s: 1 succeeded, 1 failed, 11 interrupted")
        #expect(lines[1] == #"failed 100000000001 (&lt;!channel&gt; &amp; co): AccessDenied: &lt;b&gt;no&lt;/b&gt;\u{A}second line"#)
        #expect(lines[10] == "interrupted 100000000010 (app): interrupted")
        #expect(lines[11] == "and 2 more")
        #expect(RunNotificationText.render(RunReport(runID: "r", command: .destroy, outcome: .succeeded, jobs: [],
                                                     elapsed: .zero)) == "fleetform destroy r succeeded in 0s: no accounts")
    }

    @Test func planResultJSONBytesArePinned() {
        let adopted = JobSummary(
            accountID: "012345678901", accountName: "Zürich \u{07}", operation: .plan, status: .succeeded, attempts: 1,
            roleARN: nil, changes: PlanChanges(add: 0, change: 2, destroy: 0, imports: 4),
            adopted: ["role", "policy", "attachment", "instance_profile"], error: nil, skipReason: nil, logPath: nil)
        let failed = JobSummary(
            accountID: "000000000002", accountName: "b", operation: .plan, status: .failed, attempts: 1, roleARN: nil,
            changes: nil, error: "cannot adopt role r in 000000000002: its path is /legacy/", skipReason: nil, logPath: nil)
        let report = RunReport(runID: "20261202-000000-ab12", command: .plan, outcome: .failed, jobs: [adopted, failed],
                               elapsed: .seconds(3))
        #expect(RunResultJSON.render(report) == #"""
            {"run_id": "20261202-000000-ab12", "command": "plan", "outcome": "failed", "counts": {"succeeded": 1, "failed": 1, "interrupted": 0, "skipped": 0}, "canary": [], "changes": {"add": 0, "change": 2, "destroy": 0, "import": 4}, "accounts": [
              {"account_id": "012345678901", "name": "Zürich \u0007", "operation": "plan", "status": "succeeded", "role_arn": null, "changes": {"add": 0, "change": 2, "destroy": 0, "import": 4}, "adopted": ["role", "policy", "attachment", "instance_profile"], "error": null, "skip_reason": null},
              {"account_id": "000000000002", "name": "b", "operation": "plan", "status": "failed", "role_arn": null, "changes": null, "adopted": [], "error": "cannot adopt role r in 000000000002: its path is /legacy/", "skip_reason": null}
            ], "akeyless": null}

            """#)
        #expect(ProgressPrinter.line(for: adopted).hasSuffix("+0 ~2 -0 ⇣4  would adopt role, policy, attachment, instance_profile"))
    }

    @Test func inventoryListJSONBytesArePinned() {
        func account(_ id: String, name: String, email: String?, tags: [String: String], accountTags: [String: String] = [:],
                     enabled: Bool, state: String?, source: AccountSource) -> AccountRecord {
            AccountRecord(accountID: id, name: name, email: email, ouPath: "Root/Prod", region: "eu-west-1",
                          roleName: "r", accessRoleName: "a", managementAccountID: nil, tags: tags, accountTags: accountTags,
                          enabled: enabled,
                          disabledReason: enabled ? nil : .suspended, organizationState: state, source: source,
                          createdAt: "2026-11-26T00:00:00Z", updatedAt: "2026-11-26T00:00:00Z")
        }
        let json = InventoryListJSON.render([
            account("012345678901", name: "Zürich \"ops\" 日本", email: "a@example.com",
                    tags: ["team": "pay\u{01}ments", "cost-centre": "Ω", "a\"b": "c\\d"],
                    accountTags: ["team": "payments", "env": "prod"], enabled: true, state: "ACTIVE", source: .file),
            account("000000000002", name: "b", email: nil, tags: [:], enabled: false, state: nil, source: .organizations),
        ])
        #expect(json == #"""
            {"accounts": [
              {"account_id": "012345678901", "name": "Zürich \"ops\" 日本", "email": "a@example.com", "ou_path": "Root/Prod", "region": "eu-west-1", "enabled": true, "disabled_reason": null, "state": "ACTIVE", "tags": {"a\"b": "c\\d", "cost-centre": "Ω", "team": "pay\u0001ments"}, "account_tags": {"env": "prod", "team": "payments"}, "source": "file"},
              {"account_id": "000000000002", "name": "b", "email": null, "ou_path": "Root/Prod", "region": "eu-west-1", "enabled": false, "disabled_reason": "suspended", "state": null, "tags": {}, "account_tags": {}, "source": "organizations"}
            ]}

            """#)
        #expect(InventoryListJSON.render([]) == "{\"accounts\": []}\n")
    }

    /// The run header's canary line names each canary with its OU, and a skipped account
    /// names the canaries that failed.
    @Test func canaryLinesArePinned() {
        func account(_ id: String, _ ou: String) -> AccountRecord {
            AccountRecord(accountID: id, name: "n", email: nil, ouPath: ou, region: "eu-west-1", roleName: "r",
                          accessRoleName: "a", managementAccountID: nil, tags: [:], enabled: true, disabledReason: nil,
                          organizationState: nil, source: .file, createdAt: "x", updatedAt: "x")
        }
        let canary = [account("210987654321", "Root/Workloads/Prod"), account("123456789012", "Root/Sandbox\u{1B}")]
        #expect(ProgressPrinter.canaryHeader(canary, others: 8) == #"""
            canary: 2 accounts first: 210987654321 (Root/Workloads/Prod), 123456789012 (Root/Sandbox\u{1B}); the other 8 start only if both succeed
            """#)
        #expect(ProgressPrinter.canaryHeader(Array(canary.prefix(1)), others: 1)
                    == "canary: 1 account first: 210987654321 (Root/Workloads/Prod); the other 1 start only if it succeeds")
        #expect(ProgressPrinter.canaryHeader(canary, others: 0)
                    == #"canary: all 2 accounts to run: 210987654321 (Root/Workloads/Prod), 123456789012 (Root/Sandbox\u{1B})"#)
        let skipped = JobSummary(
            accountID: "000000000002", accountName: "b", operation: .apply, status: .skipped, attempts: 0, roleARN: nil,
            changes: nil, error: nil, skipReason: .canaryFailed(accounts: ["210987654321", "123456789012"]), logPath: nil)
        #expect(ProgressPrinter.line(for: skipped) == "skipped     000000000002  b  (canary failed: 210987654321, 123456789012)")
    }

    /// The account tags' column is the first to give up width, down to ten characters;
    /// only then do names and OU paths give up theirs.
    @Test func inventoryListTableShowsAccountTagsCutToFit() {
        func account(_ id: String, name: String, ou: String, accountTags: [String: String], enabled: Bool = true) -> AccountRecord {
            AccountRecord(accountID: id, name: name, email: nil, ouPath: ou, region: "eu-west-1", roleName: "r",
                          accessRoleName: "a", managementAccountID: nil, tags: ["team": "resource-tag"],
                          accountTags: accountTags, enabled: enabled, organizationState: nil, source: .organizations,
                          createdAt: "2026-11-26T00:00:00Z", updatedAt: "2026-11-26T00:00:00Z")
        }
        let accounts = [
            account("210987654321", name: "payments-prod", ou: "Root/Workloads/Prod", accountTags: ["team": "payments", "env": "prod"]),
            account("210987654322", name: "payments-dev", ou: "Root/Workloads/Dev", accountTags: ["pci": ""]),
            account("210987654323", name: "sandbox", ou: "Root/Sandbox", accountTags: [:], enabled: false),
        ]
        #expect(InventoryListTable.render(accounts, terminal: plain) == """
            ACCOUNT       NAME           OU PATH            REGION     ENABLED    TAGS
            210987654321  payments-prod  …t/Workloads/Prod  eu-west-1  yes        env=prod,…
            210987654322  payments-dev   …ot/Workloads/Dev  eu-west-1  yes        pci=
            210987654323  sandbox        Root/Sandbox       eu-west-1  no (user)  -
            3 accounts (2 enabled, 1 disabled)

            """)
        #expect(InventoryListTable.render(accounts, terminal: Terminal(colors: false, width: 120)).contains(
            "  env=prod,team=payments\n"))
    }

    @Test func runsJSONBytesArePinned() {
        func run(_ id: String, _ command: RunCommand, finishedAt: String?, counts: [Int], canary: [String] = []) -> RunSummary {
            let record = RunRecord(runID: id, command: command, template: "akeyless-gateway-role",
                                   owner: ProcessIdentity(host: nil, pid: 1, startTime: nil), parallel: 4,
                                   startedAt: "2026-11-26T00:00:00Z", finishedAt: finishedAt)
            return RunSummary(run: record, counts: [
                .succeeded: counts[1], .failed: counts[2], .skipped: counts[3], .interrupted: counts[4],
                .pending: counts[0] - counts[1...].reduce(0, +),
            ], canary: canary)
        }
        let json = RunsJSON.render([
            run("run-ü\u{02}", .apply, finishedAt: nil, counts: [3, 1, 0, 0, 0]),
            run("r-1", .destroy, finishedAt: "2026-11-26T00:01:00Z", counts: [10, 7, 2, 1, 0],
                canary: ["000000000001", "000000000002"]),
        ])
        #expect(json == #"""
            {"runs": [
              {"run_id": "run-ü\u0002", "command": "apply", "started_at": "2026-11-26T00:00:00Z", "finished_at": null, "selected": 3, "succeeded": 1, "failed": 0, "skipped": 0, "interrupted": 0, "canary": []},
              {"run_id": "r-1", "command": "destroy", "started_at": "2026-11-26T00:00:00Z", "finished_at": "2026-11-26T00:01:00Z", "selected": 10, "succeeded": 7, "failed": 2, "skipped": 1, "interrupted": 0, "canary": ["000000000001", "000000000002"]}
            ]}

            """#)
        #expect(RunsJSON.render([]) == "{\"runs\": []}\n")
    }

    /// The tags column is compact, unlike `--json` output, and older databases hold it so.
    @Test func tagsColumnBytesArePinnedAndReadBack() {
        let tags = ["team": "pay\u{01}ments", "Ω": "日本", "a\"b": "c\\d\n"]
        let text = TagsColumn.encode(tags)
        #expect(text == #"{"a\"b":"c\\d\n","team":"pay\u0001ments","Ω":"日本"}"#)
        #expect(TagsColumn.decode(text) == tags)
        #expect(TagsColumn.encode([:]) == "{}")
        #expect(TagsColumn.decode("{}") == [:])
        #expect(TagsColumn.decode(#"{"team": "payments", "n": 1}"#) == ["team": "payments"])
        #expect(TagsColumn.decode("not json") == [:])
    }

    /// `export --format json` writes each record compactly, unlike the other `--json` outputs.
    @Test func exportJSONBytesArePinned() {
        let json = FleetExport.json([
            FleetExport.Record(accountID: "012345678901", name: "Zürich \"ops\"\u{01}", ouPath: "Root/Prod",
                               region: "eu-west-1", roleARN: "arn:aws:iam::012345678901:role/r",
                               instanceProfileARN: nil, policyARN: "arn:aws:iam::012345678901:policy/p",
                               akeyless: Self.synced),
            FleetExport.Record(accountID: "000000000002", name: "b", ouPath: "Root", region: "us-east-1",
                               roleARN: "arn:aws:iam::000000000002:role/r",
                               instanceProfileARN: "arn:aws:iam::000000000002:instance-profile/r", policyARN: nil),
        ])
        #expect(json == #"""
            {"accounts": [
              {"account_id":"012345678901","name":"Zürich \"ops\"\u0001","ou_path":"Root/Prod","region":"eu-west-1","role_arn":"arn:aws:iam::012345678901:role/r","instance_profile_arn":null,"policy_arn":"arn:aws:iam::012345678901:policy/p","akeyless":{"status":"synced","target":"/fleetform/aws/012345678901","auth_method":"/fleetform/aws-gateways","access_id":"p-abc123","synced_at":"2026-11-27T00:00:00Z","error":null}},
              {"account_id":"000000000002","name":"b","ou_path":"Root","region":"us-east-1","role_arn":"arn:aws:iam::000000000002:role/r","instance_profile_arn":"arn:aws:iam::000000000002:instance-profile/r","policy_arn":null,"akeyless":null}
            ]}

            """#)
    }

    @Test func statusCSVQuotesOnlyWhereNeeded() {
        let csv = StatusCSV.render([status("000000000001", name: "a, \"b\"", error: "line1\nline2")])
        let lines = csv.components(separatedBy: "\r\n")
        #expect(lines[0] == StatusCSV.header.joined(separator: ","))
        #expect(lines[1] == "000000000001,\"a, \"\"b\"\"\",Root/Workloads/Prod,eu-central-1,never_run,,,,,0,\"line1\nline2\",2026-11-26T00:00:00Z,,,,,,")
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
