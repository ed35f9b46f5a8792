import ArgumentParser
import Foundation
import Terraform

/// `fleetform template export DIR`.
struct TemplateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "template", abstract: "Work with the built-in Terraform template.",
        subcommands: [TemplateExportCommand.self])
}

struct TemplateExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the built-in akeyless-gateway-role template to a directory, for review or as a start for --template.")

    @Argument(help: ArgumentHelp("The directory to write to (created if missing).", valueName: "dir")) var directory: String

    func run() async throws {
        let url = URL(fileURLWithPath: directory)
        let template = TerraformTemplate.builtIn
        let clashes = template.files.map(\.path).filter { FileManager.default.fileExists(atPath: url.appendingPathComponent($0).path) }
        guard clashes.isEmpty else {
            throw CommandFailure(exitCode: ExitStatus.failure,
                                 "\(directory): already holds \(clashes.joined(separator: ", ")); choose an empty directory")
        }
        do {
            try template.export(to: url)
        } catch {
            throw CommandFailure(exitCode: ExitStatus.failure, "\(error)")
        }
        StandardStreams.write("wrote \(template.files.map(\.path).joined(separator: ", ")) to \(directory)\n")
    }
}
