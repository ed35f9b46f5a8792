import ArgumentParser
import FleetformBasics
import Foundation
import Inventory

/// `fleetform inventory …`: the accounts fleetform knows about.
struct InventoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory",
        abstract: "Manage the inventory of member accounts.",
        subcommands: [InventoryImportCommand.self, InventoryDiscoverCommand.self, InventoryListCommand.self]
    )
}

/// `fleetform inventory import FILE [--prune]`.
struct InventoryImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Add or update accounts from an inventory JSON file (see inventory.example.json).",
        discussion: """
            The whole file is validated first; if anything is wrong every problem is listed with \
            its JSON path, the command exits 65 and the inventory is not changed.
            """
    )

    @Argument(help: ArgumentHelp("The inventory JSON file.", valueName: "file"))
    var file: String

    @Flag(help: "Disable (never delete) enabled accounts that are not in the file.")
    var prune = false

    @OptionGroup(title: "Global options")
    var global: GlobalOptions

    func run() async throws {
        let bytes = try InputFile.read(file)
        let inventoryFile: InventoryFile
        do {
            inventoryFile = try InventoryFile.parse(bytes)
        } catch {
            let shownFile = UnsafeText.escaped(file)
            var lines = error.problemLines.map { "\(shownFile): \($0)" }
            if lines.count > 1 {
                lines.append("\(shownFile): \(lines.count) problems; nothing was imported")
            }
            throw CommandFailure(exitCode: ExitStatus.invalidData, lines: lines)
        }
        let database = try global.openDatabase()
        let summary = try database.importAccounts(
            inventoryFile.accounts,
            source: .file,
            origin: URL(fileURLWithPath: file).standardizedFileURL.path,
            prune: prune)
        StandardStreams.write(summary.description + "\n")
    }
}

/// `fleetform inventory list [--json]`.
struct InventoryListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List every account in the inventory, enabled or not."
    )

    @Flag(help: "Print one JSON document instead of a table.")
    var json = false

    @OptionGroup(title: "Global options")
    var global: GlobalOptions

    func run() async throws {
        let accounts = try global.openDatabase().allAccounts()
        if json {
            StandardStreams.write(InventoryListJSON.render(accounts))
        } else {
            StandardStreams.write(InventoryListTable.render(accounts, terminal: global.terminal()))
        }
    }
}

/// Reads an input file named on the command line, with one-line errors naming it.
enum InputFile {
    static func read(_ path: String) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CommandFailure(exitCode: ExitStatus.noInput, "\(path): no such file")
        }
        if isDirectory.boolValue {
            throw CommandFailure(exitCode: ExitStatus.noInput, "\(path): is a directory, expected a JSON file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure(exitCode: ExitStatus.noInput, "\(path): cannot read the file (check its permissions)")
        }
        return [UInt8](data)
    }
}
