import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A credential endpoint that gave no HTTP answer at all, in words for an error message.
struct CredentialEndpointUnreachable: Error, Sendable {
    var reason: String
}

/// Small HTTP exchanges with the endpoints that hand out credentials (the container
/// agent, IMDS, the SSO portal): a few attempts, and failures described without any
/// response body, since bodies here are made of secrets.
enum CredentialEndpoint {
    /// The answer, of any status, after retrying 5xx and 429 answers (and, when
    /// `retryUnreachable`, failed connections) up to `attempts` times with `delay` between.
    /// Throws `CredentialEndpointUnreachable` when the last attempt got no answer.
    static func exchange(
        _ request: HTTPRequest, transport: any HTTPTransport, attempts: Int, delay: Duration = .milliseconds(200),
        retryUnreachable: Bool
    ) async throws -> HTTPResponse {
        var attempt = 0
        while true {
            attempt += 1
            do {
                let response = try await transport.send(request)
                let transient = response.status >= 500 || response.status == 429
                if !transient || attempt >= attempts { return response }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                if Task.isCancelled { throw CancellationError() }
                guard retryUnreachable, attempt < attempts else {
                    throw CredentialEndpointUnreachable(reason: describe(error))
                }
            }
            try await Task.sleep(for: delay)
        }
    }

    /// `connection refused`, `no answer within 1 s`, …
    static func describe(_ error: any Error) -> String {
        switch error {
        case let late as RequestDeadlineExceeded:
            return "no answer within \(late.limit.secondsText)"
        case let network as URLError:
            switch network.code {
            case .cannotConnectToHost: return "connection refused"
            case .timedOut: return "timed out"
            case .cannotFindHost, .dnsLookupFailed: return "cannot resolve the host"
            case .networkConnectionLost: return "the connection was lost"
            case .notConnectedToInternet: return "no network"
            default: return network.localizedDescription
            }
        default:
            return "\(error)"
        }
    }

    /// `url` without its query (which may carry an account ID and role, harmless, but
    /// an endpoint is named best by scheme, host, port and path).
    static func display(_ url: URL) -> String {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return url.absoluteString }
        components.query = nil
        components.user = nil
        components.password = nil
        return components.string ?? url.absoluteString
    }
}

/// The JSON the container agent and IMDS answer with:
/// `{"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}` (IMDS adds `"Code": "Success"`).
struct MetadataCredentialsDocument: Decodable {
    var code: String?
    var accessKeyId: String?
    var secretAccessKey: String?
    var token: String?
    var expiration: String?

    enum CodingKeys: String, CodingKey {
        case code = "Code", accessKeyId = "AccessKeyId", secretAccessKey = "SecretAccessKey", token = "Token"
        case expiration = "Expiration"
    }

    /// The credentials, or a reason (quoting none of the document) why there are none.
    static func credentials(from body: [UInt8], now: Date) -> Result<AWSCredentials, ReasonText> {
        guard let document = try? JSONDecoder().decode(Self.self, from: Data(body)) else {
            return .failure(ReasonText("the answer is not a JSON credentials document"))
        }
        if let code = document.code, code != "Success" {
            return .failure(ReasonText("the answer's Code is \(AWSConfigurationError.quoted(code)), not \"Success\""))
        }
        guard let key = document.accessKeyId, !key.isEmpty, let secret = document.secretAccessKey, !secret.isEmpty else {
            return .failure(ReasonText("the answer has no AccessKeyId and SecretAccessKey"))
        }
        var expiration: Date?
        if let text = document.expiration {
            guard let date = CredentialProcess.parseTimestamp(text) else {
                return .failure(ReasonText("the answer's Expiration is not an ISO 8601 timestamp"))
            }
            guard date > now else { return .failure(ReasonText("it handed out credentials that expired at \(text)")) }
            expiration = date
        }
        return .success(AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: document.token, expiration: expiration))
    }
}

/// A reason for an error message, as an `Error` so it can travel in a `Result`.
struct ReasonText: Error, Sendable {
    var text: String
    init(_ text: String) { self.text = text }
}
