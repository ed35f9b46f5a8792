import AWSClient
import AkeylessClient
import Foundation

/// How a command reaches Akeyless, as the user gives it: `--akeyless-url` and
/// `--akeyless-access-type`, over the `AKEYLESS_*` variables.
public struct AkeylessConnection: Sendable, Equatable {
    public var url: String?
    public var accessType: String?
    /// Calls in flight at once (`--parallel` of `akeyless sync`).
    public var concurrency: Int

    public init(url: String? = nil, accessType: String? = nil, concurrency: Int = AkeylessAPI.defaultConcurrency) {
        self.url = url
        self.accessType = accessType
        self.concurrency = concurrency
    }

    /// Whether the environment names an Akeyless identity at all: a retry syncs the
    /// accounts waiting for it only then, instead of failing a terraform retry that
    /// does not care.
    public static func hasCredentials(_ environment: [String: String]) -> Bool {
        !(environment[AkeylessLogin.accessIDVariable] ?? "").isEmpty
    }

    /// A client logged in once: wrong or missing credentials are one error for the
    /// command (`akeyless: <why>`), found before any account is touched.
    func connect(environment: [String: String]) async throws(OnboardingFailure) -> AkeylessAPI {
        let api = try client(environment: environment)
        do {
            try await api.authenticate()
        } catch {
            throw OnboardingFailure(.failure, "akeyless: \(error)")
        }
        return api
    }

    /// The URL the flag or `AKEYLESS_API_URL` names, normalised; nil when neither does.
    func explicitURL(environment: [String: String]) -> String? {
        let text = [url, environment[AkeylessEndpoint.environmentVariable]].compactMap { $0 }.first { !$0.isEmpty }
        return text.flatMap { try? AkeylessEndpoint($0).description }
    }

    /// One logged-in client per URL that accounts were synced with, for the commands
    /// that go back to what a sync made (destroy, verify, retry). An account must be
    /// reached where it was synced: asking another Akeyless would find nothing there
    /// and take that for "already removed". So a URL the flag or the environment names
    /// that is not the recorded one is refused for those accounts, naming the right one.
    func clients(for recordedURLs: Set<String>, environment: [String: String]) async
        -> [String: Result<AkeylessAPI, OnboardingFailure>] {
        let explicit = explicitURL(environment: environment)
        var clients: [String: Result<AkeylessAPI, OnboardingFailure>] = [:]
        for recorded in recordedURLs {
            let normalised = (try? AkeylessEndpoint(recorded).description) ?? recorded
            if let explicit, explicit != normalised {
                clients[recorded] = .failure(OnboardingFailure(.usage, """
                    akeyless: the account was synced with the Akeyless API \(normalised), not \(explicit); \
                    pass --akeyless-url \(normalised)
                    """))
                continue
            }
            var pinned = environment
            pinned[AkeylessEndpoint.environmentVariable] = normalised
            let connection = AkeylessConnection(url: nil, accessType: accessType, concurrency: concurrency)
            do throws(OnboardingFailure) {
                clients[recorded] = .success(try await connection.connect(environment: pinned))
            } catch {
                clients[recorded] = .failure(error)
            }
        }
        return clients
    }

    func client(environment: [String: String]) throws(OnboardingFailure) -> AkeylessAPI {
        let wantsAWS = (accessType ?? environment[AkeylessLogin.accessTypeVariable]) == AkeylessLogin.AccessType.awsIAM.rawValue
        var credentials: (@Sendable () async throws -> AWSCredentials)?
        var region: String?
        if wantsAWS {
            // The operator's own AWS identity signs the cloud id, through the same chain
            // (and endpoint checks) as every other AWS call.
            let session = try AWSSessions.make(environment: environment)
            credentials = { try await session.credentials() }
            region = try? session.region()
        }
        do {
            return try AkeylessAPI.fromEnvironment(
                url: url, accessType: accessType, environment: environment, awsCredentials: credentials, stsRegion: region,
                concurrency: concurrency)
        } catch {
            throw OnboardingFailure(.failure, "akeyless: \(error)")
        }
    }
}
