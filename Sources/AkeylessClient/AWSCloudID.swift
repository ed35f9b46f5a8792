import AWSClient
import Foundation

/// The `cloud-id` of an `aws_iam` login: a signed, unsent `sts:GetCallerIdentity`
/// request that Akeyless sends to STS itself to learn who the caller is.
///
/// The shape is that of Akeyless's own builders (akeyless-go-cloud-id and the Python and
/// Java ones): base64 of a JSON object with `sts_request_method` in plain text and
/// `sts_request_url`, `sts_request_body`, `sts_request_headers` (header → list of
/// values) each base64. The secret access key only signs; it is never in the cloud id.
/// The session token is, as `X-Amz-Security-Token`, because STS needs it: the cloud id is
/// itself a credential for about 15 minutes and is treated like the token (never logged).
public enum AWSCloudID {
    public static let body = "Action=GetCallerIdentity&Version=2011-06-15"

    /// - Parameter region: nil signs for the global endpoint `sts.amazonaws.com`
    ///   (region us-east-1), as the Go builder does; a region uses `sts.<region>.amazonaws.com`.
    public static func make(credentials: AWSCredentials, region: String? = nil, date: Date = Date()) -> String {
        let host = region.map { "sts.\($0).amazonaws.com" } ?? "sts.amazonaws.com"
        let urlText = "https://\(host)/"
        let url = URL(string: urlText)!  // a literal host and path: always a valid URL
        let signer = SigV4Signer(credentials: credentials, region: region ?? "us-east-1", service: "sts")
        let signed = signer.signedHeaders(
            method: "POST", url: url,
            headers: ["content-type": "application/x-www-form-urlencoded; charset=utf-8"],
            body: Array(body.utf8), date: date)
        var headers: [String: [String]] = [:]
        for (name, value) in signed { headers[canonicalName(name)] = [value] }
        let object: [String: String] = [
            "sts_request_method": "POST",
            "sts_request_url": base64(urlText),
            "sts_request_body": base64(body),
            "sts_request_headers": base64(json(headers)),
        ]
        return base64(json(object))
    }

    /// `x-amz-date` → `X-Amz-Date`: how Go's `http.Header` (which the server reads the
    /// headers into) writes names.
    static func canonicalName(_ name: String) -> String {
        name.split(separator: "-", omittingEmptySubsequences: false)
            .map { $0.prefix(1).uppercased() + $0.dropFirst().lowercased() }
            .joined(separator: "-")
    }

    private static func base64(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
    }

    private static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings and lists of strings always encode.
        return String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
