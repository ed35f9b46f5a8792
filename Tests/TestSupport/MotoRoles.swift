import Foundation

extension MotoServer {
    /// Creates a role in the management account that a web identity may assume and that
    /// is allowed everything; returns its ARN. `key` signs the calls (needed once moto
    /// checks signatures).
    public func createWebIdentityRole(name: String, key: MotoAccessKey? = nil) throws -> String {
        var arguments = ["--endpoint", endpoint]
        if let key { arguments += ["--access-key", key.accessKeyId, "--secret", key.secretAccessKey] }
        let output = try MotoOrgScript.run(arguments + ["web-identity-role", "--name", name], script: "moto_roles.py")
        struct Created: Decodable { var arn: String }
        return try JSONDecoder().decode(Created.self, from: Data(output.utf8)).arn
    }

    /// Lets the next `count` requests through unsigned. AssumeRoleWithWebIdentity is
    /// unsigned in AWS, but a moto 5 that checks signatures answers it with HTTP 500;
    /// every other request stays checked.
    public func allowUnsignedRequests(_ count: Int) throws {
        _ = try MotoOrgScript.run(["--endpoint", endpoint, "allow-unsigned", "--count", String(count)], script: "moto_roles.py")
    }
}
