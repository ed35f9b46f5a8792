import FleetformBasics
import Foundation

/// The resource instances a state file holds, by address (`aws_iam_role.this`,
/// `aws_iam_instance_profile.this[0]`), so that `--adopt` looks up only objects the
/// state does not manage yet: an import block for an address already in state with
/// another id is an error in Terraform.
///
/// Reads the local backend's file (format version 4) directly: a `terraform state list`
/// would cost an init-sized terraform start per account for the same answer.
public enum StateAddresses {
    /// Empty when there is no state file yet. Throws when the file is there but cannot be
    /// read as a state, rather than guessing that nothing is managed.
    public static func read(stateFile: URL) throws(StateReadError) -> Set<String> {
        guard let data = FileManager.default.contents(atPath: stateFile.path) else {
            if FileManager.default.fileExists(atPath: stateFile.path) { throw StateReadError(path: stateFile.path, reason: "cannot be read") }
            return []
        }
        let parsed: JSONValue
        do {
            parsed = try JSONParser.parse([UInt8](data))
        } catch {
            throw StateReadError(path: stateFile.path, reason: "not valid JSON: \(error)")
        }
        guard case .object(let state) = parsed else { throw StateReadError(path: stateFile.path, reason: "not a state") }
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

public struct StateReadError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public var description: String { "state file \(path): \(reason)" }
}
