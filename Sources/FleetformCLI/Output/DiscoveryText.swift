import Onboarding

/// What `inventory discover` and `apply --discover` say about a discovery.
enum DiscoveryText {
    static func line(_ result: InventoryDiscovery.Result) -> String {
        "discovered \(result.discovered) accounts (\(result.enabled) enabled) in \(result.organizationalUnits) OUs "
            + "with \(result.requests) requests: \(result.recorded)"
    }
}
