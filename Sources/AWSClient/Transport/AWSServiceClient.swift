import Crypto
import FleetformBasics
import Foundation
import Synchronization

/// Counts the HTTP requests a session sends (retries included), so commands and
/// benchmarks can report how many calls a discovery or a preflight cost.
public final class RequestCounter: Sendable {
    private let count = Mutex(0)

    public init() {}

    public var value: Int { count.withLock { $0 } }

    func increment() {
        count.withLock { $0 += 1 }
    }
}

/// Sends signed requests to one AWS service endpoint, retrying throttling and transient
/// failures within the session's retry budget, and turns error answers and failed
/// connections into `AWSError`s.
struct AWSServiceClient: Sendable {
    var service: AWSService
    var endpoint: ResolvedEndpoint
    /// nil sends requests unsigned: AssumeRoleWithWebIdentity is authorised by the token
    /// in its body, and the credentials it would be signed with are what it fetches.
    var credentials: (@Sendable () async throws -> AWSCredentials)?
    var transport: any HTTPTransport
    var retry: RetryPolicy
    var budget: RetryBudget
    var refused: RefusedEndpoints
    var counter: RequestCounter

    /// Connection refusals after which any endpoint counts as down. A loopback
    /// endpoint (moto, LocalStack) that refuses is not running: the first refusal is final.
    static let maximumRefusals = 2

    /// The Query protocol (STS, IAM): a form-encoded POST answered with XML. The form uses
    /// SigV4's RFC 3986 encoding, which is also a valid form encoding: a space is `%20`,
    /// never a `+` that a server could read either way.
    func query(_ action: String, version: String, parameters: [(String, String)] = []) async throws -> [UInt8] {
        let pairs = [("Action", action), ("Version", version)] + parameters
        let body = pairs.map { "\(SigV4Encoding.encode($0.0))=\(SigV4Encoding.encode($0.1))" }.joined(separator: "&")
        let response = try await send(
            operation: action, resource: nil,
            headers: ["content-type": "application/x-www-form-urlencoded; charset=utf-8"],
            body: Array(body.utf8),
            errorCode: Self.xmlError)
        return response.body
    }

    /// The JSON 1.1 protocol (Organizations): a JSON POST naming the operation in a header.
    /// - Parameter resource: what the call is about (a parent ID), named in its errors.
    func json(_ operation: String, targetPrefix: String, body: JSONValue, resource: String? = nil) async throws -> [UInt8] {
        let response = try await send(
            operation: operation, resource: resource,
            headers: ["content-type": "application/x-amz-json-1.1", "x-amz-target": "\(targetPrefix).\(operation)"],
            body: Array(body.serialized().utf8),
            errorCode: Self.jsonError)
        return response.body
    }

    /// A GET of `url` (S3's REST protocol), signed with the hash of the empty body in
    /// `x-amz-content-sha256` as S3 requires. A 404 is an answer, not an error: nil.
    func get(_ operation: String, url: URL, resource: String? = nil) async throws -> [UInt8]? {
        do {
            return try await send(
                operation: operation, resource: resource, method: "GET", url: url,
                headers: ["x-amz-content-sha256": SigV4Encoding.hex(SHA256.hash(data: [UInt8]()))], body: [],
                errorCode: Self.xmlError
            ).body
        } catch let error as AWSError where error.httpStatus == 404 {
            return nil
        }
    }

    private func send(
        operation: String, resource: String?, method: String = "POST", url: URL? = nil, headers: [String: String],
        body: [UInt8], errorCode: ([UInt8]) -> (code: String, message: String)?
    ) async throws -> HTTPResponse {
        let url = url ?? endpoint.url
        func failure(_ code: String, _ message: String, status: Int? = nil) -> AWSError {
            AWSError(service: service.humanName, operation: operation, code: code, message: message,
                     httpStatus: status, resource: resource)
        }
        let clock = ContinuousClock()
        var attempt = 0
        var refusals = 0
        while true {
            if let known = refused.message(for: url) { throw failure(AWSError.connectionRefused, known) }
            attempt += 1
            let started = clock.now
            var error: AWSError
            do {
                var signed = headers
                if let credentials {
                    let signer = SigV4Signer(credentials: try await credentials(), region: endpoint.signingRegion, service: service.signingName)
                    signed = signer.signedHeaders(method: method, url: url, headers: headers, body: body, date: Date())
                }
                counter.increment()
                let response = try await transport.send(HTTPRequest(method: method, url: url, headers: signed, body: body))
                if (200...299).contains(response.status) { return response }
                let parsed = errorCode(response.body)
                error = failure(
                    parsed?.code ?? "HTTP\(response.status)",
                    parsed?.message ?? String(decoding: response.body.prefix(200), as: UTF8.self),
                    status: response.status)
            } catch let answered as AWSError {
                throw answered
            } catch is CancellationError {
                throw CancellationError()
            } catch let late as RequestDeadlineExceeded {
                error = failure(AWSError.requestDeadlineExceeded,
                                "no complete answer from \(url.absoluteString) within \(late.limit.secondsText) (the request deadline)")
            } catch let network as URLError {
                if Task.isCancelled { throw CancellationError() }
                if network.code == .cannotConnectToHost {
                    refusals += 1
                    let message = refusedMessage
                    if EndpointResolver.isLoopback(url) || refusals >= Self.maximumRefusals {
                        refused.record(url, message: message)
                        throw failure(AWSError.connectionRefused, message)
                    }
                    error = failure(AWSError.networkError, message)
                } else {
                    error = failure(AWSError.networkError, Self.describe(network, url: url))
                }
            }
            guard error.isRetryable, attempt < retry.maximumAttempts else { throw error }
            let delay = retry.delay(afterAttempt: attempt)
            guard budget.charge(clock.now - started + delay) else {
                error.note = budget.exhaustedNote
                throw error
            }
            try await Task.sleep(for: delay)
        }
    }

    /// `cannot connect to http://127.0.0.1:4566 (connection refused); is the endpoint
    /// running? (AWS_ENDPOINT_URL)`. libcurl, under URLSession on Linux, reports a refused
    /// connection as `NSURLErrorCannotConnectToHost` (-1004).
    private var refusedMessage: String {
        let target = "cannot connect to \(endpoint.url.absoluteString) (connection refused)"
        if let variable = endpoint.variable { return "\(target); is the endpoint running? (\(variable))" }
        return "\(target); check the network, a proxy or a firewall"
    }

    /// A network failure in words, with the endpoint: libcurl's own text when it has one.
    static func describe(_ error: URLError, url: URL) -> String {
        let endpoint = url.absoluteString
        switch error.code {
        case .timedOut: return "timed out waiting for \(endpoint) (no data within the idle timeout)"
        case .cannotFindHost, .dnsLookupFailed: return "cannot resolve the host of \(endpoint)"
        case .networkConnectionLost: return "the connection to \(endpoint) was lost"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
             .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot:
            return "TLS with \(endpoint) failed: \(error.localizedDescription)"
        default: return "\(error.localizedDescription) (\(endpoint))"
        }
    }

    // MARK: Errors

    /// `<Error><Code>…</Code><Message>…</Message></Error>` in STS and IAM answers.
    static func xmlError(_ body: [UInt8]) -> (code: String, message: String)? {
        let text = String(decoding: body, as: UTF8.self)
        guard let code = XMLText.firstElement("Code", in: text) else { return nil }
        return (code, XMLText.firstElement("Message", in: text) ?? "")
    }

    /// `{"__type": "…#Code", "message": "…"}` in JSON-protocol answers. Signature and
    /// token failures can come back as Query-style XML even from JSON services.
    static func jsonError(_ body: [UInt8]) -> (code: String, message: String)? {
        guard let answer = try? JSONDecoder().decode(JSONErrorBody.self, from: Data(body)),
              let type = answer.type ?? answer.code else { return xmlError(body) }
        let code = type.split(separator: "#").last.map(String.init) ?? type
        return (code, answer.message ?? answer.capitalizedMessage ?? "")
    }

    /// Services differ in the names: `__type` or `code`, `message` or `Message`.
    private struct JSONErrorBody: Decodable {
        var type: String?
        var code: String?
        var message: String?
        var capitalizedMessage: String?

        enum CodingKeys: String, CodingKey {
            case type = "__type", code, message, capitalizedMessage = "Message"
        }
    }
}

/// Reads single elements out of small XML answers without a full decode (error bodies).
enum XMLText {
    static func firstElement(_ name: String, in text: String) -> String? {
        guard let open = text.range(of: "<\(name)>"),
              let close = text.range(of: "</\(name)>", range: open.upperBound..<text.endIndex) else { return nil }
        return unescape(String(text[open.upperBound..<close.lowerBound]))
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}

extension AWSService {
    /// How errors name the service.
    var humanName: String {
        switch self {
        case .sts: "STS"
        case .iam: "IAM"
        case .organizations: "Organizations"
        case .sso: "SSO"
        case .s3: "S3"
        }
    }
}
