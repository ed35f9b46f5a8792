import Foundation

/// Where things live under the fleetform home. Names are account IDs and run IDs, never
/// account names, so no inventory text becomes a path.
public struct HomeLayout: Sendable, Equatable {
    public var home: URL

    public init(home: URL) {
        self.home = home.standardizedFileURL
    }

    public func workspace(accountID: String) -> URL {
        home.appendingPathComponent("workspaces/\(accountID)", isDirectory: true)
    }

    public func stateDirectory(accountID: String) -> URL {
        home.appendingPathComponent("state/\(accountID)", isDirectory: true)
    }

    public func stateFile(accountID: String) -> URL {
        stateDirectory(accountID: accountID).appendingPathComponent("terraform.tfstate")
    }

    public func logDirectory(runID: String) -> URL {
        home.appendingPathComponent("logs/\(runID)", isDirectory: true)
    }

    public func logFile(runID: String, accountID: String) -> URL {
        logDirectory(runID: runID).appendingPathComponent("\(accountID).log")
    }

    public var pluginCache: URL {
        home.appendingPathComponent("plugin-cache", isDirectory: true)
    }
}
