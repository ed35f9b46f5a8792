import Foundation

/// What `moto_org.py create` made: the organization's management account and its members.
public struct MotoOrganization: Decodable, Sendable {
    public struct Account: Decodable, Sendable {
        public var id: String
        public var name: String
        public var email: String
    }

    public var managementAccountId: String
    public var accounts: [Account]
}

extension MotoServer {
    /// Creates the organization (moto's default account becomes its management account)
    /// and `memberAccounts` member accounts, each with `OrganizationAccountAccessRole`.
    public func createOrganization(memberAccounts: Int, namePrefix: String = "member") throws -> MotoOrganization {
        let output = try MotoOrgScript.run(["--endpoint", endpoint, "create", "--count", String(memberAccounts), "--name-prefix", namePrefix])
        return try MotoOrgScript.decoder.decode(MotoOrganization.self, from: Data(output.utf8))
    }
}
