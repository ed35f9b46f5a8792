import FleetformBasics
import Foundation

/// Role credentials from IAM Identity Center (SSO) for a profile that `aws sso login`
/// signed in: the cached access token (`SSOTokenCache`), exchanged at the portal's
/// `GetRoleCredentials` (`GET /federation/credentials`, the token in the
/// `x-amz-sso_bearer_token` header, unsigned) for the profile's account and role.
///
/// Two profile forms, as in the AWS CLI: `sso_session = NAME` with a
/// `[sso-session NAME]` section holding `sso_start_url` and `sso_region`, or the legacy
/// form with `sso_start_url` and `sso_region` in the profile itself. Both need
/// `sso_account_id` and `sso_role_name`. The portal's endpoint moves with
/// `AWS_ENDPOINT_URL_SSO` (or `AWS_ENDPOINT_URL`), like every other service.
struct SSOCredentials: Sendable {
    var profile: String
    var startURL: String
    var region: String
    var accountID: String
    var roleName: String
    /// What the token cache file is named after: the session name, or the start URL.
    var cacheKey: String

    static let attempts = 2

    init(profile: AWSProfile, store: ProfileStore) throws(AWSConfigurationError) {
        self.profile = profile.name
        func incomplete(_ reason: String) -> AWSConfigurationError {
            .ssoFailed(profile: profile.name, reason: reason + " Run aws configure sso --profile \(profile.name) to set it up.")
        }
        if let sessionName = profile["sso_session"] {
            guard let session = store.ssoSessions[sessionName] else {
                throw incomplete("its sso_session '\(sessionName)' has no [sso-session \(sessionName)] section in the config file.")
            }
            func setting(_ key: String) throws(AWSConfigurationError) -> String {
                guard let value = session[key], !value.isEmpty else {
                    throw incomplete("[sso-session \(sessionName)] has no \(key).")
                }
                // The legacy keys may repeat in the profile, but must then agree.
                if let own = profile[key], own != value {
                    throw incomplete("its \(key) differs from the one in [sso-session \(sessionName)].")
                }
                return value
            }
            startURL = try setting("sso_start_url")
            region = try setting("sso_region")
            cacheKey = sessionName
        } else {
            guard let url = profile["sso_start_url"], let region = profile["sso_region"] else {
                throw incomplete("it has SSO settings but neither sso_session nor both sso_start_url and sso_region.")
            }
            (startURL, self.region, cacheKey) = (url, region, url)
        }
        guard let account = profile["sso_account_id"], let role = profile["sso_role_name"] else {
            throw incomplete("it needs sso_account_id and sso_role_name.")
        }
        guard AWSRegionName.isValid(region) else {
            throw .invalidRegion(source: "sso_region of AWS profile '\(profile.name)'", value: region)
        }
        (accountID, roleName) = (account, role)
    }

    func credentials(context: CredentialContext) async throws -> AWSCredentials {
        let cache = SSOTokenCache(homeDirectory: context.homeDirectory)
        let token: SSOTokenCache.Token
        switch cache.token(forKey: cacheKey, now: context.now()) {
        case .token(let found): token = found
        case .loginRequired(let reason): throw AWSConfigurationError.ssoLoginRequired(profile: profile, reason: reason)
        }
        let endpoint = try EndpointResolver.endpoint(for: .sso, region: region, environment: context.environment)
        let url = try portalURL(endpoint.url)
        let shown = CredentialEndpoint.display(url)
        func failure(_ reason: String) -> AWSConfigurationError { .ssoFailed(profile: profile, reason: reason) }
        let response: HTTPResponse
        do {
            response = try await CredentialEndpoint.exchange(
                HTTPRequest(method: "GET", url: url, headers: ["x-amz-sso_bearer_token": token.accessToken, "Accept": "application/json"],
                            body: []),
                transport: context.transports.portal, attempts: Self.attempts, retryUnreachable: true)
        } catch let unreachable as CredentialEndpointUnreachable {
            let variable = endpoint.variable.map { " (\($0))" } ?? ""
            throw failure("cannot reach the portal at \(shown)\(variable): \(unreachable.reason).")
        }
        switch response.status {
        case 200:
            break
        case 401:
            throw AWSConfigurationError.ssoLoginRequired(profile: profile, reason: "was refused by the portal (HTTP 401: the token is invalid or expired)")
        case 403:
            throw failure("the portal refused role \(roleName) in account \(accountID) (HTTP 403): the signed-in user may not use it.")
        default:
            throw failure("the portal at \(shown) answered HTTP \(response.status).")
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(response.body)),
              let role = answer.roleCredentials, let key = role.accessKeyId, !key.isEmpty,
              let secret = role.secretAccessKey, !secret.isEmpty
        else {
            throw failure("the portal's answer holds no roleCredentials with accessKeyId and secretAccessKey.")
        }
        let expiration = role.expiration.map { Date(timeIntervalSince1970: $0 / 1000) }
        return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: role.sessionToken, expiration: expiration)
    }

    /// `<endpoint>/federation/credentials?role_name=…&account_id=…`, keeping a path the
    /// configured endpoint may have.
    private func portalURL(_ base: URL) throws(AWSConfigurationError) -> URL {
        var text = base.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        let query = "role_name=\(SigV4Encoding.encode(roleName))&account_id=\(SigV4Encoding.encode(accountID))"
        guard let url = URL(string: "\(text)/federation/credentials?\(query)") else {
            throw .ssoFailed(profile: profile, reason: "the portal URL cannot be built from \(text).")
        }
        return url
    }

    /// `{"roleCredentials": {"accessKeyId", "secretAccessKey", "sessionToken", "expiration"}}`,
    /// the expiration in milliseconds since 1970.
    private struct Answer: Decodable {
        var roleCredentials: RoleCredentials?

        struct RoleCredentials: Decodable {
            var accessKeyId: String?
            var secretAccessKey: String?
            var sessionToken: String?
            var expiration: Double?
        }
    }
}
