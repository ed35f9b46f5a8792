import Foundation
import Testing
import TestSupport

/// No secret reaches the disk, the output or a command line: discover, preflight,
/// apply (real terraform and the real aws provider, against moto) and verify, with a
/// session token from the environment and a secret key and token from a profile's
/// `credential_process`, each a unique marker.
///
/// Costly like `AWSEndToEndTests`: three member accounts, each applied once.
@Suite(.serialized) struct SecretsEndToEndTests {
    @Test(.timeLimit(.minutes(10)))
    func secretsNeverReachTheHomeTheOutputOrACommandLine() throws {
        let scratch = try TemporaryDirectory("fleetform-secrets")
        let home = scratch.url.appendingPathComponent("home")
        let terraform = try TerraformFixtures(in: scratch.url.appendingPathComponent("terraform"))
        let moto = try MotoServer.start()
        defer { moto.stop() }
        let organization = try moto.createOrganization(memberAccounts: 3)
        let members = organization.accounts.map(\.id)
        try #require(members.count == 3)

        let unique = { UUID().uuidString.replacingOccurrences(of: "-", with: "") }
        let environmentToken = "FFENVTOKEN\(unique())"
        let processSecret = "FFPROCSECRET\(unique())"
        let processToken = "FFPROCTOKEN\(unique())"
        let markers = [environmentToken, processSecret, processToken]

        // The credential document lives outside the home; the command that prints it
        // names only its path, so no marker is on a command line by construction.
        let credentials = try scratch.write("aws/credentials.json", """
            {"Version": 1, "AccessKeyId": "AKIAFLEETFORMPROC", "SecretAccessKey": "\(processSecret)", "SessionToken": "\(processToken)"}
            """)
        let config = try scratch.write("aws/config", "[profile ci]\ncredential_process = cat '\(credentials)'\nregion = us-east-1\n")

        var withToken = terraform.awsEnvironment(endpoint: moto.endpoint)
        withToken["AWS_SESSION_TOKEN"] = environmentToken
        withToken["HOME"] = scratch.path
        var withProfile = withToken
        withProfile["AWS_ACCESS_KEY_ID"] = nil
        withProfile["AWS_SECRET_ACCESS_KEY"] = nil
        withProfile["AWS_SESSION_TOKEN"] = nil
        withProfile["AWS_CONFIG_FILE"] = config
        withProfile["AWS_PROFILE"] = "ci"

        let sampler = CommandLineSampler(markers: markers)
        var outputs: [(String, FleetformProcess.Result)] = []
        func fleetform(_ environment: [String: String], _ arguments: String...) throws -> FleetformProcess.Result {
            let result = try FleetformProcess.run(arguments + ["--home", home.path], environment: environment)
            outputs.append((arguments.joined(separator: " "), result))
            return result
        }
        let discover = try fleetform(withToken, "inventory", "discover")
        let preflight = try fleetform(withProfile, "preflight")
        let firstApply = try fleetform(withToken, "apply", "--parallel", "2", "--account", members[0], "--account", members[1])
        let secondApply = try fleetform(withProfile, "apply", "--parallel", "2")
        let verifyWithProfile = try fleetform(withProfile, "verify")
        let verifyWithToken = try fleetform(withToken, "verify")
        let sampled = sampler.stop()

        // The commands did their work, so the secrets were really used.
        #expect(discover.exitCode == 0, "\(discover.stderr)")
        #expect(preflight.exitCode == 0, "\(preflight.stdout)\(preflight.stderr)")
        #expect(preflight.stdout.contains("preflight: 3 of 3 accounts can be entered"), "\(preflight.stdout)")
        #expect(firstApply.exitCode == 0, "\(firstApply.stdout)\(firstApply.stderr)")
        #expect(secondApply.exitCode == 0, "\(secondApply.stdout)\(secondApply.stderr)")
        #expect(verifyWithProfile.exitCode == 0, "\(verifyWithProfile.stdout)\(verifyWithProfile.stderr)")
        #expect(verifyWithProfile.stdout.contains("3 accounts: 3 as recorded"), "\(verifyWithProfile.stdout)")
        #expect(verifyWithToken.exitCode == 0, "\(verifyWithToken.stdout)\(verifyWithToken.stderr)")
        for account in members {
            #expect(try moto.inspectAccount(account).role.exists, "\(account) was not onboarded")
        }

        // 1. Output of every command.
        for (command, result) in outputs {
            for marker in markers {
                #expect(!result.stdout.contains(marker), "\(command) printed a secret on stdout")
                #expect(!result.stderr.contains(marker), "\(command) printed a secret on stderr")
            }
        }

        // 2. Every file under the home: the database, logs, workspaces, state, plugin cache.
        var files = 0
        var names: [String] = []
        let walker = FileManager.default.enumerator(at: home, includingPropertiesForKeys: [.isRegularFileKey, .isSymbolicLinkKey])
        while let url = walker?.nextObject() as? URL {
            let values = try url.resourceValues(forKeys: [.isRegularFileKey, .isSymbolicLinkKey])
            guard values.isRegularFile == true, values.isSymbolicLink != true else { continue }
            guard let data = FileManager.default.contents(atPath: url.path) else {
                Issue.record("cannot read \(url.path)")
                continue
            }
            files += 1
            names.append(url.lastPathComponent)
            let bytes = [UInt8](data)
            for marker in markers where bytes.contains(subsequence: Array(marker.utf8)) {
                Issue.record("\(url.path.dropFirst(home.path.count)) holds a secret")
            }
        }
        #expect(names.contains("fleetform.sqlite"), "\(names)")
        #expect(names.contains("terraform.tfstate"), "\(names)")
        #expect(names.filter { $0.hasSuffix(".log") }.count >= 3, "\(names)")
        #expect(files > 10)

        // 3. Every command line of every process while the commands ran.
        #expect(sampled.hits.isEmpty, "secrets on command lines: \(sampled.hits)")
        #expect(sampled.samples > 20)
        #expect(sampled.programs.contains("terraform"), "the sampler never saw terraform: \(sampled.programs.sorted())")
        #expect(sampled.programs.contains { $0.hasPrefix("terraform-provider-aws") }, "\(sampled.programs.sorted())")
    }
}
