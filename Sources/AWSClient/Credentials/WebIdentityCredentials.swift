import Foundation

/// Credentials for a role in exchange for an OIDC token in a file: GitHub Actions and
/// other CI runners, EKS service accounts (IRSA).
///
/// Configured by `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN` (+ `AWS_ROLE_SESSION_NAME`)
/// or by a profile's `web_identity_token_file` + `role_arn` (+ `role_session_name`); as in
/// botocore, each variable wins over its profile key. The token file is read on every
/// call, never kept: EKS rotates it in place, and a refresh an hour into a run must
/// send the current token.
struct WebIdentityCredentials: Sendable {
    var tokenFile: String
    /// Where `tokenFile` came from, for errors: the variable or the profile key.
    var tokenFileSetting: String
    var roleARN: String
    var sessionName: String?

    /// The configuration from `environment` (nil for a source profile, which only its own
    /// keys configure) and `profile`; nil when neither names a token file.
    init?(environment: [String: String]?, profile: AWSProfile?) throws(AWSConfigurationError) {
        func variable(_ name: String) -> String? {
            guard let value = environment?[name], !value.isEmpty else { return nil }
            return value
        }
        let profileSetting = profile.map { "web_identity_token_file of AWS profile '\($0.name)'" } ?? ""
        if let file = variable("AWS_WEB_IDENTITY_TOKEN_FILE") {
            (tokenFile, tokenFileSetting) = (file, "AWS_WEB_IDENTITY_TOKEN_FILE")
        } else if let file = profile?["web_identity_token_file"] {
            (tokenFile, tokenFileSetting) = (file, profileSetting)
        } else {
            return nil
        }
        guard let role = variable("AWS_ROLE_ARN") ?? profile?["role_arn"] else {
            let missing = tokenFileSetting == "AWS_WEB_IDENTITY_TOKEN_FILE"
                ? "AWS_ROLE_ARN is not set" + (profile.map { ", nor role_arn in AWS profile '\($0.name)'" } ?? "")
                : "role_arn is not set in AWS profile '\(profile!.name)'"
            throw .webIdentity(setting: tokenFileSetting, problem: "a token file is configured but no role to assume: \(missing).")
        }
        roleARN = role
        sessionName = variable("AWS_ROLE_SESSION_NAME") ?? profile?["role_session_name"]
    }

    func credentials(context: CredentialContext) async throws -> AWSCredentials {
        let token = try readToken()
        return try await context.assumeRoleWithWebIdentity(
            roleARN, sessionName ?? context.defaultSessionName, token, context.stsRegion)
    }

    /// The token, trimmed; errors name the file and the setting that chose it, never the token.
    func readToken() throws(AWSConfigurationError) -> String {
        func problem(_ text: String) -> AWSConfigurationError {
            .webIdentity(setting: tokenFileSetting, problem: text)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: tokenFile, isDirectory: &isDirectory) else {
            throw problem("the token file \(tokenFile) does not exist; fix the path or unset \(tokenFileSetting) to use other credentials.")
        }
        guard !isDirectory.boolValue else { throw problem("\(tokenFile) is a directory, not a token file.") }
        guard let handle = FileHandle(forReadingAtPath: tokenFile) else {
            throw problem("the token file \(tokenFile) cannot be read (permission denied).")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.readToEnd() ?? Data()
        } catch {
            throw problem("the token file \(tokenFile) cannot be read: \(error.localizedDescription).")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw problem("the token file \(tokenFile) is empty.") }
        return token
    }
}
