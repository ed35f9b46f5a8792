import FleetformBasics
import Foundation

/// Renders `<home>/workspaces/<account-id>/`: the template's files plus two generated
/// JSON files, the variables and the backend.
///
/// Only JSON is generated, so no inventory value (a name, a tag) is ever spliced into
/// HCL text, and nothing in the inventory can inject configuration.
public struct WorkspaceRenderer: Sendable {
    public static let variablesFileName = "fleetform.auto.tfvars.json"
    public static let backendFileName = "fleetform_backend.tf.json"
    public static let generatedFileNames: Set<String> = [variablesFileName, backendFileName]

    public var layout: HomeLayout
    /// `terraform version`, part of the configuration hash: a new Terraform may plan differently.
    public var terraformVersion: String

    public init(layout: HomeLayout, terraformVersion: String) {
        self.layout = layout
        self.terraformVersion = terraformVersion
    }

    /// Everything a rendered workspace is made of, computed without touching the disk.
    public struct Rendering: Sendable, Equatable {
        public var accountID: String
        public var template: TerraformTemplate
        /// The generated `fleetform.auto.tfvars.json`.
        public var variablesJSON: String
        /// The generated `fleetform_backend.tf.json`.
        public var backendJSON: String
        /// Hash of template files, variables, backend and Terraform version: an account
        /// whose last successful apply had the same hash is up to date.
        public var configHash: String
    }

    /// Computes a workspace's contents. `variables` are filtered to those the template
    /// declares (Terraform warns about the others).
    public func rendering(accountID: String, template: TerraformTemplate, variables: [String: JSONValue]) -> Rendering {
        let declared = template.declaredVariables
        let kept = variables.filter { declared.contains($0.key) }
        let variablesJSON = JSONValue.object(JSONObject(sorted: kept)).serialized(pretty: true) + "\n"
        let backendJSON = Self.localBackend(statePath: relativeStatePath(accountID: accountID))
        return Rendering(
            accountID: accountID,
            template: template,
            variablesJSON: variablesJSON,
            backendJSON: backendJSON,
            configHash: Self.configHash(template: template, variablesJSON: variablesJSON,
                                        backendJSON: backendJSON, terraformVersion: terraformVersion))
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
    /// something went badly wrong. Also creates the state directory.
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
            try fileManager.createDirectory(at: layout.stateDirectory(accountID: rendering.accountID),
                                            withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            var wanted: [String: [UInt8]] = [:]
            for file in rendering.template.files { wanted[file.path] = file.contents }
            wanted[Self.variablesFileName] = Array(rendering.variablesJSON.utf8)
            wanted[Self.backendFileName] = Array(rendering.backendJSON.utf8)

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

/// A workspace could not be written.
public struct WorkspaceError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public var description: String { "cannot render the workspace \(path): \(reason)" }
}
