import Foundation
import Synchronization
import Testing
import TestSupport

/// Secrets never reach the home, the output or a command line: with a session token in
/// the environment, then a `credential_process` whose secret key is a marker, every AWS
/// command and a real apply (aws provider against moto) run while all command lines on
/// the machine are sampled.
@Suite(.serialized) struct SecretsEndToEndTests {
    @Test(.timeLimit(.minutes(10)))
    func noSecretLeavesTheProcess() throws {
        let scratch = try TemporaryDirectory("fleetform-secrets")
        let home = scratch.url.appendingPathComponent("home").path
        let terraform = try TerraformFixtures(in: scratch.url.appendingPathComponent("terraform"))
        let moto = try MotoServer.start()
        defer { moto.stop() }
        _ = try moto.createOrganization(memberAccounts: 2)

        let tokenMarker = "TOKENMARKER\(UInt64.random(in: 1...UInt64.max))"
        let secretMarker = "SECRETMARKER\(UInt64.random(in: 1...UInt64.max))"
        let markers = [tokenMarker, secretMarker]

        // The sampler: every process's command line, every 50 ms, while the commands run.
        let seen = Mutex<Set<String>>([])
        let sampling = Atomic<Bool>(true)
        let sampler = Thread {
            while sampling.load(ordering: .relaxed) {
                let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { Int($0) != nil } ?? []
                var lines: Set<String> = []
                for pid in pids {
                    if let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty {
                        lines.insert(String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self))
                    }
                }
                seen.withLock { $0.formUnion(lines) }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        sampler.start()

        var outputs: [String] = []
        func fleetform(_ environment: [String: String], _ arguments: String...) throws -> FleetformProcess.Result {
            let result = try FleetformProcess.run(arguments + ["--home", home], environment: environment)
            outputs.append(result.stdout + result.stderr)
            return result
        }

        // 1. Temporary credentials in the environment, with a session token.
        var withToken = terraform.awsEnvironment(endpoint: moto.endpoint)
        withToken["AWS_SESSION_TOKEN"] = tokenMarker
        #expect(try fleetform(withToken, "inventory", "discover").exitCode == 0)
        #expect(try fleetform(withToken, "preflight").exitCode == 0)
        let first = try fleetform(withToken, "apply", "--parallel", "2")
        #expect(first.exitCode == 0, "\(first.stdout)\(first.stderr)")
        #expect(try fleetform(withToken, "verify").exitCode == 0)

        // 2. A profile whose credential_process hands out the secret.
        let script = try scratch.write("credentials.sh", """
            #!/bin/sh
            printf '{"Version": 1, "AccessKeyId": "testing", "SecretAccessKey": "%s"}' '\(secretMarker)'
            """)
        chmod(script, 0o700)
        let config = try scratch.write("config", "[profile ci]\ncredential_process = \(script)\nregion = us-east-1\n")
        var withProcess = terraform.awsEnvironment(endpoint: moto.endpoint)
        withProcess["AWS_ACCESS_KEY_ID"] = nil
        withProcess["AWS_SECRET_ACCESS_KEY"] = nil
        withProcess["AWS_CONFIG_FILE"] = config
        withProcess["AWS_PROFILE"] = "ci"
        #expect(try fleetform(withProcess, "inventory", "discover").exitCode == 0)
        #expect(try fleetform(withProcess, "preflight").exitCode == 0)
        let second = try fleetform(withProcess, "apply", "--parallel", "2", "--force")
        #expect(second.exitCode == 0, "\(second.stdout)\(second.stderr)")
        #expect(try fleetform(withProcess, "verify").exitCode == 0)

        sampling.store(false, ordering: .relaxed)
        while sampler.isExecuting { Thread.sleep(forTimeInterval: 0.01) }

        for marker in markers {
            #expect(!outputs.contains { $0.contains(marker) }, "\(marker) was printed")
            #expect(!seen.withLock { $0 }.contains { $0.contains(marker) }, "\(marker) was on a command line")
        }
        #expect(seen.withLock { $0.count } > 10, "the sampler saw the processes")
        // Every file under the home: database (and its WAL), logs, workspaces, state.
        let root = URL(fileURLWithPath: home)
        var files = 0
        for case let relative as String in FileManager.default.enumerator(atPath: home) ?? .init() {
            let path = root.appendingPathComponent(relative).path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                  !relative.hasPrefix("plugin-cache"), !relative.contains("/.terraform/providers"),
                  let data = FileManager.default.contents(atPath: path) else { continue }
            files += 1
            for marker in markers {
                #expect(data.range(of: Data(marker.utf8)) == nil, "\(marker) is in \(relative)")
            }
        }
        #expect(files > 10, "the home holds the database, logs, workspaces and state")
    }
}
