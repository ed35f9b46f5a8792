import Crypto
import Foundation

/// Signs HTTP requests with AWS Signature Version 4, in the `Authorization` header.
///
/// Built for the services fleetform calls (STS, IAM, Organizations, which are POSTs to
/// `/`), but it implements the general algorithm for services other than S3 and is
/// tested against AWS's published SigV4 test suite, so a new path or query does not
/// silently break it. A session token is always signed (sent as `x-amz-security-token`
/// before signing), which every one of these services accepts.
public struct SigV4Signer: Sendable {
    public static let algorithm = "AWS4-HMAC-SHA256"

    public let credentials: AWSCredentials
    /// The region of the credential scope: the endpoint's signing region, which for
    /// global services (IAM, Organizations) is not the region the user configured.
    public let region: String
    /// The signing name of the service (`sts`, `iam`, `organizations`).
    public let service: String

    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// Returns the headers to send: the input headers plus `host` (if absent), `x-amz-date`,
    /// `x-amz-security-token` (when there is a session token) and `authorization`.
    ///
    /// The added names are lower-case; input headers with one of those names in another
    /// case are replaced, so a header is never sent twice. `host` is taken from `url`
    /// (with its port when the port is not the scheme's default), the way HTTP clients
    /// send it.
    public func signedHeaders(method: String, url: URL, headers: [String: String], body: [UInt8], date: Date) -> [String: String] {
        let components = URLComponents(url: url, resolvingAgainstBaseURL: true)
        return signedHeaders(
            method: method,
            path: components?.percentEncodedPath ?? "/",
            query: components?.percentEncodedQuery ?? "",
            host: Self.hostHeader(for: url),
            headers: headers, body: body, date: date)
    }

    /// `signedHeaders(method:url:…)` for a request given as its wire path and query, which
    /// is how the test suite writes requests (its paths are not all valid in a `URL`).
    func signedHeaders(
        method: String, path: String, query: String, host: String?, headers: [String: String], body: [UInt8], date: Date
    ) -> [String: String] {
        let replaced: Set<String> = ["x-amz-date", "x-amz-security-token", "authorization"]
        var result = headers.filter { !replaced.contains($0.key.lowercased()) }
        if let host, !result.keys.contains(where: { $0.lowercased() == "host" }) {
            result["host"] = host
        }
        result["x-amz-date"] = SigV4Timestamp(date).dateTime
        if let token = credentials.sessionToken {
            result["x-amz-security-token"] = token
        }
        let canonical = canonicalRequest(method: method, path: path, query: query, headers: result, body: body)
        let signature = signature(stringToSign: stringToSign(canonicalRequest: canonical, date: date), date: date)
        result["authorization"] = authorization(signedHeaders: canonical.signedHeaders, signature: signature, date: date)
        return result
    }

    // MARK: The steps, separately testable

    /// Step 1: the canonical request of a request whose headers are final (they include
    /// `host` and `x-amz-date`).
    func canonicalRequest(method: String, path: String, query: String, headers: [String: String], body: [UInt8]) -> CanonicalRequest {
        CanonicalRequest(
            method: method, path: path, query: query, headers: headers,
            payloadHash: SigV4Encoding.hex(SHA256.hash(data: body)))
    }

    /// Step 2: algorithm, timestamp, credential scope and the hash of the canonical request.
    func stringToSign(canonicalRequest: CanonicalRequest, date: Date) -> String {
        let timestamp = SigV4Timestamp(date)
        return [
            Self.algorithm,
            timestamp.dateTime,
            credentialScope(timestamp),
            SigV4Encoding.hex(SHA256.hash(data: Array(canonicalRequest.text.utf8))),
        ].joined(separator: "\n")
    }

    /// Step 3: the hex HMAC-SHA256 of the string to sign with the key derived for the
    /// day, region and service.
    func signature(stringToSign: String, date: Date) -> String {
        let key = signingKey(day: SigV4Timestamp(date).day)
        return SigV4Encoding.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
    }

    /// Step 4: the `Authorization` header value.
    func authorization(signedHeaders: String, signature: String, date: Date) -> String {
        "\(Self.algorithm) Credential=\(credentials.accessKeyID)/\(credentialScope(SigV4Timestamp(date))), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
    }

    private func credentialScope(_ timestamp: SigV4Timestamp) -> String {
        "\(timestamp.day)/\(region)/\(service)/aws4_request"
    }

    /// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region), service), "aws4_request").
    private func signingKey(day: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key))
        }
        return key
    }

    /// The `Host` header an HTTP client sends for `url`: lower-case host, IPv6 addresses in
    /// brackets, and the port only when it is not the scheme's default.
    static func hostHeader(for url: URL) -> String? {
        guard var host = url.host?.lowercased(), !host.isEmpty else { return nil }
        if host.contains(":"), !host.hasPrefix("[") { host = "[\(host)]" }
        let scheme = url.scheme?.lowercased()
        if let port = url.port, !(scheme == "https" && port == 443), !(scheme == "http" && port == 80) {
            host += ":\(port)"
        }
        return host
    }
}
