import Foundation
import FleetformBasics

/// A Terraform root module that is rendered once per account: the built-in
/// `akeyless-gateway-role` or a user's directory (`--template DIR`).
///
/// Held in memory as files so that rendering a workspace, hashing the configuration
/// and exporting the template all read the same bytes.
public struct TerraformTemplate: Sendable, Equatable {
    public struct File: Sendable, Equatable {
        /// Relative to the template's root, `/`-separated.
        public var path: String
        public var contents: [UInt8]

        public init(path: String, contents: [UInt8]) {
            self.path = path
            self.contents = contents
        }
    }

    /// `akeyless-gateway-role`, or the absolute path of a user's template directory.
    public var name: String
    /// Sorted by path.
    public var files: [File] {
        didSet { (declaredVariables, declaredOutputs) = Self.declarations(of: files) }
    }

    /// Names of the root module's `variable` blocks, so the generated variables file
    /// sets only what the template declares. Read once from the files: every account's
    /// rendering asks.
    public private(set) var declaredVariables: Set<String>
    /// Names of the root module's `output` blocks.
    public private(set) var declaredOutputs: Set<String>

    /// What `--adopt` may take over, from the template's `fleetform-adoption.json`; nil
    /// when it has none. Kept apart from `files`: terraform never sees it.
    public private(set) var adoption: AdoptionManifest?
    /// The manifest's file as it was read, so that `template export` writes it too.
    public private(set) var adoptionFile: File?

    public init(name: String, files: [File]) {
        self.name = name
        self.files = files.sorted { $0.path < $1.path }
        (declaredVariables, declaredOutputs) = Self.declarations(of: self.files)
    }

    private static func declarations(of files: [File]) -> (variables: Set<String>, outputs: Set<String>) {
        (declaredBlockNames(kind: "variable", in: files), declaredBlockNames(kind: "output", in: files))
    }

    /// The name under which the built-in template is recorded in runs.
    public static let builtInName = "akeyless-gateway-role"

    /// The template compiled into the binary (see `scripts/embed-resources`). Its
    /// manifest is checked by the tests, so reading it cannot fail here.
    public static var builtIn: TerraformTemplate {
        let files = embeddedTemplateFiles.map { File(path: $0.path, contents: Array($0.contents.utf8)) }
        do {
            return try assemble(name: builtInName, files: files)
        } catch {
            fatalError("the built-in template is broken: \(error)")
        }
    }

    /// A template from all the files of its directory: the manifest, if there is one, is
    /// read and taken out of the files terraform gets.
    static func assemble(name: String, files: [File]) throws(TemplateError) -> TerraformTemplate {
        let manifest = files.first { $0.path == AdoptionManifest.fileName }
        var template = TerraformTemplate(name: name, files: files.filter { $0.path != AdoptionManifest.fileName })
        if let manifest {
            do {
                template.adoption = try AdoptionManifest.parse(
                    manifest.contents, file: "template \(name): \(manifest.path)", declaredVariables: template.declaredVariables)
            } catch {
                throw .invalidAdoptionManifest(error)
            }
            template.adoptionFile = manifest
        }
        return template
    }

    /// The files that make up a template in a directory: everything except Terraform's
    /// own working data (`.terraform/`, state files, plan files) and hidden files.
    public static func load(directory: URL) throws(TemplateError) -> TerraformTemplate {
        let root = directory.standardizedFileURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .notADirectory(root.path)
        }
        guard let enumerator = FileManager.default.enumerator(
            at: root, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
        else { throw .notADirectory(root.path) }
        var files: [File] = []
        for case let url as URL in enumerator {
            let relative = String(url.standardizedFileURL.path.dropFirst(root.path.count + 1))
            if relative.hasSuffix(".tfstate") || relative.hasSuffix(".tfstate.backup") || relative.hasSuffix(".tfplan") {
                continue
            }
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw .unreadable(url.path)
            }
            files.append(File(path: relative, contents: [UInt8](data)))
        }
        // The dependency lock file is hidden but part of the template: it pins provider
        // versions (and their checksums) for every account alike.
        let lock = root.appendingPathComponent(".terraform.lock.hcl")
        if let data = FileManager.default.contents(atPath: lock.path) {
            files.append(File(path: ".terraform.lock.hcl", contents: [UInt8](data)))
        }
        let template = try assemble(name: root.path, files: files)
        try template.validate()
        return template
    }

    /// Refuses a template that cannot work before any account is run with it.
    public func validate() throws(TemplateError) {
        let rootFiles = files.filter { !$0.path.contains("/") }
        guard rootFiles.contains(where: { $0.path.hasSuffix(".tf") || $0.path.hasSuffix(".tf.json") }) else {
            throw .noConfiguration(name)
        }
        guard declaredOutputs.contains("role_arn") else {
            throw .missingRoleARNOutput(name)
        }
        if let clash = rootFiles.first(where: { WorkspaceRenderer.generatedFileNames.contains($0.path) }) {
            throw .reservedFileName(name, clash.path)
        }
        if let finding = try StateLocationCheck.firstFinding(in: files, template: name) {
            throw .movesState(name, finding.file, block: finding.block, label: finding.label, location: finding.location)
        }
    }

    /// Finds `kind "name" {` in the root module's `.tf` files and `{"kind": {"name": …}}`
    /// in its `.tf.json` files. Reading block headers needs no HCL parser: a block's
    /// type and label always open a line of a formatted file.
    private static func declaredBlockNames(kind: String, in files: [File]) -> Set<String> {
        var names: Set<String> = []
        for file in files where !file.path.contains("/") {
            if file.path.hasSuffix(".tf.json") {
                guard case .object(let root)? = try? JSONParser.parse(file.contents),
                      case .object(let blocks)? = root[kind] else { continue }
                names.formUnion(blocks.members.map(\.key))
            } else if file.path.hasSuffix(".tf") {
                let text = String(decoding: file.contents, as: UTF8.self)
                for line in text.split(separator: "\n") {
                    let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
                    guard trimmed.hasPrefix(kind) else { continue }
                    let rest = trimmed.dropFirst(kind.count).drop(while: { $0 == " " || $0 == "\t" })
                    guard rest.first == "\"", let close = rest.dropFirst().firstIndex(of: "\"") else { continue }
                    names.insert(String(rest[rest.index(after: rest.startIndex)..<close]))
                }
            }
        }
        return names
    }

    /// Writes the template's files under `directory`, for review or as the start of a
    /// custom template. Existing files with the same names are replaced.
    public func export(to directory: URL) throws(TemplateError) {
        do {
            for file in files + [adoptionFile].compactMap({ $0 }) {
                let url = directory.appendingPathComponent(file.path)
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(file.contents).write(to: url)
            }
        } catch {
            throw .cannotExport(directory.path, "\(error.localizedDescription)")
        }
    }
}

/// Why a template cannot be used.
public enum TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    case notADirectory(String)
    case unreadable(String)
    case noConfiguration(String)
    case missingRoleARNOutput(String)
    case reservedFileName(String, String)
    /// A `backend` or `cloud` block: template, file, block, backend type, where.
    case movesState(String, String, block: String, label: String?, location: String)
    /// A `.tf.json` file that is not JSON: template, file, the parser's reason.
    case invalidJSON(String, String, String)
    case invalidAdoptionManifest(AdoptionManifestError)
    case cannotExport(String, String)
    /// A template stored with a queued run whose files no longer match their hash.
    case storedHashMismatch(String)

    public var description: String {
        switch self {
        case .notADirectory(let path): "template \(path): not a directory"
        case .unreadable(let path): "template file \(path): cannot be read"
        case .noConfiguration(let name): "template \(name): no .tf or .tf.json files in its top directory"
        case .missingRoleARNOutput(let name):
            "template \(name): has no output \"role_arn\"; fleetform records each account's role ARN from it"
        case .reservedFileName(let name, let file):
            "template \(name): \(file) is a file name fleetform generates; rename it"
        case .movesState(let name, let file, let block, let label, let location):
            "template \(name): \(file) declares a \(block) block\(label.map { " (\"\($0)\")" } ?? "") at \(location); "
                + "fleetform keeps each account's state itself, remove it"
        case .invalidJSON(let name, let file, let reason): "template \(name): \(file) is not valid JSON: \(reason)"
        case .invalidAdoptionManifest(let error): "\(error)"
        case .cannotExport(let path, let reason): "cannot write the template to \(path): \(reason)"
        case .storedHashMismatch(let name): "template \(name) stored with the run does not match its hash; enqueue the run again"
        }
    }
}
