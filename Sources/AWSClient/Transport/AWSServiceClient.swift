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
/// failures, and turns error answers into `AWSError`s.
struct AWSServiceClient: Sendable {
    var service: AWSService
    var endpoint: URL
    var signingRegion: String
    var credentials: @Sendable () async throws -> AWSCredentials
    var transport: any HTTPTransport
    var retry: RetryPolicy
    var counter: RequestCounter

    /// The Query protocol (STS, IAM): a form-encoded POST answered with XML.
    func query(_ action: String, version: String, parameters: [(String, String)] = []) async throws -> [UInt8] {
        let pairs = [("Action", action), ("Version", version)] + parameters
        let body = pairs.map { "\(Self.formEncode($0.0))=\(Self.formEncode($0.1))" }.joined(separator: "&")
        let response = try await send(
            operation: action,
            headers: ["content-type": "application/x-www-form-urlencoded; charset=utf-8"],
            body: Array(body.utf8),
            errorCode: Self.xmlError)
        return response.body
    }

    /// The JSON 1.1 protocol (Organizations): a JSON POST naming the operation in a header.
    func json(_ operation: String, targetPrefix: String, body: JSONValue) async throws -> [UInt8] {
        let response = try await send(
            operation: operation,
            headers: ["content-type": "application/x-amz-json-1.1", "x-amz-target": "\(targetPrefix).\(operation)"],
            body: Array(body.serialized().utf8),
            errorCode: Self.jsonError)
        return response.body
    }

    private func send(
        operation: String, headers: [String: String], body: [UInt8],
        errorCode: ([UInt8]) -> (code: String, message: String)?
    ) async throws -> HTTPResponse {
        var attempt = 0
        while true {
            attempt += 1
            let error: AWSError
            do {
                let signer = SigV4Signer(credentials: try await credentials(), region: signingRegion, service: service.rawValue)
                let signed = signer.signedHeaders(method: "POST", url: endpoint, headers: headers, body: body, date: Date())
                counter.increment()
                let response = try await transport.send(HTTPRequest(method: "POST", url: endpoint, headers: signed, body: body))
                if (200...299).contains(response.status) { return response }
                let parsed = errorCode(response.body)
                error = AWSError(
                    service: service.humanName, operation: operation,
                    code: parsed?.code ?? "HTTP\(response.status)",
                    message: parsed?.message ?? String(decoding: response.body.prefix(200), as: UTF8.self),
                    httpStatus: response.status)
            } catch let failure as AWSError {
                throw failure
            } catch is CancellationError {
                throw CancellationError()
            } catch let failure as URLError {
                error = AWSError(service: service.humanName, operation: operation, code: "NetworkError",
                                 message: "\(failure.localizedDescription) (\(endpoint.absoluteString))")
            } catch {
                throw error
            }
            guard error.isRetryable, attempt < retry.maximumAttempts else { throw error }
            try await Task.sleep(for: retry.delay(afterAttempt: attempt))
        }
    }

    // MARK: Encoding and errors

    /// RFC 3986 percent-encoding of everything but the unreserved characters, as SigV4 expects.
    static func formEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                 UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    /// `<Error><Code>…</Code><Message>…</Message></Error>` in STS and IAM answers.
    static func xmlError(_ body: [UInt8]) -> (code: String, message: String)? {
        let text = String(decoding: body, as: UTF8.self)
        guard let code = XMLText.firstElement("Code", in: text) else { return nil }
        return (code, XMLText.firstElement("Message", in: text) ?? "")
    }

    /// `{"__type": "…#Code", "message": "…"}` in JSON-protocol answers. Signature and
    /// token failures can come back as Query-style XML even from JSON services.
    static func jsonError(_ body: [UInt8]) -> (code: String, message: String)? {
        guard case .object(let object)? = try? JSONParser.parse(body),
              case .string(let type)? = object["__type"] ?? object["code"] else { return xmlError(body) }
        let code = type.split(separator: "#").last.map(String.init) ?? type
        var message = ""
        if case .string(let text)? = object["message"] ?? object["Message"] { message = text }
        return (code, message)
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
        }
    }
}
