import Foundation

/// The directory that holds everything fleetform keeps: the database, workspaces, state,
/// logs and the plugin cache. Created 0700: state and logs describe the organization.
public struct FleetformHome: Sendable, Equatable {
    public var url: URL

    public init(url: URL) {
        self.url = url.standardizedFileURL
    }

    /// `--home`, else `$FLEETFORM_HOME`, else `./.fleetform`.
    public static func resolve(flag: String?, environment: [String: String]) -> FleetformHome {
        if let flag, !flag.isEmpty { return FleetformHome(url: URL(fileURLWithPath: flag)) }
        if let env = environment["FLEETFORM_HOME"], !env.isEmpty { return FleetformHome(url: URL(fileURLWithPath: env)) }
        return FleetformHome(url: URL(fileURLWithPath: ".fleetform"))
    }

    public var databasePath: String { url.appendingPathComponent("fleetform.sqlite").path }

    /// Creates the home (and parents) with mode 0700 if it does not exist yet.
    public func create() throws(FleetformHomeError) {
        do {
            try FileManager.default.createDirectory(
                at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw FleetformHomeError(path: url.path, reason: (error as NSError).localizedDescription)
        }
    }

    /// Opens the inventory database, creating the home and the file on first use.
    public func openDatabase() throws -> InventoryDatabase {
        try create()
        return try InventoryDatabase(path: databasePath)
    }
}

/// The home directory could not be created.
public struct FleetformHomeError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public var description: String { "cannot create the fleetform home \(path): \(reason)" }
}
