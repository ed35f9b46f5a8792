import Foundation

/// Real terraform with the real `hashicorp/aws` provider, offline: the provider comes
/// from an unpacked filesystem mirror (env `FLEETFORM_TF_PROVIDER_MIRROR`, default
/// `/opt/tf-plugins`), named in a `TF_CLI_CONFIG_FILE` this value writes.
///
///     let terraform = try TerraformFixtures(in: scratch.url)
///     let env = terraform.awsEnvironment(endpoint: moto.endpoint)
public struct TerraformFixtures: Sendable {
    public static let awsProviderVersion = "5.100.0"
    public static let mirrorVariable = "FLEETFORM_TF_PROVIDER_MIRROR"
    public static let defaultMirror = "/opt/tf-plugins"

    /// The `terraform` on PATH.
    public let terraform: URL
    /// The filesystem mirror holding `registry.terraform.io/hashicorp/aws/<version>/<platform>/`.
    public let mirror: URL
    /// The CLI configuration written for the tests.
    public let cliConfigFile: URL
    /// `plugin_cache_dir` of that configuration (created).
    public let pluginCacheDirectory: URL

    /// Checks terraform and the provider mirror and writes `terraformrc` and
    /// `plugin-cache/` into `directory` (created if needed). Throws, naming what is
    /// missing, when terraform is not on PATH or the mirror lacks the aws provider.
    public init(in directory: URL, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        terraform = try ExecutableSearch.require(
            "terraform", hint: "install Terraform 1.5 or later (this machine image carries 1.11)")
        mirror = try Self.providerMirror(environment: environment)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        pluginCacheDirectory = directory.appendingPathComponent("plugin-cache", isDirectory: true)
        try FileManager.default.createDirectory(at: pluginCacheDirectory, withIntermediateDirectories: true)
        cliConfigFile = directory.appendingPathComponent("terraformrc")
        let config = """
            provider_installation {
              filesystem_mirror {
                path    = \(Self.hclString(mirror.path))
                include = ["registry.terraform.io/hashicorp/*"]
              }
              direct {
                exclude = ["registry.terraform.io/hashicorp/*"]
              }
            }
            plugin_cache_dir = \(Self.hclString(pluginCacheDirectory.path))

            """
        try Data(config.utf8).write(to: cliConfigFile, options: .atomic)
    }

    /// The provider mirror from `FLEETFORM_TF_PROVIDER_MIRROR` (default `/opt/tf-plugins`),
    /// checked to hold the aws provider for this platform.
    public static func providerMirror(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        let configured = environment[mirrorVariable].flatMap { $0.isEmpty ? nil : $0 }
        let mirror = URL(fileURLWithPath: configured ?? defaultMirror, isDirectory: true)
        let providerDirectory = mirror.appendingPathComponent(
            "registry.terraform.io/hashicorp/aws/\(awsProviderVersion)/\(platform)", isDirectory: true)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: providerDirectory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            let source = configured == nil ? "the default \(defaultMirror) (set \(mirrorVariable) to use another)" : "\(mirrorVariable)"
            throw TestEnvironmentError(
                "the hashicorp/aws \(awsProviderVersion) provider mirror is missing: \(providerDirectory.path) does not exist; "
                    + "the mirror directory comes from \(source)")
        }
        let binaries = (try? FileManager.default.contentsOfDirectory(atPath: providerDirectory.path)) ?? []
        guard binaries.contains(where: { $0.hasPrefix("terraform-provider-aws") }) else {
            throw TestEnvironmentError("the provider mirror \(providerDirectory.path) holds no terraform-provider-aws binary")
        }
        return mirror
    }

    /// Terraform's name of this machine's platform, e.g. `linux_amd64`.
    public static var platform: String {
        #if os(Linux)
        let os = "linux"
        #elseif os(macOS)
        let os = "darwin"
        #else
        let os = "unknown"
        #endif
        #if arch(x86_64)
        let arch = "amd64"
        #elseif arch(arm64)
        let arch = "arm64"
        #else
        let arch = "unknown"
        #endif
        return "\(os)_\(arch)"
    }

    /// What a test passes to fleetform (or terraform) so that terraform installs the
    /// provider from the mirror and every AWS call goes to `endpoint` (moto, or a fault
    /// proxy in front of it) with dummy credentials and no shared config.
    public func awsEnvironment(endpoint: String) -> [String: String] {
        [
            "TF_CLI_CONFIG_FILE": cliConfigFile.path,
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        ]
    }

    /// A quoted HCL string: quotes and backslashes escaped, `${` and `%{` kept literal.
    static func hclString(_ text: String) -> String {
        let escaped = text
            .replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "${", with: "$${")
            .replacingOccurrences(of: "%{", with: "%%{")
        return "\"" + escaped + "\""
    }
}
