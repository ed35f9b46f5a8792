import Foundation

/// Whether a workspace still needs `terraform init`.
///
/// Init takes seconds and reads the plugin cache; a workspace that was initialised for
/// the same template files, backend, Terraform version, home and plugin cache, with the
/// same dependency lock file, needs none. The marker file under `.terraform/` holds the
/// fingerprint of those inputs after the last successful init.
public struct InitMarker: Sendable {
    public var layout: HomeLayout
    public var terraformVersion: String
    /// `TF_PLUGIN_CACHE_DIR` as terraform sees it, nil without a cache.
    public var pluginCache: String?

    public init(layout: HomeLayout, terraformVersion: String, runner: TerraformRunner) {
        self.layout = layout
        self.terraformVersion = terraformVersion
        self.pluginCache = runner.environment["TF_PLUGIN_CACHE_DIR"] ?? nil
    }

    static let markerPath = ".terraform/fleetform-init"
    public static let lockFileName = ".terraform.lock.hcl"

    /// True when init can be skipped for `rendering` in `workspace`.
    public func isCurrent(_ rendering: WorkspaceRenderer.Rendering, workspace: URL) -> Bool {
        let marker = workspace.appendingPathComponent(Self.markerPath)
        guard let recorded = try? String(contentsOf: marker, encoding: .utf8) else { return false }
        return recorded == fingerprint(rendering, workspace: workspace) && Self.providersResolve(in: workspace)
    }

    /// Records a successful init. The lock file may have just been written by it, so the
    /// fingerprint is taken of what is there now.
    public func record(_ rendering: WorkspaceRenderer.Rendering, workspace: URL) {
        let marker = workspace.appendingPathComponent(Self.markerPath)
        try? fingerprint(rendering, workspace: workspace).write(to: marker, atomically: true, encoding: .utf8)
    }

    /// Unlike the configuration hash, the variables are left out (a changed tag needs no
    /// init) and the home and plugin cache are in: provider links in `.terraform` point
    /// into the cache by absolute path, so a moved home or another cache needs a new init.
    func fingerprint(_ rendering: WorkspaceRenderer.Rendering, workspace: URL) -> String {
        var hash = PartsHash(label: "fleetform-init-v2")
        hash.add(template: rendering.template)
        hash.add(rendering.backendJSON)
        hash.add(terraformVersion)
        hash.add(layout.home.path)
        hash.add(pluginCache ?? "")
        hash.add(FileManager.default.contents(atPath: workspace.appendingPathComponent(Self.lockFileName).path) ?? Data())
        return hash.hex
    }

    /// Whether every provider link under `.terraform/providers` still leads somewhere
    /// (a cleaned plugin cache leaves them dangling, and terraform then refuses to run).
    static func providersResolve(in workspace: URL) -> Bool {
        let providers = workspace.appendingPathComponent(".terraform/providers")
        guard let enumerator = FileManager.default.enumerator(atPath: providers.path) else { return true }
        for case let relative as String in enumerator {
            let path = providers.appendingPathComponent(relative).path
            let isLink = (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeSymbolicLink
            if isLink && !FileManager.default.fileExists(atPath: path) { return false }
        }
        return true
    }
}
