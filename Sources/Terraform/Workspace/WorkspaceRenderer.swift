import FleetformBasics
import Foundation

/// Renders `<home>/workspaces/<account-id>/`: the template's files plus generated JSON
/// files: the variables, the backend and, when objects are being adopted, their imports.
///
/// Only JSON is generated, so no inventory value (a name, a tag) is ever spliced into
/// HCL text, and nothing in the inventory can inject configuration.
public struct WorkspaceRenderer: Sendable {
    public static let variablesFileName = "fleetform.auto.tfvars.json"
    public static let backendFileName = "fleetform_backend.tf.json"
    public static let importsFileName = "fleetform_imports.tf.json"
    public static let generatedFileNames: Set<String> = [variablesFileName, backendFileName, importsFileName]

    public var layout: HomeLayout
    /// `terraform version`, part of the configuration hash: a new Terraform may plan differently.
    public var terraformVersion: String
    /// Where the state is kept: the local file under the home, or S3.
    public var backend: StateBackend

    public init(layout: HomeLayout, terraformVersion: String, backend: StateBackend = .local) {
        self.layout = layout
        self.terraformVersion = terraformVersion
        self.backend = backend
    }

    /// Everything a rendered workspace is made of, computed without touching the disk.
    public struct Rendering: Sendable, Equatable {
        public var accountID: String
        public var template: TerraformTemplate
        /// The generated `fleetform.auto.tfvars.json`.
        public var variablesJSON: String
        /// The generated `fleetform_backend.tf.json`.
        public var backendJSON: String
        /// Objects that exist in the account and are to be taken over, written as
        /// `fleetform_imports.tf.json`; none unless `--adopt` found some. Not part of
        /// the configuration hash: once imported, the state is what an apply that
        /// created them would have left, so the account is up to date either way.
        public var imports: [ImportBlock] = []
        /// Hash of template files, variables, the account's state identity and Terraform
        /// version: an account whose last successful apply had the same hash is up to date.
        public var configHash: String
    }

    /// Computes a workspace's contents. `variables` are filtered to those the template
    /// declares (Terraform warns about the others).
    public func rendering(accountID: String, template: TerraformTemplate, variables: [String: JSONValue]) -> Rendering {
        let declared = template.declaredVariables
        let kept = variables.filter { declared.contains($0.key) }
        let variablesJSON = JSONValue.object(JSONObject(sorted: kept)).serialized(pretty: true) + "\n"
        let localBackend = Self.localBackend(statePath: relativeStatePath(accountID: accountID))
        let backendJSON = backend.json(accountID: accountID, localStatePath: relativeStatePath(accountID: accountID))
        return Rendering(
            accountID: accountID,
            template: template,
            variablesJSON: variablesJSON,
            backendJSON: backendJSON,
            // Where the state is kept is left out: it does not change what an apply does,
            // and the only way to move it (`state migrate`) verifies that the moved state is
            // the one the last apply left, so a move must not make 500 accounts re-run. The
            // account's local backend stands in for "which account's state", which is what
            // hashes recorded before S3 state covered, so upgrading re-runs nothing either.
            configHash: Self.configHash(template: template, variablesJSON: variablesJSON,
                                        backendJSON: localBackend, terraformVersion: terraformVersion))
    }

    /// The state file as seen from the workspace. Relative, so moving the home does not
    /// look like a backend change to Terraform (which would then refuse to run).
    func relativeStatePath(accountID: String) -> String {
        "../../state/\(accountID)/terraform.tfstate"
    }

    static func localBackend(statePath: String) -> String {
        let backend = JSONValue.object(JSONObject(members: [
            .init("terraform", .object(JSONObject(members: [
                .init("backend", .object(JSONObject(members: [
                    .init("local", .object(JSONObject(members: [.init("path", .string(statePath))]))),
                ]))),
            ]))),
        ]))
        return backend.serialized(pretty: true) + "\n"
    }

    /// SHA-256 over every input that can change what `apply` does.
    public static func configHash(
        template: TerraformTemplate, variablesJSON: String, backendJSON: String, terraformVersion: String
    ) -> String {
        var hash = PartsHash(label: "fleetform-config-v1")
        hash.add(template: template)
        hash.add(variablesJSON)
        hash.add(backendJSON)
        hash.add(terraformVersion)
        return hash.hex
    }

    /// Writes a rendering into the account's workspace: template files that differ are
    /// replaced, and files fleetform itself wrote for an earlier template are removed
    /// (listed in `.fleetform-files`). Nothing else is ever deleted: not `.terraform/`,
    /// not the lock file, not the `errored.tfstate` or `crash.log` terraform leaves when
    /// something went badly wrong. Also creates the state directory (for local state).
    public func write(_ rendering: Rendering) throws(WorkspaceError) -> URL {
        let workspace = layout.workspace(accountID: rendering.accountID)
        // Terraform writes errored.tfstate when it could not save state: the only record
        // of what it just created. Running again would create all of it a second time.
        let errored = workspace.appendingPathComponent("errored.tfstate")
        if FileManager.default.fileExists(atPath: errored.path) {
            throw WorkspaceError(path: workspace.path, reason: """
                errored.tfstate is here: terraform could not save its state last time; recover it \
                (terraform state push errored.tfstate in this directory), then delete the file
                """)
        }
        let fileManager = FileManager.default
        do {
            try fileManager.createDirectory(at: workspace, withIntermediateDirectories: true,
                                            attributes: [.posixPermissions: 0o700])
            if backend.location == .local {
                try fileManager.createDirectory(at: layout.stateDirectory(accountID: rendering.accountID),
                                                withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
            var wanted: [String: [UInt8]] = [:]
            for file in rendering.template.files { wanted[file.path] = file.contents }
            wanted[Self.variablesFileName] = Array(rendering.variablesJSON.utf8)
            wanted[Self.backendFileName] = Array(rendering.backendJSON.utf8)
            if !rendering.imports.isEmpty {
                // Written only while objects are being adopted: the manifest below removes
                // the file from the next rendering without imports.
                wanted[Self.importsFileName] = Array(ImportBlock.configuration(rendering.imports).utf8)
            }

            let manifest = workspace.appendingPathComponent(Self.manifestName)
            let previous = (try? String(contentsOf: manifest, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
            for path in previous where wanted[path] == nil && !path.contains("..") {
                try? fileManager.removeItem(at: workspace.appendingPathComponent(path))
            }
            for (path, contents) in wanted {
                let url = workspace.appendingPathComponent(path)
                if let existing = fileManager.contents(atPath: url.path), existing.elementsEqual(contents) { continue }
                try fileManager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(contents).write(to: url, options: .atomic)
            }
            try Data((wanted.keys.sorted().joined(separator: "\n") + "\n").utf8).write(to: manifest, options: .atomic)
        } catch {
            throw WorkspaceError(path: workspace.path, reason: error.localizedDescription)
        }
        return workspace
    }

    /// The list of files fleetform wrote into a workspace, so that a template change
    /// removes exactly those and nothing terraform or a person put there.
    static let manifestName = ".fleetform-files"
}

/// A Terraform `import` block: take the object with `id` over into the resource at `address`.
public struct ImportBlock: Sendable, Equatable {
    public var address: String
    public var id: String

    public init(address: String, id: String) {
        self.address = address
        self.id = id
    }

    /// `{"import": [{"to": ADDRESS, "id": ID}, …]}`. In JSON syntax `to` is read as
    /// an expression, which is what a resource address is.
    static func configuration(_ imports: [ImportBlock]) -> String {
        let blocks = imports.map { block in
            JSONValue.object(JSONObject(members: [.init("to", .string(block.address)), .init("id", .string(block.id))]))
        }
        return JSONValue.object(JSONObject(members: [.init("import", .array(blocks))])).serialized(pretty: true) + "\n"
    }
}

/// A workspace could not be written.
public struct WorkspaceError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public var description: String { "cannot render the workspace \(path): \(reason)" }
}
