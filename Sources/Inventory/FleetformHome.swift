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

    /// The kind of network file system the home is on, or nil for a local one.
    ///
    /// A home must not be shared between machines: the run lock (`flock`), the pids of
    /// fleetform and terraform and SQLite's own locking are all per machine, and on NFS
    /// or SMB the locks may silently not hold.
    public func networkFileSystem() -> String? {
        guard let mounts = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8) else { return nil }
        return Self.networkFileSystem(of: url.resolvingSymlinksInPath().path, mounts: mounts)
    }

    /// The type of the mount holding `path` (the longest mount point above it, from
    /// `/proc/self/mounts`) when it is a network file system.
    static func networkFileSystem(of path: String, mounts: String) -> String? {
        var best: (point: String, type: String)?
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 3 else { continue }
            // Spaces in mount points are written as \040.
            let point = fields[1].replacingOccurrences(of: "\\040", with: " ")
            let covers = point == "/" || path == point || path.hasPrefix(point + "/")
            if covers, point.count >= (best?.point.count ?? -1) { best = (point, String(fields[2])) }
        }
        guard let type = best?.type else { return nil }
        let network = ["nfs", "nfs4", "cifs", "smb3", "smbfs", "afs", "ceph", "9p", "lustre", "gfs2", "ocfs2",
                       "glusterfs", "fuse.sshfs", "fuse.s3fs", "fuse.gcsfuse", "davfs", "fuse.rclone"]
        return network.contains(type) ? type : nil
    }

    /// Opens the home's SQLite inventory, creating the home and the file on first use.
    public func openDatabase() throws -> SQLiteInventoryStore {
        try create()
        return try SQLiteInventoryStore(path: databasePath)
    }

    /// Opens the store at `location`: this home's SQLite file, or a PostgreSQL database.
    /// The home is created either way: logs, workspaces and state stay in it.
    public func openStore(_ location: StoreLocation) throws -> any InventoryStore {
        try create()
        switch location {
        case .sqlite(let path):
            return try SQLiteInventoryStore(path: path)
        case .postgres(let url):
            return try PostgresInventoryStore(url: url)
        }
    }
}

/// The home directory could not be created.
public struct FleetformHomeError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public var description: String { "cannot create the fleetform home \(path): \(reason)" }
}
