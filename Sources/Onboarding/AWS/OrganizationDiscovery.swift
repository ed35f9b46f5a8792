import AWSClient
import FleetformBasics
import Foundation
import Inventory

/// Reads the organization's accounts and OU paths from AWS Organizations.
///
/// Walks the OU tree from the root (or from `--ou` subtrees), listing child OUs and
/// accounts per parent and following every page, so the number of requests grows with
/// pages and OUs, never with one call per account. Independent OUs are walked
/// concurrently, at most `concurrency` at a time. With `withTags`, each account's tags
/// are read afterwards, one listing per account, at the same concurrency.
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
        /// Also read each account's tags (`ListTagsForResource`, one listing per
        /// account): the only per-account calls of a discovery, so only when asked for.
        public var withTags: Bool

        public init(ouIDs: [String] = [], includeSuspended: Bool = false, includeManagement: Bool = false,
                    withTags: Bool = false) {
            self.ouIDs = ouIDs
            self.includeSuspended = includeSuspended
            self.includeManagement = includeManagement
            self.withTags = withTags
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
        guard AccountFieldRules.accountIDProblem(organization.managementAccountID) == nil else {
            throw DiscoveryError(problem: "the management account ID \(Self.quoted(organization.managementAccountID)) is not 12 digits",
                                 call: "Organizations DescribeOrganization")
        }
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
        let tops = Set(level.map(\.id))
        // Every OU is walked once. One listed again means the tree Organizations
        // describes has a cycle (or an OU under two parents): walking it would never end.
        var walkedIDs = tops

        var accounts: [DiscoveredAccount] = []
        var walked = 0
        while !level.isEmpty {
            walked += level.count
            let listed = try await list(level)
            level = []
            for entry in listed {
                for child in entry.children {
                    if walkedIDs.insert(child.id).inserted {
                        level.append(child)
                    } else if !tops.contains(child.id) {
                        throw DiscoveryError(
                            problem: "OU \(UnsafeText.escaped(child.id)) appears twice in the OU tree, the second time under "
                                + "\(UnsafeText.escaped(entry.node.id)): Organizations describes a cycle",
                            call: "Organizations ListOrganizationalUnitsForParent \(UnsafeText.escaped(entry.node.id))")
                    }
                }
            }
            for (node, found) in listed.flatMap({ entry in entry.accounts.map { (entry.node, $0) } }) {
                // The ID names the workspace directory: anything but 12 digits could point elsewhere.
                guard AccountFieldRules.accountIDProblem(found.id) == nil else {
                    throw DiscoveryError(
                        problem: "Organizations listed the account ID \(Self.quoted(found.id)), which is not 12 digits",
                        call: "Organizations ListAccountsForParent \(UnsafeText.escaped(node.id))")
                }
                let isManagement = found.id == organization.managementAccountID
                let enabled = (found.state == "ACTIVE" || options.includeSuspended)
                    && (!isManagement || options.includeManagement)
                // Names and e-mails are shown in tables and errors: no control or bidi
                // character from Organizations may reach a terminal (see UnsafeText).
                accounts.append(DiscoveredAccount(
                    accountID: found.id, name: UnsafeText.escaped(found.name),
                    email: found.email.isEmpty ? nil : UnsafeText.escaped(found.email),
                    ouPath: node.path, state: UnsafeText.escaped(found.state), enabled: enabled))
            }
        }
        // Each account once, whatever overlapping subtrees were asked for.
        var seen: Set<String> = []
        accounts = accounts.sorted { $0.accountID < $1.accountID }.filter { seen.insert($0.accountID).inserted }
        if options.withTags {
            let organizations = self.organizations
            let tagLists = try await BoundedConcurrency.map(accounts.map(\.accountID), limit: concurrency) { accountID in
                try await organizations.tags(resourceID: accountID)
            }
            for (index, tags) in tagLists.enumerated() {
                accounts[index].tags = Self.accountTags(tags)
            }
        }
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

    /// Tags as account tags. Keys and values are shown in tables and matched by `--tag`:
    /// control and bidi characters are escaped, as in names. A key listed twice (which
    /// Organizations does not allow) keeps its first value.
    static func accountTags(_ tags: [OrganizationsClient.Tag]) -> [String: String] {
        var result: [String: String] = [:]
        for tag in tags {
            let key = UnsafeText.escaped(tag.key)
            if result[key] == nil { result[key] = UnsafeText.escaped(tag.value) }
        }
        return result
    }

    /// OUs nest at most five deep under the root; a longer chain of parents is a cycle.
    static let maximumDepth = 100

    /// The path of OU names from the root down to `ouID`, for a `--ou` subtree.
    private func path(ofOU ouID: String) async throws -> String {
        var names: [String] = []
        var current = ouID
        var seen: Set<String> = []
        while current.hasPrefix("ou-") {
            guard seen.insert(current).inserted, seen.count <= Self.maximumDepth else {
                throw DiscoveryError(
                    problem: "the parents of OU \(UnsafeText.escaped(ouID)) lead back to \(UnsafeText.escaped(current)): "
                        + "Organizations describes a cycle",
                    call: "Organizations ListParents \(UnsafeText.escaped(current))")
            }
            names.append(Self.pathSegment(try await organizations.organizationalUnit(id: current).name))
            current = try await organizations.parentID(of: current)
        }
        return ([AccountSpec.rootOUPath] + names.reversed()).joined(separator: "/")
    }

    /// A value from an answer, quoted for an error message: escaped and at most 40 characters.
    static func quoted(_ value: String) -> String {
        "\"" + UnsafeText.escaped(value.count > 40 ? String(value.prefix(40)) + "…" : value) + "\""
    }

    /// OU names may contain `/`, which would split a path; it becomes `-`. Control and
    /// bidi characters are escaped (`\u{202E}`), as in account names.
    static func pathSegment(_ name: String) -> String {
        UnsafeText.escaped(name.replacingOccurrences(of: "/", with: "-"))
    }
}

/// Organizations answered with something that cannot be a real organization: a cycle in
/// the OU tree, an account ID that is not 12 digits. The discovery fails and writes nothing.
public struct DiscoveryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, first, as every recorded error does (see `FailureLine`).
    public var problem: String
    /// The call whose answer showed it.
    public var call: String

    public var description: String { "\(problem) (\(call))" }
}
