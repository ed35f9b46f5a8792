import FleetformBasics

/// Which resources of a template are which IAM objects, and how each object's name
/// follows from the template's variables: what `--adopt` needs to look an object up
/// and to write the import block that takes it over.
///
/// Terraform cannot say this itself (a resource's name is an expression, known only in
/// a plan), so a template that wants adoption declares it in `fleetform-adoption.json`
/// beside its `.tf` files:
///
/// ```json
/// {"format": 1,
///  "objects": [
///    {"kind": "role", "address": "aws_iam_role.this", "name": "${role_name}"},
///    {"kind": "policy", "address": "aws_iam_policy.this", "name": "${role_name}-policy"},
///    {"kind": "attachment", "address": "aws_iam_role_policy_attachment.this"},
///    {"kind": "instance_profile", "address": "aws_iam_instance_profile.this[0]", "name": "${role_name}"}]}
/// ```
///
/// The file is fleetform's, not terraform's: it is neither copied into workspaces nor
/// part of the configuration hash, so adding one changes nothing for accounts already
/// applied.
public struct AdoptionManifest: Sendable, Equatable {
    public static let fileName = "fleetform-adoption.json"
    static let format = 1

    /// The IAM objects fleetform knows how to look up and import.
    public enum ObjectKind: String, Sendable, Equatable, Hashable, CaseIterable, Comparable {
        case role, policy, attachment
        case instanceProfile = "instance_profile"

        /// The order objects are listed in: a role before what hangs off it.
        private var rank: Int { Self.allCases.firstIndex(of: self)! }
        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }

        /// Whether the object has a name of its own (an attachment is named by its role and policy).
        var isNamed: Bool { self != .attachment }
    }

    public struct Object: Sendable, Equatable {
        public var kind: ObjectKind
        /// The resource instance the object is imported into: `aws_iam_role.this`.
        public var address: String
        /// The object's name, with `${variable}` references; nil for an attachment.
        public var name: NameTemplate?
        /// The IAM path the template creates the object under (`/` unless it says).
        public var path: String
    }

    /// One object per kind, in `ObjectKind` order.
    public var objects: [Object]

    public func object(_ kind: ObjectKind) -> Object? {
        objects.first { $0.kind == kind }
    }

    /// Reads and checks a manifest. `declaredVariables` are the template's: a name may
    /// only use variables the template has.
    public static func parse(
        _ bytes: [UInt8], file: String, declaredVariables: Set<String>
    ) throws(AdoptionManifestError) -> AdoptionManifest {
        func fail(_ reason: String) -> AdoptionManifestError { AdoptionManifestError(file: file, reason: reason) }
        let parsed: JSONValue
        do {
            parsed = try JSONParser.parse(bytes)
        } catch {
            throw fail("not valid JSON: \(error)")
        }
        guard case .object(let root) = parsed else { throw fail("the top level must be an object") }
        try refuseUnknownKeys(root, allowed: ["format", "objects"], at: "the top level", fail: fail)
        guard case .number(let format)? = root["format"], Int(format) == Self.format else {
            throw fail("\"format\" must be \(Self.format)")
        }
        guard case .array(let entries)? = root["objects"], !entries.isEmpty else {
            throw fail("\"objects\" must be a non-empty array")
        }
        var objects: [Object] = []
        for (index, entry) in entries.enumerated() {
            let place = "objects[\(index)]"
            guard case .object(let fields) = entry else { throw fail("\(place) must be an object") }
            try refuseUnknownKeys(fields, allowed: ["kind", "address", "name", "path"], at: place, fail: fail)
            guard case .string(let kindText)? = fields["kind"], let kind = ObjectKind(rawValue: kindText) else {
                throw fail("\(place).kind must be one of \(ObjectKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard !objects.contains(where: { $0.kind == kind }) else { throw fail("\(place): a second \(kind.rawValue)") }
            guard case .string(let address)? = fields["address"], ResourceAddress.isValid(address) else {
                throw fail("\(place).address must be a resource address such as aws_iam_role.this or aws_iam_instance_profile.this[0]")
            }
            var name: NameTemplate?
            switch (kind.isNamed, fields["name"]) {
            case (true, .string(let text)?):
                do {
                    name = try NameTemplate(text, declaredVariables: declaredVariables)
                } catch {
                    throw fail("\(place).name: \(error.reason)")
                }
            case (true, _): throw fail("\(place).name must be a string such as \"${role_name}\"")
            case (false, nil): name = nil
            case (false, _): throw fail("\(place): an attachment has no name (its role and policy name it)")
            }
            var path = "/"
            if let value = fields["path"] {
                guard case .string(let text) = value, text.hasPrefix("/"), text.hasSuffix("/"), text.count <= 512 else {
                    throw fail("\(place).path must start and end with / (IAM paths look like /gateways/)")
                }
                path = text
            }
            objects.append(Object(kind: kind, address: address, name: name, path: path))
        }
        let kinds = Set(objects.map(\.kind))
        if kinds.contains(.attachment), !kinds.isSuperset(of: [.role, .policy]) {
            throw fail("an attachment needs the role and the policy it joins in the manifest too")
        }
        if kinds.contains(.instanceProfile), !kinds.contains(.role) {
            throw fail("an instance_profile needs the role it holds in the manifest too")
        }
        if Set(objects.map(\.address)).count != objects.count { throw fail("two objects have the same address") }
        return AdoptionManifest(objects: objects.sorted { $0.kind < $1.kind })
    }

    private static func refuseUnknownKeys(
        _ object: JSONObject, allowed: Set<String>, at place: String, fail: (String) -> AdoptionManifestError
    ) throws(AdoptionManifestError) {
        if let unknown = object.members.map(\.key).first(where: { !allowed.contains($0) }) {
            throw fail("\(place) has an unknown key \"\(unknown)\"")
        }
    }
}

/// A name with `${variable}` references, resolved per account from its variables.
public struct NameTemplate: Sendable, Equatable, CustomStringConvertible {
    enum Part: Sendable, Equatable {
        case text(String)
        case variable(String)
    }

    let parts: [Part]
    public let description: String

    struct Invalid: Error {
        var reason: String
    }

    init(_ text: String, declaredVariables: Set<String>) throws(Invalid) {
        var parts: [Part] = []
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            if open.lowerBound > rest.startIndex { parts.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else { throw Invalid(reason: "an unclosed ${") }
            let variable = String(rest[open.upperBound..<close])
            guard declaredVariables.contains(variable) else {
                throw Invalid(reason: "${\(variable)} is not a variable of the template")
            }
            parts.append(.variable(variable))
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
        guard !parts.isEmpty else { throw Invalid(reason: "empty") }
        self.parts = parts
        description = text
    }

    /// The name for one account, or nil when a variable it uses has no string value there.
    public func resolve(_ variables: [String: JSONValue]) -> String? {
        var name = ""
        for part in parts {
            switch part {
            case .text(let text): name += text
            case .variable(let variable):
                guard case .string(let value)? = variables[variable] else { return nil }
                name += value
            }
        }
        return name
    }
}

/// Terraform resource instance addresses, as an import block's `to` takes them.
enum ResourceAddress {
    /// `[module.NAME[KEY].]*TYPE.NAME[KEY]`, with KEY a number or a quoted string.
    static func isValid(_ address: String) -> Bool {
        address.wholeMatch(of: pattern) != nil
    }

    nonisolated(unsafe) private static let pattern =
        /(module\.[A-Za-z_][A-Za-z0-9_-]*(\[([0-9]+|"[^"\\]*")\])?\.)*[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_-]*(\[([0-9]+|"[^"\\]*")\])?/
}

/// A manifest that cannot be used: the file and what is wrong with it.
public struct AdoptionManifestError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var reason: String

    public var description: String { "\(file): \(reason)" }
}
