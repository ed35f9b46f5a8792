import FleetformBasics
import Foundation

/// The AWS Organizations calls discovery needs. Every list call follows `NextToken`
/// until it is absent: a page can be empty while more pages follow.
public struct OrganizationsClient: Sendable {
    let client: AWSServiceClient
    static let targetPrefix = "AWSOrganizationsV20161128"

    public struct Organization: Sendable, Equatable {
        public var id: String
        public var managementAccountID: String
    }

    public struct Root: Sendable, Equatable {
        public var id: String
        public var name: String
    }

    public struct OrganizationalUnit: Sendable, Equatable {
        public var id: String
        public var name: String
    }

    public struct Account: Sendable, Equatable {
        public var id: String
        public var name: String
        public var email: String
        /// `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`, … from `State`, else the retired `Status`.
        public var state: String
    }

    public func describeOrganization() async throws -> Organization {
        let object = try await call("DescribeOrganization", [:])
        guard case .object(let organization)? = object["Organization"],
              let id = organization["Id"]?.text,
              let management = organization["MasterAccountId"]?.text ?? organization["ManagementAccountId"]?.text
        else { throw unexpected("DescribeOrganization") }
        return Organization(id: id, managementAccountID: management)
    }

    public func roots() async throws -> [Root] {
        try await pages("ListRoots", [:], listKey: "Roots").compactMap { item in
            guard let id = item["Id"]?.text else { return nil }
            return Root(id: id, name: item["Name"]?.text ?? "Root")
        }
    }

    public func organizationalUnit(id: String) async throws -> OrganizationalUnit {
        let object = try await call("DescribeOrganizationalUnit", ["OrganizationalUnitId": .string(id)])
        guard case .object(let unit)? = object["OrganizationalUnit"], let name = unit["Name"]?.text else {
            throw unexpected("DescribeOrganizationalUnit")
        }
        return OrganizationalUnit(id: id, name: name)
    }

    /// The parent of an OU or account (an OU or the root), for building the path of a subtree.
    public func parentID(of childID: String) async throws -> String {
        let parents = try await pages("ListParents", ["ChildId": .string(childID)], listKey: "Parents")
        guard let id = parents.first?["Id"]?.text else { throw unexpected("ListParents") }
        return id
    }

    public func organizationalUnits(parentID: String) async throws -> [OrganizationalUnit] {
        try await pages("ListOrganizationalUnitsForParent", ["ParentId": .string(parentID)],
                        listKey: "OrganizationalUnits").compactMap { item in
            guard let id = item["Id"]?.text, let name = item["Name"]?.text else { return nil }
            return OrganizationalUnit(id: id, name: name)
        }
    }

    public func accounts(parentID: String) async throws -> [Account] {
        try await pages("ListAccountsForParent", ["ParentId": .string(parentID)], listKey: "Accounts").compactMap { item in
            guard let id = item["Id"]?.text else { return nil }
            return Account(id: id, name: item["Name"]?.text ?? "", email: item["Email"]?.text ?? "",
                           state: item["State"]?.text ?? item["Status"]?.text ?? "UNKNOWN")
        }
    }

    // MARK: Calls

    private func call(_ operation: String, _ members: [String: JSONValue]) async throws -> JSONObject {
        let body = try await client.json(operation, targetPrefix: Self.targetPrefix,
                                         body: .object(JSONObject(sorted: members)))
        guard case .object(let object) = try JSONParser.parse(body) else { throw unexpected(operation) }
        return object
    }

    private func pages(_ operation: String, _ members: [String: JSONValue], listKey: String) async throws -> [JSONObject] {
        var items: [JSONObject] = []
        var token: String?
        repeat {
            var request = members
            if let token { request["NextToken"] = .string(token) }
            let page = try await call(operation, request)
            if case .array(let list)? = page[listKey] {
                for case .object(let item) in list { items.append(item) }
            }
            token = page["NextToken"]?.text
        } while token != nil
        return items
    }

    private func unexpected(_ operation: String) -> AWSError {
        AWSError(service: "Organizations", operation: operation, code: "UnexpectedResponse",
                 message: "the answer did not have the expected fields")
    }
}

extension JSONValue {
    /// The string, or nil for anything else (null included).
    var text: String? {
        if case .string(let value) = self { return value }
        return nil
    }
}
