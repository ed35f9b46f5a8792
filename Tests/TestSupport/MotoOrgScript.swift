import Foundation

enum MotoOrgScript {
    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    /// Runs moto_org.py (or another fixture script) and returns its stdout; throws with
    /// its stderr when it fails. `key` signs moto_org.py's requests, for a moto that
    /// checks signatures.
    static func run(_ arguments: [String], script name: String = "moto_org.py", key: MotoAccessKey? = nil) throws -> String {
        var environment = PythonFixture.environment
        if let key {
            environment["MOTO_ORG_ACCESS_KEY_ID"] = key.accessKeyId
            environment["MOTO_ORG_SECRET_ACCESS_KEY"] = key.secretAccessKey
        }
        let outcome = try PythonFixture.run(name, arguments: arguments, environment: environment)
        guard outcome.succeeded else {
            throw TestEnvironmentError(
                "\(name) \(arguments.joined(separator: " ")) exited with status \(outcome.status):\n\(outcome.stderr)")
        }
        return outcome.stdout
    }
}
