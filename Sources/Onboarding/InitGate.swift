/// Lets the first `terraform init` of each template run alone.
///
/// Terraform's plugin cache is not safe when several inits install into it at once
/// (hashicorp/terraform#31964). The first init fills the cache; once it succeeded the
/// others only read it and may run in parallel. If it failed, the next one goes alone.
actor InitGate {
    private enum State {
        case cold
        case warming
        case warm
    }

    private var states: [String: State] = [:]
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    /// Waits until `template` may be initialised; true means the caller goes alone and
    /// must call `leave`.
    func enter(_ template: String) async -> Bool {
        while true {
            switch states[template] ?? .cold {
            case .warm:
                return false
            case .cold:
                states[template] = .warming
                return true
            case .warming:
                await withCheckedContinuation { waiters[template, default: []].append($0) }
            }
        }
    }

    func leave(_ template: String, succeeded: Bool) {
        states[template] = succeeded ? .warm : .cold
        let waiting = waiters.removeValue(forKey: template) ?? []
        waiting.forEach { $0.resume() }
    }
}
