import Foundation
import Synchronization
@testable import AWSClient
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A stand-in at the HTTP seam for the unit tests of the chain's HTTP sources: answers
/// each request with what `answer` returns (or throws), and records every request.
/// The end-to-end tests use real local servers instead.
final class StubTransport: HTTPTransport {
    private let answer: @Sendable (HTTPRequest) throws -> HTTPResponse
    private let recorded = Mutex<[HTTPRequest]>([])

    init(_ answer: @escaping @Sendable (HTTPRequest) throws -> HTTPResponse) {
        self.answer = answer
    }

    /// Every connection refused, as with nothing listening.
    static func refusingEverything() -> StubTransport {
        StubTransport { _ in throw URLError(.cannotConnectToHost) }
    }

    var requests: [HTTPRequest] { recorded.withLock { $0 } }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        recorded.withLock { $0.append(request) }
        return try answer(request)
    }
}

extension HTTPResponse {
    static func json(_ text: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, body: Array(text.utf8))
    }
}
