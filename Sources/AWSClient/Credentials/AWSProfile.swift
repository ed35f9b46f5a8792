/// One named profile's settings (keys lower-case), with the typed reads the credential
/// chain needs. Empty values count as unset, as in the AWS CLI.
struct AWSProfile: Sendable, Equatable {
    var name: String
    var settings: [String: String]

    subscript(key: String) -> String? {
        guard let value = settings[key], !value.isEmpty else { return nil }
        return value
    }

    /// `aws_access_key_id` + `aws_secret_access_key` (+ `aws_session_token`), or nil when
    /// the profile has no access key. Half a key pair is a mistake worth reporting.
    func staticCredentials() throws(AWSConfigurationError) -> AWSCredentials? {
        switch (self["aws_access_key_id"], self["aws_secret_access_key"]) {
        case (nil, nil):
            return nil
        case (let key?, let secret?):
            return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: self["aws_session_token"])
        case (nil, _):
            throw .invalidProfile(name: name, reason: "aws_secret_access_key is set but aws_access_key_id is not.")
        case (_, nil):
            throw .invalidProfile(name: name, reason: "aws_access_key_id is set but aws_secret_access_key is not.")
        }
    }

    /// Whether the profile assumes its role with other credentials (`source_profile` or
    /// `credential_source`); with a `web_identity_token_file` the token is the credential.
    var assumesRole: Bool {
        self["role_arn"] != nil && self["web_identity_token_file"] == nil
    }

    /// Whether the profile signs in through IAM Identity Center.
    var usesSSO: Bool {
        self["sso_session"] != nil || self["sso_start_url"] != nil || self["sso_account_id"] != nil
    }
}
