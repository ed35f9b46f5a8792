import Foundation

/// Lets the first `terraform init` of each template run alone, and hands its dependency
/// lock file to every later workspace of that template.
///
/// Terraform's plugin cache is not safe when several inits install into it at once
/// (hashicorp/terraform#31964). And since Terraform 1.4 an init links a provider from the
/// cache only when the workspace's `.terraform.lock.hcl` already records its checksum;
/// without one it installs into the cache again, so a template that ships no lock file
/// (the built-in one) had every init install at once after all. The first init fills
/// the cache and writes a lock file; once it succeeded, the others get that lock file
/// first, so they only read the cache and may run in parallel. If it failed, the next
/// one goes alone.
actor InitGate {
    /// Templates whose first init succeeded, with the lock file it wrote (nil when the
    /// template needs no providers and terraform wrote none).
    private var warm: [String: Data?] = [:]
    /// The template whose first init is running, if any. One at a time, whatever the
    /// template: every template installs into the same cache.
    private var warming: String?
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// What `enter` decided.
    enum Admission: Equatable {
        /// The caller's init runs alone and must call `leave`.
        case alone
        /// The cache is filled; put this lock file into the workspace (if it has none)
        /// and init in parallel.
        case shared(lockFile: Data?)
    }

    /// Waits until `template` may be initialised.
    func enter(_ template: String) async -> Admission {
        while true {
            if let lockFile = warm[template] { return .shared(lockFile: lockFile) }
            if warming == nil {
                warming = template
                return .alone
            }
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    /// The first init of `template` ended; `lockFile` is what it left in its workspace.
    func leave(_ template: String, succeeded: Bool, lockFile: Data?) {
        if succeeded { warm[template] = .some(lockFile) }
        warming = nil
        let waiting = waiters
        waiters = []
        waiting.forEach { $0.resume() }
    }
}
