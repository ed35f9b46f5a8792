/// Lets the first `terraform init` of each template run alone.
///
/// Terraform's plugin cache is not safe when several inits install into it at once
/// (hashicorp/terraform#31964). The first init fills the cache; once it succeeded the
/// others only read it and may run in parallel. If it failed, the next one goes alone.
actor InitGate {
    /// Templates whose first init succeeded: their providers are in the cache.
    private var warm: Set<String> = []
    /// The template whose first init is running, if any. One at a time, whatever the
    /// template: every template installs into the same cache.
    private var warming: String?
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Waits until `template` may be initialised; true means the caller goes alone and
    /// must call `leave`.
    func enter(_ template: String) async -> Bool {
        while true {
            if warm.contains(template) { return false }
            if warming == nil {
                warming = template
                return true
            }
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    func leave(_ template: String, succeeded: Bool) {
        if succeeded { warm.insert(template) }
        warming = nil
        let waiting = waiters
        waiters = []
        waiting.forEach { $0.resume() }
    }
}
