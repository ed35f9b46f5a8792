/// The environment terraform runs with: the user's (so `TF_CLI_CONFIG_FILE`, AWS
/// credentials and endpoints pass through untouched) plus the automation settings.
public enum TerraformEnvironment {
    static let redirectingVariables: Set<String> = ["TF_WORKSPACE", "TF_DATA_DIR"]

    /// Changes to apply to the inherited environment; `nil` removes a variable.
    ///
    /// - `TF_LOG*` are removed unless `debugLog`: debug output would flood the per-account log.
    /// - `TF_PLUGIN_CACHE_DIR` points into the home unless the user set one.
    public static func overrides(
        inherited: [String: String], pluginCache: String, debugLog: Bool
    ) -> [String: String?] {
        var changes: [String: String?] = [
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
        ]
        if (inherited["TF_PLUGIN_CACHE_DIR"] ?? "").isEmpty {
            changes["TF_PLUGIN_CACHE_DIR"] = pluginCache
        }
        if !debugLog {
            for name in inherited.keys where name.hasPrefix("TF_LOG") {
                changes[name] = .some(nil)
            }
        }
        // These would move state or the data directory away from where fleetform keeps
        // them (TF_WORKSPACE, TF_DATA_DIR) or add arguments behind its back (TF_CLI_ARGS*):
        // a second apply would then create every resource again.
        for name in inherited.keys where redirectingVariables.contains(name) || name.hasPrefix("TF_CLI_ARGS") {
            changes[name] = .some(nil)
        }
        return changes
    }
}
