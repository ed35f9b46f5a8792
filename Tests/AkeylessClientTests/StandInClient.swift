import AWSClient
import Foundation
import Synchronization
import TestSupport
@testable import AkeylessClient

/// Clients pointed at a running stand-in, with retry pauses of milliseconds so the
/// fault tests stay fast.
enum StandInClient {
    static let fastRetry = RetryPolicy(maximumAttempts: 5, base: .milliseconds(5), cap: .milliseconds(40))

    static func accessKey(
        _ standIn: AkeylessStandIn, key: String? = nil, retry: RetryPolicy = fastRetry,
        transport: any HTTPTransport = URLSessionTransport()
    ) throws -> AkeylessAPI {
        let configuration = standIn.configuration
        return AkeylessAPI(
            endpoint: try AkeylessEndpoint(standIn.url),
            login: .accessKey(accessID: configuration.accessID, accessKey: AkeylessSecret(key ?? configuration.accessKey)),
            transport: transport, retry: retry)
    }
}

/// Records every answer body, so a test can learn the token the stand-in issued and
/// check it appears in no error text.
final class RecordingTransport: HTTPTransport {
    private let inner = URLSessionTransport()
    private let bodies = Mutex<[String]>([])

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let response = try await inner.send(request)
        bodies.withLock { $0.append(String(decoding: response.body, as: UTF8.self)) }
        return response
    }

    /// The `token` values of the `auth` answers seen.
    var tokens: [String] {
        bodies.withLock { $0 }.compactMap { body in
            guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else { return nil }
            return object["token"] as? String
        }
    }
}
