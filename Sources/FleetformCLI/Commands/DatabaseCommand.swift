import ArgumentParser
import Foundation
import Inventory

/// `fleetform database migrate --to postgres://…`.
struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "database", abstract: "Work with where the inventory, runs and jobs are kept.",
        subcommands: [DatabaseMigrateCommand.self])
}

struct DatabaseMigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Copy the home's SQLite inventory, with its whole history, into an empty PostgreSQL database.",
        discussion: """
            Accounts, inventory changes, runs, jobs, attempts, Akeyless records and settings are copied in one \
            transaction, with their ids; a failure leaves the database empty. The home's run lock is held \
            meanwhile. The SQLite file is left as it was. Afterwards use --database (or FLEETFORM_DATABASE_URL); \
            the state stays where it was recorded: move it with fleetform state migrate --to s3://….
            """)

    @Option(help: ArgumentHelp("The empty PostgreSQL database: postgres://USER:PASSWORD@HOST:PORT/DATABASE.",
                               valueName: "url"))
    var to: String
    @OptionGroup(title: "Global options") var global: GlobalOptions

    func run() async throws {
        // Usage errors as one line (a ValidationError would print the usage too).
        if global.database != nil {
            throw CommandFailure(exitCode: ExitStatus.usage,
                                 "database migrate copies the home's SQLite file; name the PostgreSQL database with --to, not --database")
        }
        let url: PostgresURL
        do {
            url = try PostgresURL(parsing: to)
        } catch {
            throw CommandFailure(exitCode: ExitStatus.usage, "--to \(error.message)")
        }
        let report: StoreCopy.Report
        do {
            report = try StoreCopy.migrate(home: global.resolvedHome, to: url)
        } catch let error as StoreCopyError {
            let code = switch error {
            case .noSource: ExitStatus.noInput
            default: error.isBadData ? ExitStatus.invalidData : ExitStatus.failure
            }
            throw CommandFailure(exitCode: code, "\(error)")
        } catch {
            throw CommandFailure(exitCode: ExitStatus.failure, "\(error)")
        }
        StandardStreams.write(DatabaseMigrationText.summary(report))
    }
}
