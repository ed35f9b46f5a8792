import AWSClient
import Foundation

/// The Akeyless operations fleetform uses, each a `POST <api-url>/<operation>` whose
/// JSON body carries the client's token.
///
/// One client holds one token (see `AkeylessTokenStore`): logged in lazily, renewed once
/// when a call is refused with 401 (the token expired), shared by concurrent callers.
/// Calls are retried on throttling and server failures and at most `concurrency` are on
/// the wire at once. Get operations answer nil for a missing item (HTTP 404), deletes
/// answer false; every other failure throws an `AkeylessError`.
///
/// A 404 also comes back for an operation the server does not know (an old gateway),
/// which then reads as "missing"; the error text of a write still says which.
public final class AkeylessAPI: Sendable {
    public static let defaultConcurrency = 8
    /// 8 attempts, 200 ms base, 5 s cap: a throttled sync slows down rather than fails
    /// (at 20 % throttled answers, one call in 390,000 still fails, against one in 3,000
    /// with 5 attempts: a 1,000-account sync makes 2,000 calls), and a dead API fails
    /// within about 20 s.
    public static let defaultRetry = RetryPolicy(maximumAttempts: 8, base: .milliseconds(200), cap: .seconds(5))

    public let endpoint: AkeylessEndpoint
    public let login: AkeylessLogin
    public let counter: AkeylessCallCounter
    /// Calls on the wire at once, at most.
    public let concurrency: Int
    private let caller: AkeylessCaller
    private let tokens: AkeylessTokenStore

    public init(
        endpoint: AkeylessEndpoint, login: AkeylessLogin, transport: any HTTPTransport = URLSessionTransport(),
        retry: RetryPolicy = defaultRetry, concurrency: Int = defaultConcurrency, counter: AkeylessCallCounter = AkeylessCallCounter()
    ) {
        self.endpoint = endpoint
        self.login = login
        self.counter = counter
        self.concurrency = concurrency
        let caller = AkeylessCaller(
            endpoint: endpoint, transport: transport, retry: retry, limiter: RequestLimiter(limit: concurrency), counter: counter)
        self.caller = caller
        tokens = AkeylessTokenStore { try await Self.authenticate(login, caller) }
    }

    /// A client configured the way the command line is: the URL from `url`
    /// (`--akeyless-url`), else `AKEYLESS_API_URL`, else the public API; the login from
    /// `accessType` (`--akeyless-access-type`), else `AKEYLESS_ACCESS_TYPE`, and the
    /// `AKEYLESS_ACCESS_*` variables (see `AkeylessLogin.resolve`).
    public static func fromEnvironment(
        url: String? = nil, accessType: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment,
        awsCredentials: (@Sendable () async throws -> AWSCredentials)? = nil, stsRegion: String? = nil,
        transport: any HTTPTransport = URLSessionTransport(), retry: RetryPolicy = defaultRetry,
        concurrency: Int = defaultConcurrency
    ) throws -> AkeylessAPI {
        AkeylessAPI(
            endpoint: try AkeylessEndpoint.resolve(parameter: url, environment: environment),
            login: try AkeylessLogin.resolve(
                accessType: accessType, environment: environment, awsCredentials: awsCredentials, stsRegion: stsRegion),
            transport: transport, retry: retry, concurrency: concurrency)
    }

    /// Successful `auth` calls so far: 1 after any number of calls with one token.
    public var logins: Int {
        get async { await tokens.logins }
    }

    /// Logs in now unless the client holds a token: a preflight that finds wrong
    /// credentials before any account is touched.
    public func authenticate() async throws {
        _ = try await tokens.current()
    }

    // MARK: Targets

    /// `target-get-details`; nil when there is no target of that name.
    public func awsTarget(named name: String) async throws -> AkeylessAWSTarget? {
        do {
            let answer = try await authorized("target-get-details", NameBody(name: name), as: TargetDetailsAnswer.self)
            return answer.target(requestedName: name)
        } catch let error as AkeylessError where error.kind == .notFound {
            return nil
        }
    }

    /// `target-create-aws`; the new target's id, when Akeyless says it. Throws a
    /// `.conflict` error when the name is taken.
    @discardableResult
    public func createAWSTarget(_ spec: AkeylessAWSTargetSpec) async throws -> Int? {
        try await authorized("target-create-aws", TargetAWSBody(spec), as: TargetWriteAnswer.self).targetID
    }

    /// `target-update-aws`: sets every field of `spec` (and renames when `newName` is given).
    @discardableResult
    public func updateAWSTarget(_ spec: AkeylessAWSTargetSpec, newName: String? = nil) async throws -> Int? {
        var body = TargetAWSBody(spec)
        body.newName = newName
        return try await authorized("target-update-aws", body, as: TargetWriteAnswer.self).targetID
    }

    /// `target-delete`; false when there was no such target (already gone is fine).
    @discardableResult
    public func deleteTarget(named name: String) async throws -> Bool {
        do {
            _ = try await authorized("target-delete", NameBody(name: name), as: IgnoredAnswer.self)
            return true
        } catch let error as AkeylessError where error.kind == .notFound {
            return false
        }
    }

    // MARK: AWS IAM auth methods

    /// `auth-method-get`; nil when there is no auth method of that name.
    public func authMethod(named name: String) async throws -> AkeylessAWSIAMAuthMethod? {
        do {
            let answer = try await authorized("auth-method-get", NameBody(name: name), as: AuthMethodAnswer.self)
            return answer.method(requestedName: name)
        } catch let error as AkeylessError where error.kind == .notFound {
            return nil
        }
    }

    /// `auth-method-create-aws-iam`; its access id. Throws `.conflict` when the name is taken.
    public func createAWSIAMAuthMethod(_ spec: AkeylessAWSIAMAuthMethodSpec) async throws -> AkeylessAuthMethodCreated {
        let answer = try await authorized("auth-method-create-aws-iam", AuthMethodAWSIAMBody(spec), as: AuthMethodCreateAnswer.self)
        return AkeylessAuthMethodCreated(name: answer.name ?? AkeylessNames.normalised(spec.name), accessID: answer.accessID)
    }

    /// `auth-method-update-aws-iam`: replaces the bound lists with the spec's (merge first).
    public func updateAWSIAMAuthMethod(_ spec: AkeylessAWSIAMAuthMethodSpec) async throws {
        _ = try await authorized("auth-method-update-aws-iam", AuthMethodAWSIAMBody(spec), as: IgnoredAnswer.self)
    }

    /// `auth-method-delete`; false when there was no such auth method.
    @discardableResult
    public func deleteAuthMethod(named name: String) async throws -> Bool {
        do {
            _ = try await authorized("auth-method-delete", NameBody(name: name), as: IgnoredAnswer.self)
            return true
        } catch let error as AkeylessError where error.kind == .notFound {
            return false
        }
    }

    // MARK: Calls

    /// One call with the token in its body; a 401 logs in again once and repeats it.
    private func authorized<Body: Encodable & Sendable, Answer: Decodable>(
        _ operation: String, _ body: Body, as answer: Answer.Type
    ) async throws -> Answer {
        var token = try await tokens.current()
        var renewed = false
        while true {
            do {
                let data = try await caller.call(
                    operation, body: try Self.encode(WithToken(body: body, token: token.value)), secrets: secrets(token))
                return try Self.decode(answer, data, operation: operation)
            } catch let error as AkeylessError where error.kind == .unauthorized && !renewed {
                renewed = true
                token = try await tokens.replace(token)
            }
        }
    }

    private func secrets(_ token: AkeylessSecret) -> [String] {
        var list = [token.value]
        if case .accessKey(_, let key) = login { list.append(key.value) }
        return list
    }

    /// The `auth` call: access key, or a cloud id signed with the AWS credentials.
    private static func authenticate(_ login: AkeylessLogin, _ caller: AkeylessCaller) async throws -> AkeylessSecret {
        let body: AuthBody
        var secrets: [String] = []
        switch login {
        case .accessKey(let accessID, let key):
            body = AuthBody(accessID: accessID, accessType: AkeylessLogin.AccessType.accessKey.rawValue, accessKey: key.value)
            secrets.append(key.value)
        case .awsIAM(let accessID, let credentials, let region):
            let resolved = try await credentials()
            let cloudID = AWSCloudID.make(credentials: resolved, region: region)
            body = AuthBody(accessID: accessID, accessType: AkeylessLogin.AccessType.awsIAM.rawValue, cloudID: cloudID)
            secrets += [cloudID, resolved.secretAccessKey] + (resolved.sessionToken.map { [$0] } ?? [])
        }
        let data = try await caller.call("auth", body: try encode(body), secrets: secrets)
        let answer = try decode(AuthAnswer.self, data, operation: "auth")
        guard !answer.token.isEmpty else {
            throw AkeylessError(kind: .malformedAnswer, operation: "auth", message: "Akeyless answered auth without a token")
        }
        return AkeylessSecret(answer.token)
    }

    private static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ data: Data, operation: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw AkeylessError(
                kind: .malformedAnswer, operation: operation,
                message: "the answer does not decode as \(T.self): \(Self.decodingProblem(error))")
        }
    }

    /// Where and what, without the values (which may be secrets).
    private static func decodingProblem(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "not JSON" }
        let context: DecodingError.Context
        switch error {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c), .dataCorrupted(let c): context = c
        @unknown default: return "malformed"
        }
        let path = context.codingPath.map(\.stringValue).joined(separator: ".")
        return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
    }
}

/// A request body with the token added under `token`, beside the body's own keys.
struct WithToken<Body: Encodable>: Encodable {
    var body: Body
    var token: String

    enum CodingKeys: String, CodingKey {
        case token
    }

    func encode(to encoder: any Encoder) throws {
        try body.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(token, forKey: .token)
    }
}

/// `auth` (the SDK's `Auth` model), for the two access types implemented.
struct AuthBody: Encodable {
    var accessID: String
    var accessType: String
    var accessKey: String?
    var cloudID: String?

    enum CodingKeys: String, CodingKey {
        case accessID = "access-id"
        case accessType = "access-type"
        case accessKey = "access-key"
        case cloudID = "cloud-id"
    }
}

/// `AuthOutput`.
struct AuthAnswer: Decodable {
    var token: String
    var expiration: String?
}
