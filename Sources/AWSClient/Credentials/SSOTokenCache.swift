import Crypto
import Foundation

/// The access tokens `aws sso login` leaves in `~/.aws/sso/cache/`, one JSON file per
/// sign-in named by the SHA-1 (hex) of the `sso_session` name, or of the start URL for
/// a legacy profile without `sso_session`.
///
/// Read only. The SDKs also refresh a token that is about to expire through SSO-OIDC
/// `CreateToken` with the cached refresh token; fleetform does not: a token past its
/// expiry asks the user to sign in again, which `aws sso login` does in a browser.
struct SSOTokenCache: Sendable {
    var directory: URL

    init(homeDirectory: String) {
        directory = URL(fileURLWithPath: homeDirectory).appendingPathComponent(".aws/sso/cache", isDirectory: true)
    }

    struct Token: Sendable {
        var accessToken: String
        var expiresAt: Date
    }

    enum Lookup: Sendable {
        case token(Token)
        /// What is wrong, phrased to follow "IAM Identity Center sign-in of profile 'x' …".
        case loginRequired(String)
    }

    /// `<directory>/<sha1 hex of key>.json`.
    func file(forKey key: String) -> URL {
        let digest = Insecure.SHA1.hash(data: Data(key.utf8))
        let hex = digest.map { String(format: "%02x", $0) }.joined()
        return directory.appendingPathComponent("\(hex).json")
    }

    func token(forKey key: String, now: Date) -> Lookup {
        let path = file(forKey: key).path
        guard let data = FileManager.default.contents(atPath: path) else {
            return .loginRequired("has no cached token (no \(path))")
        }
        guard let cached = try? JSONDecoder().decode(CachedToken.self, from: data),
              let accessToken = cached.accessToken, !accessToken.isEmpty, let text = cached.expiresAt
        else {
            return .loginRequired("has an unusable cached token (\(path) lacks accessToken or expiresAt)")
        }
        guard let expiresAt = Self.parseExpiry(text) else {
            return .loginRequired("has a cached token whose expiresAt is not a timestamp (\(path))")
        }
        guard expiresAt > now else {
            return .loginRequired("expired at \(expiresAt.formatted(.iso8601))")
        }
        return .token(Token(accessToken: accessToken, expiresAt: expiresAt))
    }

    /// ISO 8601; the AWS CLI v2 also writes `2019-11-14T04:05:45UTC`.
    static func parseExpiry(_ text: String) -> Date? {
        let normalised = text.hasSuffix("UTC") ? String(text.dropLast(3)) + "Z" : text
        return CredentialProcess.parseTimestamp(normalised)
    }

    private struct CachedToken: Decodable {
        var accessToken: String?
        var expiresAt: String?
    }
}
