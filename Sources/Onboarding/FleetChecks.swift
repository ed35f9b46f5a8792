import AWSClient
import Foundation
import Inventory

/// The use cases that read the fleet without running terraform: `verify`, `preflight`
/// and the accounts `export` prints. Each is one call that returns what the command
/// prints.
public struct FleetChecks: Sendable {
    public var database: any InventoryStore
    public var environment: [String: String]

    public init(database: any InventoryStore, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.database = database
        self.environment = environment
    }

    /// The onboarded accounts of the selection (all without one); with `includeDrifted`
    /// also those verify found changed. Runs cut off earlier are closed first, so that
    /// none shows as running forever.
    public func onboarded(_ selection: AccountSelection, includeDrifted: Bool)
        throws(OnboardingFailure) -> [(account: AccountRecord, standing: AccountStanding)] {
        do {
            database.recoverAbandonedRunsAsReader()
            return try selection.narrow(try database.onboardedAccounts(includeDrifted: includeDrifted),
                                        accountID: \.account.accountID, database: database)
        } catch {
            throw OnboardingFailure(error)
        }
    }

    /// `verify`: each onboarded account's role checked with IAM; differences are
    /// recorded as `drifted`. Empty when nothing is onboarded.
    public func verify(_ selection: AccountSelection) async throws(OnboardingFailure) -> [RoleVerifier.Outcome] {
        let onboarded = try onboarded(selection, includeDrifted: true)
        guard !onboarded.isEmpty else { return [] }
        let session = try await AWSSessions.resolved(environment: environment, command: "verify")
        do {
            return try await RoleVerifier(session: session).verify(onboarded, database: database)
        } catch {
            throw OnboardingFailure(.failure, "verify: \(error)")
        }
    }

    public struct PreflightResult: Sendable {
        public var accounts: [AccountRecord]
        /// Why each account that cannot be entered fails, by account ID.
        public var failures: [String: String]
        public var requests: Int
        public var elapsed: Duration
    }

    /// `preflight`: each selected account's access role assumed, as apply does first.
    public func preflight(_ selection: AccountSelection, concurrency: Int) async throws(OnboardingFailure) -> PreflightResult {
        let accounts: [AccountRecord]
        do {
            accounts = try selection.apply(to: try database.allAccounts())
        } catch {
            throw OnboardingFailure(error)
        }
        let session = try await AWSSessions.resolved(environment: environment, command: "preflight")
        let clock = ContinuousClock()
        let started = clock.now
        let failures = await AccessPreflight(session: session, concurrency: concurrency).failures(accounts)
        return PreflightResult(accounts: accounts, failures: failures, requests: session.requests.value,
                               elapsed: clock.now - started)
    }
}
