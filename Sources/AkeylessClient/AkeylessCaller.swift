import AWSClient
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Sends one Akeyless operation, `POST <api-url>/<operation>` with a JSON body, and
/// retries it with exponential backoff and jitter on 429, 5xx and failed connections.
///
/// Knows nothing of tokens: the body arrives complete. It turns every failure into an
/// `AkeylessError` that leads with Akeyless's own message and has the given secrets
/// (access key, token, cloud id) removed, in case a server ever echoes them.
struct AkeylessCaller: Sendable {
    var endpoint: AkeylessEndpoint
    var transport: any HTTPTransport
    var retry: RetryPolicy
    var limiter: RequestLimiter
    var counter: AkeylessCallCounter

    /// The answer body of a 200 or 201.
    func call(_ operation: String, body: Data, secrets: [String]) async throws -> Data {
        let request = HTTPRequest(
            method: "POST", url: endpoint.url(for: operation),
            headers: ["Content-Type": "application/json", "Accept": "application/json"], body: [UInt8](body))
        var attempt = 0
        while true {
            attempt += 1
            var failure: AkeylessError
            do {
                counter.record(operation)
                let transport = self.transport
                let response = try await limiter.run { try await transport.send(request) }
                if response.status == 200 || response.status == 201 {
                    return Data(response.body)
                }
                failure = Self.error(operation: operation, status: response.status, body: response.body, secrets: secrets)
            } catch let error as CancellationError {
                throw error
            } catch {
                failure = Self.connectionError(operation: operation, url: request.url, error: error, secrets: secrets)
            }
            guard failure.isRetryable else { throw failure }
            guard attempt < retry.maximumAttempts else {
                if attempt > 1 { failure.note = "gave up after \(attempt) attempts" }
                throw failure
            }
            try await Task.sleep(for: retry.delay(afterAttempt: attempt))
        }
    }

    /// The JSONError answer (`{"error": "…"}`); a body that is not one is quoted, cut
    /// short, in its place (a proxy's HTML page, say).
    static func error(operation: String, status: Int, body: [UInt8], secrets: [String]) -> AkeylessError {
        struct JSONError: Decodable {
            var error: String?
        }
        let message: String
        if let decoded = try? JSONDecoder().decode(JSONError.self, from: Data(body)), let text = decoded.error, !text.isEmpty {
            message = text
        } else {
            let text = String(decoding: body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            message = text.isEmpty ? "HTTP \(status) without a message" : text
        }
        return AkeylessError(
            kind: AkeylessError.kind(forStatus: status), operation: operation, httpStatus: status,
            message: redacted(message, secrets))
    }

    static func connectionError(operation: String, url: URL, error: any Error, secrets: [String]) -> AkeylessError {
        let detail: String
        if let deadline = error as? RequestDeadlineExceeded {
            detail = "no answer within \(deadline.limit)"
        } else if let urlError = error as? URLError {
            detail = "\(urlError.localizedDescription) (URLError \(urlError.code.rawValue))"
        } else {
            detail = "\(error)"
        }
        return AkeylessError(
            kind: .connection, operation: operation,
            message: redacted("cannot reach \(url.absoluteString): \(detail)", secrets))
    }

    /// `text` with every secret replaced by `<redacted>`.
    static func redacted(_ text: String, _ secrets: [String]) -> String {
        secrets.filter { $0.count >= 4 }.reduce(text) { $0.replacingOccurrences(of: $1, with: "<redacted>") }
    }
}
