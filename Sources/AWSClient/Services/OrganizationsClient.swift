import FleetformBasics
import Foundation

/// The AWS Organizations calls discovery needs. Every list call follows `NextToken`
/// until it is absent: a page can be empty while more pages follow.
///
/// A server that repeats a `NextToken`, or never stops sending new ones, would keep a
/// listing going for ever; a repeated token fails the listing at once, and more than
/// `pageLimit` pages fail it too.
public struct OrganizationsClient: Sendable {
    let client: AWSServiceClient
    static let targetPrefix = "AWSOrganizationsV20161128"

    /// 10,000 pages per listing: 200,000 accounts under one parent at 20 a page, forty
    /// times the largest quota AWS grants an organization. Settable for tests.
    public static let defaultPageLimit = 10_000
    public var pageLimit = OrganizationsClient.defaultPageLimit

    public struct Organization: Sendable, Equatable {
        public var id: String
        public var managementAccountID: String
    }

    public struct Root: Sendable, Equatable, Decodable {
        public var id: String
        public var name: String
    }

    public struct OrganizationalUnit: Sendable, Equatable, Decodable {
        public var id: String
        public var name: String
    }

    public struct Account: Sendable, Equatable, Decodable {
        public var id: String
        public var name: String
        public var email: String
        /// `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`, … from `State`, else the retired `Status`.
        public var state: String

        /// `status` is no property: it only stands in for a missing `state`.
        enum CodingKeys: CodingKey { case id, name, email, state, status }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(String.self, forKey: .id)
            name = try container.decodeIfPresent(String.self, forKey: .name) ?? ""
            email = try container.decodeIfPresent(String.self, forKey: .email) ?? ""
            // `Status` is retired in September 2026; servers that predate `State` send only it.
            state = try container.decodeIfPresent(String.self, forKey: .state)
                ?? container.decodeIfPresent(String.self, forKey: .status) ?? "UNKNOWN"
        }

        public init(id: String, name: String, email: String, state: String) {
            self.id = id
            self.name = name
            self.email = email
            self.state = state
        }
    }

    /// A tag on an Organizations resource (an account, an OU, a root, a policy).
    public struct Tag: Sendable, Equatable, Decodable {
        public var key: String
        public var value: String

        enum CodingKeys: CodingKey { case key, value }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            key = try container.decode(String.self, forKey: .key)
            // Tag values may be empty; a server that leaves an empty one out means the same.
            value = try container.decodeIfPresent(String.self, forKey: .value) ?? ""
        }

        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    public func describeOrganization() async throws -> Organization {
        struct Answer: Decodable {
            struct Shape: Decodable {
                var id: String
                var masterAccountId: String?
                var managementAccountId: String?
            }
            var organization: Shape
        }
        let answer = try await call("DescribeOrganization", [:], as: Answer.self)
        guard let management = answer.organization.managementAccountId ?? answer.organization.masterAccountId else {
            throw unexpected("DescribeOrganization", "no management account ID")
        }
        return Organization(id: answer.organization.id, managementAccountID: management)
    }

    public func roots() async throws -> [Root] {
        try await pages("ListRoots", [:], listKey: "Roots", resource: nil)
    }

    public func organizationalUnit(id: String) async throws -> OrganizationalUnit {
        struct Answer: Decodable {
            var organizationalUnit: OrganizationalUnit
        }
        return try await call("DescribeOrganizationalUnit", ["OrganizationalUnitId": .string(id)], as: Answer.self,
                              resource: id).organizationalUnit
    }

    /// The parent of an OU or account (an OU or the root), for building the path of a subtree.
    public func parentID(of childID: String) async throws -> String {
        struct Parent: Decodable {
            var id: String
        }
        let parents: [Parent] = try await pages("ListParents", ["ChildId": .string(childID)], listKey: "Parents",
                                                resource: childID)
        guard let id = parents.first?.id else { throw unexpected("ListParents", "no parent", resource: childID) }
        return id
    }

    public func organizationalUnits(parentID: String) async throws -> [OrganizationalUnit] {
        try await pages("ListOrganizationalUnitsForParent", ["ParentId": .string(parentID)], listKey: "OrganizationalUnits",
                        resource: parentID)
    }

    public func accounts(parentID: String) async throws -> [Account] {
        try await pages("ListAccountsForParent", ["ParentId": .string(parentID)], listKey: "Accounts", resource: parentID)
    }

    /// The tags on a resource: for an account, its 12-digit ID (`ListTagsForResource`,
    /// every page; Organizations pages tags like everything else).
    public func tags(resourceID: String) async throws -> [Tag] {
        try await pages("ListTagsForResource", ["ResourceId": .string(resourceID)], listKey: "Tags", resource: resourceID)
    }

    // MARK: Calls

    private func call<Answer: Decodable>(
        _ operation: String, _ members: [String: JSONValue], as type: Answer.Type, resource: String? = nil
    ) async throws -> Answer {
        let body = try await client.json(operation, targetPrefix: Self.targetPrefix, body: .object(JSONObject(sorted: members)),
                                         resource: resource)
        return try decode(Answer.self, from: body, operation: operation, resource: resource)
    }

    /// One list call, every page: `NextToken` decides, not whether a page was empty.
    private func pages<Item: Decodable>(
        _ operation: String, _ members: [String: JSONValue], listKey: String, resource: String?
    ) async throws -> [Item] {
        var items: [Item] = []
        var token: String?
        var tokens: Set<String> = []
        var pageCount = 0
        repeat {
            var request = members
            if let token { request["NextToken"] = .string(token) }
            let body = try await client.json(operation, targetPrefix: Self.targetPrefix,
                                             body: .object(JSONObject(sorted: request)), resource: resource)
            let page = try decode(OrganizationsPage<Item>.self, from: body, operation: operation, resource: resource,
                                  userInfo: [OrganizationsPage<Item>.listKeyInfo: listKey])
            items += page.items
            pageCount += 1
            token = page.nextToken.flatMap { $0.isEmpty ? nil : $0 }
            if let token {
                guard tokens.insert(token).inserted else {
                    throw listingError(operation, AWSError.paginationLoop, "Organizations returned the same NextToken twice",
                                       resource: resource)
                }
                guard pageCount < pageLimit else {
                    throw listingError(operation, AWSError.tooManyPages,
                                       "Organizations returned more than \(pageLimit) pages, the most fleetform reads of one listing",
                                       resource: resource)
                }
            }
        } while token != nil
        return items
    }

    /// Members are matched with a lower-case first letter (`Id` as `id`), as in Query
    /// answers, so that answer types need no coding keys.
    private func decode<Answer: Decodable>(
        _ type: Answer.Type, from body: [UInt8], operation: String, resource: String?,
        userInfo: [CodingUserInfoKey: String] = [:]
    ) throws -> Answer {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .custom(AnswerKey.lowercasingFirstLetter)
        for (key, value) in userInfo { decoder.userInfo[key] = value }
        do {
            return try decoder.decode(type, from: Data(body))
        } catch {
            throw unexpected(operation, "\(error)", resource: resource)
        }
    }

    private func listingError(_ operation: String, _ code: String, _ message: String, resource: String?) -> AWSError {
        AWSError(service: "Organizations", operation: operation, code: code, message: message, resource: resource)
    }

    private func unexpected(_ operation: String, _ detail: String, resource: String? = nil) -> AWSError {
        AWSError(service: "Organizations", operation: operation, code: "UnexpectedResponse",
                 message: "the answer did not have the expected shape: \(detail)", resource: resource)
    }
}

/// One page of an Organizations list answer: the list under its operation's key, and
/// the token of the next page.
struct OrganizationsPage<Item: Decodable>: Decodable {
    var items: [Item]
    var nextToken: String?

    /// The decoder's `userInfo` names the list's key (`Accounts`, `OrganizationalUnits`, …).
    static var listKeyInfo: CodingUserInfoKey { CodingUserInfoKey(rawValue: "listKey")! }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnswerKey.self)
        let listKey = decoder.userInfo[Self.listKeyInfo] as? String ?? ""
        items = try container.decodeIfPresent([Item].self, forKey: AnswerKey(awsName: listKey)) ?? []
        nextToken = try container.decodeIfPresent(String.self, forKey: AnswerKey(awsName: "NextToken"))
    }
}
