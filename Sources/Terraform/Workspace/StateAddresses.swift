import FleetformBasics
import Foundation

/// The resource instances a state holds, by address (`aws_iam_role.this`,
/// `aws_iam_instance_profile.this[0]`), so that `--adopt` looks up only objects the
/// state does not manage yet: an import block for an address already in state with
/// another id is an error in Terraform.
///
/// Local state is read from its file (format version 4) directly: a `terraform state
/// list` would cost an init-sized terraform start per account for the same answer. State
/// elsewhere (S3) is what `terraform state pull` printed, parsed the same way.
public enum StateAddresses {
    /// Empty when there is no state file yet. Throws when the file is there but cannot be
    /// read as a state, rather than guessing that nothing is managed.
    public static func read(stateFile: URL) throws(StateReadError) -> Set<String> {
        guard let data = FileManager.default.contents(atPath: stateFile.path) else {
            if FileManager.default.fileExists(atPath: stateFile.path) { throw StateReadError(path: stateFile.path, reason: "cannot be read") }
            return []
        }
        return try StateSnapshot.parse([UInt8](data), origin: stateFile.path)?.addresses ?? []
    }

    static func addresses(in state: JSONObject) -> Set<String> {
        guard case .array(let resources)? = state["resources"] else { return [] }
        var addresses: Set<String> = []
        for case .object(let resource) in resources {
            guard case .string("managed")? = resource["mode"],
                  case .string(let type)? = resource["type"], case .string(let name)? = resource["name"] else { continue }
            var base = "\(type).\(name)"
            if case .string(let module)? = resource["module"] { base = "\(module).\(base)" }
            guard case .array(let instances)? = resource["instances"] else { continue }
            for case .object(let instance) in instances {
                switch instance["index_key"] {
                case .number(let index)?: addresses.insert("\(base)[\(index)]")
                case .string(let key)?: addresses.insert("\(base)[\"\(key)\"]")
                default: addresses.insert(base)
                }
            }
        }
        return addresses
    }
}

/// One state as terraform wrote it: its lineage and serial, and what it holds (resources
/// and outputs).
public struct StateSnapshot: Sendable, Equatable {
    public var lineage: String
    public var serial: String
    public var resources: JSONValue
    public var outputs: JSONValue
    public var addresses: Set<String>

    /// Holds no resource and no output: what a destroy leaves, and what Terraform itself
    /// treats as no state (`-migrate-state` does not copy it).
    public var isEmpty: Bool {
        resources == .array([]) && (outputs == .object(JSONObject(members: [])))
    }

    /// Whether `other` holds the same resource instances, with the same attributes, and
    /// the same outputs: what `state migrate` checks before it trusts a copy.
    ///
    /// Lineage and serial are not compared: Terraform (1.10, 1.11) gives a state copied
    /// into an empty S3 object a new lineage (`-migrate-state` and `state push` alike),
    /// and raises the serial when it overwrites one, so a faithful copy can differ there.
    public func holdsTheSame(as other: StateSnapshot) -> Bool {
        resources == other.resources && outputs == other.outputs
    }

    /// Nil for no state (empty output: `state pull` prints nothing when there is none).
    /// `origin` names the state in errors.
    public static func parse(_ bytes: [UInt8], origin: String) throws(StateReadError) -> StateSnapshot? {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return nil }
        let parsed: JSONValue
        do {
            parsed = try JSONParser.parse(bytes)
        } catch {
            throw StateReadError(path: origin, reason: "not valid JSON: \(error)")
        }
        guard case .object(let state) = parsed else { throw StateReadError(path: origin, reason: "not a state") }
        let lineage: String = if case .string(let text)? = state["lineage"] { text } else { "" }
        let serial: String = if case .number(let text)? = state["serial"] { text } else { "" }
        return StateSnapshot(lineage: lineage, serial: serial, resources: state["resources"] ?? .array([]),
                             outputs: state["outputs"] ?? .object(JSONObject(members: [])),
                             addresses: StateAddresses.addresses(in: state))
    }
}

public struct StateReadError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public var description: String { "state \(path): \(reason)" }
}
