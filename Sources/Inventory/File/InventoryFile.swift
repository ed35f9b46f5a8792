import FleetformBasics
/// The inventory file (`inventory.example.json`): the organization's management account,
/// defaults, and the member accounts with those defaults applied.
public struct InventoryFile: Sendable, Equatable {
    public var managementAccountID: String
    public var accounts: [AccountSpec]

    public init(managementAccountID: String, accounts: [AccountSpec]) {
        self.managementAccountID = managementAccountID
        self.accounts = accounts
    }

    /// Parses and validates a whole file. Every problem is collected before anything is
    /// returned, so the user fixes a file in one pass instead of one error per attempt.
    public static func parse(_ bytes: [UInt8]) throws(InventoryFileError) -> InventoryFile {
        let document: JSONValue
        do {
            document = try JSONParser.parse(bytes)
        } catch {
            throw .notJSON(error)
        }
        var validator = InventoryFileValidator()
        let file = validator.validate(document)
        guard let file, validator.problems.isEmpty else {
            throw .invalid(validator.problems)
        }
        return file
    }
}

/// What is wrong with an inventory file.
public enum InventoryFileError: Error, Sendable, Equatable {
    case notJSON(JSONSyntaxError)
    case invalid([InventoryProblem])

    /// One line per problem, each starting with where it is.
    public var problemLines: [String] {
        switch self {
        case .notJSON(let error): ["not valid JSON: \(error)"]
        case .invalid(let problems): problems.map(\.description)
        }
    }
}

/// One thing wrong with an inventory file, at a JSON path such as `accounts[3].id`.
public struct InventoryProblem: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
