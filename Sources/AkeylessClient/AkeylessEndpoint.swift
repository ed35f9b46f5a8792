import Foundation

/// The API URL every operation is posted under: `<url>/<operation>`.
///
/// Resolved as the `--akeyless-url` parameter, else `AKEYLESS_API_URL`, else the public
/// API. A gateway's `/api/v2` URL works the same way, which is why the operation is
/// appended to the path instead of replacing it.
public struct AkeylessEndpoint: Sendable, Equatable, CustomStringConvertible {
    public static let defaultURL = "https://api.akeyless.io"
    public static let environmentVariable = "AKEYLESS_API_URL"

    public let url: URL

    /// - Throws: `AkeylessError` (configuration) when the URL is not an absolute
    ///   http(s) URL without query or user info.
    public init(_ text: String) throws {
        var trimmed = text.trimmingCharacters(in: .whitespaces)
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let components = URLComponents(string: trimmed),
              let scheme = components.scheme?.lowercased(), scheme == "https" || scheme == "http",
              let host = components.host, !host.isEmpty,
              components.query == nil, components.fragment == nil,
              components.user == nil, components.password == nil,
              let url = components.url
        else {
            throw AkeylessError(
                kind: .configuration, operation: nil,
                message: "the Akeyless API URL \(AkeylessError.oneLine(text)) is not an http(s) URL like \(Self.defaultURL)")
        }
        self.url = url
    }

    /// `parameter`, else `AKEYLESS_API_URL` from `environment`, else the public API.
    /// Empty values count as unset.
    public static func resolve(parameter: String?, environment: [String: String]) throws -> AkeylessEndpoint {
        if let parameter, !parameter.isEmpty { return try AkeylessEndpoint(parameter) }
        if let value = environment[environmentVariable], !value.isEmpty { return try AkeylessEndpoint(value) }
        return try AkeylessEndpoint(defaultURL)
    }

    /// `<url>/<operation>`.
    public func url(for operation: String) -> URL {
        url.appendingPathComponent(operation)
    }

    public var description: String { url.absoluteString }
}
