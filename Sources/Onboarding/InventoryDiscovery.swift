import AWSClient
import Foundation
import Inventory

/// `inventory discover` as one use case: read the organization, then record it in one
/// transaction. A failure in either half writes nothing.
public struct InventoryDiscovery: Sendable {
    public var database: any InventoryStore
    public var environment: [String: String]

    public init(database: any InventoryStore, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.database = database
        self.environment = environment
    }

    public struct Request: Sendable {
        public var options: OrganizationDiscovery.Options
        /// Disable accounts under the discovered OUs that Organizations no longer lists.
        public var prune: Bool
        /// The region of newly discovered accounts; nil: the AWS region, else us-east-1.
        public var region: String?

        public init(options: OrganizationDiscovery.Options, prune: Bool = false, region: String? = nil) {
            self.options = options
            self.prune = prune
            self.region = region
        }
    }

    public struct Result: Sendable, Equatable {
        public var discovered: Int
        public var enabled: Int
        public var organizationalUnits: Int
        /// AWS requests made, retries included.
        public var requests: Int
        public var recorded: InventoryImportSummary
    }

    public func execute(_ request: Request) async throws(OnboardingFailure) -> Result {
        let session = try AWSSessions.make(environment: environment)
        let result: OrganizationDiscovery.Result
        let defaults: DiscoveryDefaults
        do {
            result = try await OrganizationDiscovery(organizations: session.organizations()).discover(request.options)
            defaults = DiscoveryDefaults(region: try request.region ?? session.region(),
                                         managementAccountID: result.managementAccountID)
        } catch {
            throw OnboardingFailure(.failure, "inventory discover: \(error); nothing was written")
        }
        let recorded: InventoryImportSummary
        do {
            recorded = try database.importDiscoveredAccounts(
                result.accounts, defaults: defaults, origin: "organizations:\(result.managementAccountID)",
                pruneUnder: request.prune ? result.scope : nil)
        } catch {
            throw OnboardingFailure(.failure, "inventory discover: cannot record the accounts: \(error); nothing was written")
        }
        return Result(discovered: result.accounts.count, enabled: result.accounts.count(where: \.enabled),
                      organizationalUnits: result.organizationalUnits, requests: session.requests.value,
                      recorded: recorded)
    }
}
