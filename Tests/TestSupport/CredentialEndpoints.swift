import Foundation

/// Local stand-ins (Tests/Fixtures/aws/credential_endpoints.py) for the three credential
/// endpoints no real server can provide to a test: EC2 instance metadata (IMDSv2 only),
/// container credentials (ECS / EKS Pod Identity) and the IAM Identity Center portal.
/// check_credential_endpoints.py proves with botocore that they answer like AWS, so a
/// provider that works against them works against AWS.
///
///     let keys = CredentialEndpoints.Configuration.Credentials.random()
///     let endpoints = try CredentialEndpoints.start(.init(credentials: keys, imds: .init(roleName: "fleetform-host")))
///     defer { endpoints.stop() }
///     // AWS_EC2_METADATA_SERVICE_ENDPOINT = endpoints.url
///     // AWS_CONTAINER_CREDENTIALS_FULL_URI = endpoints.containerCredentialsURL
///     // AWS_ENDPOINT_URL_SSO = endpoints.url
///     #expect(endpoints.requests(matching: "/latest/api/token") == 1)
///
/// `@unchecked Sendable` because `BackgroundProcess` is; everything stored here is a
/// constant, and `setConfiguration` replaces the file by an atomic rename.
public final class CredentialEndpoints: @unchecked Sendable {
    /// The stand-in's JSON configuration. A section left nil is absent from the file, and
    /// then that endpoint answers 404 to everything, as on a host that lacks it.
    public struct Configuration: Encodable, Sendable {
        /// What all three endpoints hand out. Only ever in the file: the command line
        /// would show the keys in process listings.
        public struct Credentials: Encodable, Sendable, Equatable {
            public var accessKeyID: String
            public var secretAccessKey: String
            public var sessionToken: String
            /// Every answer expires this long after it is given.
            public var expiresInSeconds: Int

            public init(accessKeyID: String, secretAccessKey: String, sessionToken: String, expiresInSeconds: Int = 3600) {
                self.accessKeyID = accessKeyID
                self.secretAccessKey = secretAccessKey
                self.sessionToken = sessionToken
                self.expiresInSeconds = expiresInSeconds
            }

            /// Keys unique to one test, so credentials a provider returns can only have
            /// come from this stand-in.
            public static func random(expiresInSeconds: Int = 3600) -> Credentials {
                let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
                let id = "ASIA" + String((0..<16).map { _ in alphabet.randomElement()! })
                let secret = (UUID().uuidString + UUID().uuidString).replacingOccurrences(of: "-", with: "").prefix(40)
                return Credentials(accessKeyID: id, secretAccessKey: String(secret),
                                   sessionToken: "IQoJb3JpZ2luX2Vj" + UUID().uuidString + UUID().uuidString,
                                   expiresInSeconds: expiresInSeconds)
            }

            enum CodingKeys: String, CodingKey {
                case accessKeyID = "access_key_id"
                case secretAccessKey = "secret_access_key"
                case sessionToken = "session_token"
                case expiresInSeconds = "expires_in_seconds"
            }
        }

        public struct IMDS: Encodable, Sendable, Equatable {
            /// The instance profile's role; nil is an instance without one (the role list is 404).
            public var roleName: String?

            public init(roleName: String? = "fleetform-host") {
                self.roleName = roleName
            }

            enum CodingKeys: String, CodingKey {
                case roleName = "role_name"
            }
        }

        public struct Container: Encodable, Sendable, Equatable {
            /// The exact `Authorization` header required; nil requires none (ECS task roles).
            public var authorizationToken: String?

            public init(authorizationToken: String? = nil) {
                self.authorizationToken = authorizationToken
            }

            enum CodingKeys: String, CodingKey {
                case authorizationToken = "authorization_token"
            }
        }

        /// The one role assignment the portal knows: other tokens get 401
        /// UnauthorizedException, other accounts or roles 403 ForbiddenException. An expired
        /// token is a changed `accessToken`: the portal cannot tell the two apart either.
        public struct SSO: Encodable, Sendable, Equatable {
            public var accessToken: String
            public var accountID: String
            public var roleName: String

            public init(accessToken: String, accountID: String = "123456789012", roleName: String = "Admin") {
                self.accessToken = accessToken
                self.accountID = accountID
                self.roleName = roleName
            }

            enum CodingKeys: String, CodingKey {
                case accessToken = "access_token"
                case accountID = "account_id"
                case roleName = "role_name"
            }
        }

        public var credentials: Credentials?
        public var imds: IMDS?
        public var container: Container?
        public var sso: SSO?

        public init(credentials: Credentials? = nil, imds: IMDS? = nil, container: Container? = nil, sso: SSO? = nil) {
            self.credentials = credentials
            self.imds = imds
            self.container = container
            self.sso = sso
        }

        func json() throws -> Data {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return try encoder.encode(self)
        }
    }

    public let port: Int
    /// The stand-in reads this on every request. check_credential_endpoints.py takes it
    /// as `--config` and rewrites it.
    public let configFile: URL
    public let process: BackgroundProcess
    private let directory: TemporaryDirectory

    /// `http://127.0.0.1:PORT`: the IMDS endpoint and the SSO portal endpoint both.
    public var url: String { "http://127.0.0.1:\(port)" }

    /// An `AWS_CONTAINER_CREDENTIALS_FULL_URI`; any path under `/container/` serves.
    public var containerCredentialsURL: String { "\(url)/container/creds" }

    private init(port: Int, configFile: URL, process: BackgroundProcess, directory: TemporaryDirectory) {
        self.port = port
        self.configFile = configFile
        self.process = process
        self.directory = directory
    }

    /// Starts the stand-in with `configuration` and waits until it listens. Throws when
    /// python3 or the script is missing or it does not come up within `timeout` seconds.
    public static func start(_ configuration: Configuration, timeout: Double = 30) throws -> CredentialEndpoints {
        let script = try PythonFixture.script("credential_endpoints.py")
        let directory = try TemporaryDirectory("fleetform-credential-endpoints")
        let configFile = directory.url.appendingPathComponent("config.json")
        try configuration.json().write(to: configFile, options: .atomic)
        let server = try PythonFixture.startServer(
            script, arguments: ["--config", configFile.path], directory: directory, logFile: "endpoints.log", timeout: timeout)
        return CredentialEndpoints(port: server.port, configFile: configFile, process: server.process, directory: directory)
    }

    /// Replaces the configuration; the next request sees it. Atomic, because a request
    /// that read half a file would get a 500 the test did not ask for.
    public func setConfiguration(_ configuration: Configuration) throws {
        try configuration.json().write(to: configFile, options: .atomic)
    }

    /// Everything logged: one `REQUEST <METHOD> <path> <status>` line per request, and
    /// `CONFIG …` lines for configuration problems.
    public var log: String { process.log }

    /// The `REQUEST …` lines, e.g. "REQUEST PUT /latest/api/token 200".
    public var requestLines: [String] {
        log.split(separator: "\n").filter { $0.hasPrefix("REQUEST ") }.map(String.init)
    }

    /// How many requests had a path (without its query) starting with `prefix`, e.g.
    /// "/latest/api/token", "/container/", "/federation/credentials".
    public func requests(matching prefix: String) -> Int {
        requestLines.filter { line in
            let fields = line.split(separator: " ")
            return fields.count >= 4 && fields[2].hasPrefix(prefix)
        }.count
    }

    /// The last `lines` lines of the log, for failure messages.
    public func logTail(_ lines: Int = 30) -> String {
        process.logTail(lines)
    }

    /// SIGTERM, then SIGKILL after a few seconds; waits for the exit.
    public func stop() {
        process.stop()
    }

    deinit {
        process.stop()
    }
}
