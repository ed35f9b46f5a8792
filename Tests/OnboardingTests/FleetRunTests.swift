import Foundation
import Inventory
import Terraform
import Testing
import TestSupport
@testable import Onboarding

/// The apply use case called as a library, the way a worker or a scheduled job would:
/// no command line, a result to read, notices as events.
@Suite(.serialized) struct FleetRunTests {
    private let home: TemporaryDirectory
    private let database: SQLiteInventoryStore
    private let template = RepositoryFiles.url("Tests/Fixtures/templates/no-access-role").standardizedFileURL.path
    private let ids = ["100000000001", "100000000002"]

    init() throws {
        home = try TemporaryDirectory("fleetform-fleetrun")
        database = try SQLiteInventoryStore(path: home.url.appendingPathComponent("fleetform.sqlite").path)
        _ = try database.importAccounts(
            ids.map { AccountSpec(accountID: $0, name: "acct-\($0.suffix(2))", ouPath: "Root/Test", region: "us-east-1") },
            source: .file, origin: "test", prune: false)
    }

    private func execute(_ command: RunCommand, template: String? = nil, selection: AccountSelection = AccountSelection())
        async throws(OnboardingFailure) -> FleetRun.Result {
        let request = FleetRun.Request(command: command, selection: selection, template: template ?? self.template,
                                       settings: RunSettings(parallel: 2, maxAttempts: 1))
        return try await FleetRun(home: FleetformHome(url: home.url), database: database)
            .execute(request, stop: StopController(), events: { _ in })
    }

    @Test func appliesRecordsAndThenHasNothingToRetry() async throws {
        guard case .finished(let report) = try await execute(.apply) else {
            Issue.record("the first apply had nothing to do")
            return
        }
        #expect(report.outcome == .succeeded)
        #expect(report.jobs.map(\.roleARN) == ids.map { "arn:aws:iam::\($0):role/plain" })
        #expect(try database.accountStandings().map(\.status) == [.succeeded, .succeeded])

        guard case .finished(let again) = try await execute(.apply) else {
            Issue.record("a second apply found no jobs")
            return
        }
        #expect(again.jobs.allSatisfy { $0.status == .skipped && $0.skipReason == .upToDate })
        guard case .nothingToDo = try await execute(.retry) else {
            Issue.record("retry found work although nothing failed")
            return
        }
    }

    /// Retagging accounts (their selection tags) re-runs nothing: the tags select the
    /// accounts and never reach terraform. The template declares `tags` and even an
    /// `account_tags` variable, so account tags rendered under either name would change
    /// its config hash and start terraform again.
    @Test func retaggingAnAccountReRunsNothing() async throws {
        let tagged = try home.write("tagged/main.tf", """
            variable "account_id" {
              type = string
            }

            variable "tags" {
              type = map(string)
            }

            variable "account_tags" {
              type    = map(string)
              default = {}
            }

            resource "terraform_data" "role" {
              input = "arn:aws:iam::${var.account_id}:role/tagged"
            }

            output "role_arn" {
              value = terraform_data.role.output
            }
            """)
        let template = URL(fileURLWithPath: tagged).deletingLastPathComponent().path
        guard case .finished(let first) = try await execute(.apply, template: template) else {
            Issue.record("the first apply had nothing to do")
            return
        }
        #expect(first.outcome == .succeeded)
        _ = try database.importAccounts(
            ids.map { AccountSpec(accountID: $0, name: "acct-\($0.suffix(2))", ouPath: "Root/Test", region: "us-east-1",
                                  accountTags: ["team": "payments", "env": $0.hasSuffix("1") ? "prod" : "dev"]) },
            source: .file, origin: "test", prune: false)
        let payments = AccountSelection(tags: [.init(key: "team", value: "payments")])
        guard case .finished(let again) = try await execute(.apply, template: template, selection: payments) else {
            Issue.record("the apply after retagging found no jobs")
            return
        }
        #expect(again.jobs.count == 2)
        #expect(again.jobs.allSatisfy { $0.status == .skipped && $0.skipReason == .upToDate }, "\(again.jobs)")
    }

    /// Bad input is refused before the run is recorded, with the kind that picks the exit code.
    @Test func refusesAMissingTemplateBeforeRecordingAnything() async throws {
        let missing = home.url.appendingPathComponent("no-such-template").path
        await #expect(throws: OnboardingFailure(.noInput, "--template \(missing): no such directory")) {
            _ = try await execute(.apply, template: missing)
        }
        #expect(try database.runSummaries().isEmpty)
    }

    /// The command line refuses `--canary 0` itself; a library caller is told the same.
    @Test func refusesACanaryOfNone() async throws {
        let request = FleetRun.Request(command: .apply, selection: AccountSelection(), template: template,
                                       settings: RunSettings(parallel: 2, maxAttempts: 1, canary: 0))
        await #expect(throws: OnboardingFailure(.usage, "--canary 0: must be at least 1")) {
            _ = try await FleetRun(home: FleetformHome(url: home.url), database: database)
                .execute(request, stop: StopController(), events: { _ in })
        }
        #expect(try database.runSummaries().isEmpty)
    }

    @Test func refusesASwitchOfTemplateUnlessAsked() async throws {
        _ = try await execute(.apply)
        await #expect {
            _ = try await execute(.plan, template: TerraformTemplate.builtInName)
        } throws: { error in
            (error as? OnboardingFailure)?.kind == .usage && "\(error)".contains("--switch-template")
        }
        #expect(try database.runSummaries().count == 1)
    }
}
