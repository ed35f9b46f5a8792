import AWSClient
import FleetformBasics
import Foundation
import Inventory

/// Reads the organization's accounts and OU paths from AWS Organizations.
///
/// Walks the OU tree from the root (or from `--ou` subtrees), listing child OUs and
/// accounts per parent and following every page, so the number of requests grows with
/// pages and OUs, never with one call per account. Independent OUs are walked
/// concurrently, at most `concurrency` at a time.
public struct OrganizationDiscovery: Sendable {
    public var organizations: OrganizationsClient
    public var concurrency: Int

    public init(organizations: OrganizationsClient, concurrency: Int = 8) {
        self.organizations = organizations
        self.concurrency = concurrency
    }

    public struct Options: Sendable {
        /// OU IDs whose subtrees to read; empty reads the whole organization.
        public var ouIDs: [String]
        public var includeSuspended: Bool
        public var includeManagement: Bool

        public init(ouIDs: [String] = [], includeSuspended: Bool = false, includeManagement: Bool = false) {
            self.ouIDs = ouIDs
            self.includeSuspended = includeSuspended
            self.includeManagement = includeManagement
        }
    }

    public struct Result: Sendable {
        public var managementAccountID: String
        public var accounts: [DiscoveredAccount]
        /// OUs walked, roots and subtree tops included.
        public var organizationalUnits: Int
        /// OU paths of the subtrees read (`Root` for the whole organization).
        public var scope: [String]
    }

    /// A parent to list: its ID and its path of OU names.
    private struct Node: Sendable {
        var id: String
        var path: String
    }

    public func discover(_ options: Options) async throws -> Result {
        let organization = try await organizations.describeOrganization()
        var level: [Node]
        if options.ouIDs.isEmpty {
            level = try await organizations.roots().map { Node(id: $0.id, path: AccountSpec.rootOUPath) }
        } else {
            level = []
            var seen: Set<String> = []
            for ouID in options.ouIDs where seen.insert(ouID).inserted {
                level.append(Node(id: ouID, path: try await path(ofOU: ouID)))
            }
            // An OU inside another requested OU is walked as part of it.
            let requested = level
            level.removeAll { node in requested.contains { node.path.hasPrefix($0.path + "/") } }
        }
        let scope = level.map(\.path)

        var accounts: [DiscoveredAccount] = []
        var walked = 0
        while !level.isEmpty {
            walked += level.count
            let listed = try await list(level)
            level = listed.flatMap(\.children)
            for (node, found) in listed.flatMap({ entry in entry.accounts.map { (entry.node, $0) } }) {
                let isManagement = found.id == organization.managementAccountID
                let enabled = (found.state == "ACTIVE" || options.includeSuspended)
                    && (!isManagement || options.includeManagement)
                accounts.append(DiscoveredAccount(
                    accountID: found.id, name: found.name, email: found.email.isEmpty ? nil : found.email,
                    ouPath: node.path, state: found.state, enabled: enabled))
            }
        }
        // Each account once, whatever overlapping subtrees were asked for.
        var seen: Set<String> = []
        accounts = accounts.sorted { $0.accountID < $1.accountID }.filter { seen.insert($0.accountID).inserted }
        return Result(managementAccountID: organization.managementAccountID, accounts: accounts,
                      organizationalUnits: walked, scope: scope)
    }

    /// Lists the child OUs and accounts of every node, `concurrency` nodes at a time.
    private func list(_ nodes: [Node]) async throws -> [(node: Node, children: [Node], accounts: [OrganizationsClient.Account])] {
        let organizations = self.organizations
        return try await BoundedConcurrency.map(nodes, limit: concurrency) { node in
            async let units = organizations.organizationalUnits(parentID: node.id)
            async let accounts = organizations.accounts(parentID: node.id)
            let children = try await units.map { Node(id: $0.id, path: node.path + "/" + Self.pathSegment($0.name)) }
            return (node, children, try await accounts)
        }
    }

    /// The path of OU names from the root down to `ouID`, for a `--ou` subtree.
    private func path(ofOU ouID: String) async throws -> String {
        var names: [String] = []
        var current = ouID
        while current.hasPrefix("ou-") {
            names.append(Self.pathSegment(try await organizations.organizationalUnit(id: current).name))
            current = try await organizations.parentID(of: current)
        }
        return ([AccountSpec.rootOUPath] + names.reversed()).joined(separator: "/")
    }

    /// OU names may contain `/`, which would split a path; it becomes `-`.
    static func pathSegment(_ name: String) -> String {
        name.replacingOccurrences(of: "/", with: "-")
    }
}
