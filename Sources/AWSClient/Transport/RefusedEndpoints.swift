import Foundation
import Synchronization

/// The endpoints that refused connections in this session (one command). A refusal is
/// final for the endpoint: later calls to it fail at once with the same line, so a
/// 500-account preflight against a server that is not running fails in milliseconds,
/// not account by account.
final class RefusedEndpoints: Sendable {
    private let refused = Mutex<[String: String]>([:])

    func message(for url: URL) -> String? {
        refused.withLock { $0[url.absoluteString] }
    }

    func record(_ url: URL, message: String) {
        refused.withLock { $0[url.absoluteString] = message }
    }
}
