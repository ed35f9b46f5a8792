import ArgumentParser
import Foundation
import Onboarding
import Terraform

/// `fleetform state migrate --to LOCATION`.
struct StateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state", abstract: "Work with where the accounts' Terraform state is kept.",
        subcommands: [StateMigrateCommand.self])
}

struct StateMigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Move every account's Terraform state to another location, verify it, and record the new location.",
        discussion: """
            The new location is recorded only when every account's state was copied and verified; until then \
            runs keep using the old one, and running the command again copies every account again. Nothing is \
            deleted: local state files are renamed terraform.tfstate.migrated, old S3 objects stay where they are.
            """)

    @Option(help: ArgumentHelp("local, or s3://BUCKET/PREFIX[?region=REGION].", valueName: "location"))
    var to: String
    @Option(help: ArgumentHelp("Accounts moved at once.", valueName: "n")) var parallel = 4
    @Option(help: ArgumentHelp("The terraform binary (default: terraform on PATH).", valueName: "path"))
    var terraform: String?
    @OptionGroup(title: "Global options") var global: GlobalOptions

    func validate() throws {
        do {
            _ = try StateLocation(parsing: to)
        } catch {
            throw ValidationError("--to \(error)")
        }
        if parallel < 1 { throw ValidationError("--parallel \(parallel): must be at least 1") }
    }

    func run() async throws {
        let database = try global.openDatabase()
        let target = try StateLocation(parsing: to)
        let result: StateMigration.Result
        do {
            result = try await StateMigration(home: global.resolvedHome, database: database).execute(
                StateMigration.Request(target: target, terraformPath: terraform, parallel: parallel),
                events: { event in StandardStreams.write(StateMigrationText.line(for: event)) })
        } catch {
            throw CommandFailure(error)
        }
        switch result {
        case .alreadyThere(let location):
            StandardStreams.write("Nothing to do: the state is already recorded at \(location).\n")
        case .finished(let report):
            StandardStreams.write(StateMigrationText.summary(report))
            if !report.switched { throw CommandFailure(exitCode: ExitStatus.failure, lines: []) }
        }
    }
}
