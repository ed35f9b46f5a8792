import FleetformBasics

/// Refuses a template that would move an account's state away from where fleetform keeps
/// it.
///
/// fleetform generates each workspace's backend (`fleetform_backend.tf.json`: local
/// state under `<home>/state/<account>/`, or its S3 prefix). A `backend` or `cloud`
/// block in a template's `terraform` block replaces or fights it — silently, in an
/// `*_override.tf` file — and then every account's state goes to one place the template
/// chose: accounts overwrite each other's state, `destroy` and adoption read the wrong
/// one, and `state migrate` cannot find it. Only the root module's files count: Terraform
/// ignores backend settings in child modules.
enum StateLocationCheck {
    /// A `backend` or `cloud` block found in a template file.
    struct Finding: Equatable, Sendable {
        var file: String
        /// `backend` or `cloud`.
        var block: String
        /// The backend type (`"s3"`), when the block has one.
        var label: String?
        /// `line 3` for HCL, `terraform[0].backend` for JSON.
        var location: String
    }

    /// The first finding in the root module's `.tf` and `.tf.json` files (in path order).
    /// `template` names the template in errors.
    static func firstFinding(in files: [TerraformTemplate.File], template: String) throws(TemplateError) -> Finding? {
        for file in files where !file.path.contains("/") {
            if file.path.hasSuffix(".tf.json") {
                if let finding = try jsonFinding(file, template: template) { return finding }
            } else if file.path.hasSuffix(".tf") {
                if let finding = hclFinding(file) { return finding }
            }
        }
        return nil
    }

    private static let stateBlocks: Set<String> = ["backend", "cloud"]

    static func hclFinding(_ file: TerraformTemplate.File) -> Finding? {
        guard let block = HCLBlockScanner.terraformSubblocks(in: file.contents).first(where: { stateBlocks.contains($0.type) })
        else { return nil }
        return Finding(file: file.path, block: block.type, label: block.labels.first, location: "line \(block.line)")
    }

    /// `{"terraform": {"backend": {"s3": {…}}}}`, where `terraform` and `backend` may each
    /// also be an array of such objects (Terraform's JSON syntax for repeated blocks).
    static func jsonFinding(_ file: TerraformTemplate.File, template: String) throws(TemplateError) -> Finding? {
        let document: JSONValue
        do {
            document = try JSONParser.parse(file.contents)
        } catch {
            // Unreadable to us means unchecked: refuse rather than guess (terraform would
            // refuse it too).
            throw .invalidJSON(template, file.path, "\(error)")
        }
        guard case .object(let root) = document else { return nil }
        for member in root.members where member.key == "terraform" {
            let bodies: [(JSONObject, String)]
            switch member.value {
            case .object(let body): bodies = [(body, "terraform")]
            case .array(let elements):
                bodies = elements.enumerated().compactMap { index, element in
                    if case .object(let body) = element { (body, "terraform[\(index)]") } else { nil }
                }
            default: bodies = []
            }
            for (body, path) in bodies {
                for setting in body.members where stateBlocks.contains(setting.key) {
                    return Finding(file: file.path, block: setting.key,
                                   label: setting.key == "backend" ? label(of: setting.value) : nil,
                                   location: "\(path).\(setting.key)")
                }
            }
        }
        return nil
    }

    /// The first key of a labelled block's object (skipping `//` comments), e.g. `s3`.
    private static func label(of value: JSONValue) -> String? {
        switch value {
        case .object(let object): object.members.first { $0.key != "//" }?.key
        case .array(let elements): elements.lazy.compactMap(label(of:)).first
        default: nil
        }
    }
}
