import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP exchange, in the plain form SigV4 signs.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: URL
    public var headers: [String: String]
    public var body: [UInt8]

    public init(method: String, url: URL, headers: [String: String], body: [UInt8]) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// Sends requests. The seam below the AWS client: URLSession (libcurl on Linux) in
/// production; every test goes through the real one too, against moto.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}

/// A request that did not complete within the transport's overall deadline.
public struct RequestDeadlineExceeded: Error, Sendable, Equatable {
    public var limit: Duration
}

/// HTTP through Foundation's URLSession, with two time limits: an idle timeout (no
/// bytes for that long) and an overall deadline per request. URLSession's own
/// `timeoutIntervalForRequest` is only the idle one, so a server that trickles one
/// byte a second would otherwise hold a request, and the preflight slot it sits in,
/// for ever.
public final class URLSessionTransport: HTTPTransport {
    public static let defaultIdleTimeout: Duration = .seconds(30)
    public static let defaultDeadline: Duration = .seconds(30)

    public let idleTimeout: Duration
    public let deadline: Duration
    private let session: URLSession

    public init(idleTimeout: Duration = defaultIdleTimeout, deadline: Duration = defaultDeadline) {
        self.idleTimeout = idleTimeout
        self.deadline = deadline
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = idleTimeout.seconds
        configuration.httpMaximumConnectionsPerHost = 32
        // Never read or store cookies or caches: responses hold credentials.
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        session = URLSession(configuration: configuration)
    }

    /// Throws `RequestDeadlineExceeded` when the whole exchange takes longer than
    /// `deadline`; the request is cancelled then.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        var urlRequest = URLRequest(url: request.url)
        urlRequest.httpMethod = request.method
        urlRequest.timeoutInterval = idleTimeout.seconds
        for (name, value) in request.headers where name.lowercased() != "host" {
            urlRequest.setValue(value, forHTTPHeaderField: name)
        }
        urlRequest.httpBody = Data(request.body)
        let session = self.session, deadline = self.deadline
        let finished = urlRequest
        return try await withThrowingTaskGroup(of: HTTPResponse?.self) { group in
            group.addTask {
                let (data, response) = try await session.data(for: finished)
                return HTTPResponse(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: [UInt8](data))
            }
            group.addTask {
                try await Task.sleep(for: deadline)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let response = first else {
                throw RequestDeadlineExceeded(limit: deadline)
            }
            return response
        }
    }
}
