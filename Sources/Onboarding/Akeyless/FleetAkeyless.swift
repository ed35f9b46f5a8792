import AkeylessClient
import Foundation
import Inventory

/// `akeyless sync` and `verify --akeyless` over the inventory: which accounts, which
/// client, under the home's run lock (two syncs merging the same shared method at once
/// could each drop the other's accounts).
public struct FleetAkeyless: Sendable {
    public var home: FleetformHome
    public var database: any InventoryStore
    public var environment: [String: String]

    public init(home: FleetformHome, database: any InventoryStore,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.home = home
        self.database = database
        self.environment = environment
    }

    /// Syncs the onboarded accounts of the selection. Nil when none is onboarded.
    public func sync(
        _ selection: AccountSelection, settings: AkeylessSync.Settings, connection: AkeylessConnection,
        stop: StopController? = nil, progress: @escaping @Sendable (AkeylessSync.AccountOutcome) -> Void = { _ in }
    ) async throws(OnboardingFailure) -> AkeylessSync.Report? {
        let lock: RunLock
        let onboarded: [(account: AccountRecord, standing: AccountStanding)]
        do {
            lock = try database.acquireRunLock(home: home.url)
            onboarded = try FleetChecks(database: database, environment: environment)
                .onboarded(selection, includeDrifted: true)
        } catch {
            throw OnboardingFailure(error)
        }
        defer { withExtendedLifetime(lock) {} }
        guard !onboarded.isEmpty else { return nil }
        let api = try await connection.connect(environment: environment)
        let sync = AkeylessSync(api: api, database: database)
        do {
            return try await sync.run(sync.items(onboarded, settings: settings), failureTolerance: settings.failureTolerance,
                                      stop: stop, progress: progress)
        } catch {
            throw OnboardingFailure(.failure, "akeyless sync: \(error)")
        }
    }

    /// The Akeyless side of the onboarded accounts of the selection that were synced.
    public func verify(_ selection: AccountSelection, connection: AkeylessConnection)
        async throws(OnboardingFailure) -> [AkeylessVerifier.Outcome] {
        let onboarded = try FleetChecks(database: database, environment: environment).onboarded(selection, includeDrifted: true)
        let synced = onboarded.filter { [.synced, .drifted].contains($0.standing.akeyless?.status) }
        guard !synced.isEmpty else { return [] }
        // Each account where it was synced; one whose API cannot be used is not checked.
        let clients = await connection.clients(for: Set(synced.compactMap(\.standing.akeyless?.apiURL)), environment: environment)
        if clients.values.allSatisfy({ if case .failure = $0 { true } else { false } }),
           case .failure(let failure)? = clients.values.first, failure.kind != .usage {
            throw failure  // no credentials, or wrong ones: one error, as for the other commands
        }
        var outcomes: [AkeylessVerifier.Outcome] = []
        for (url, group) in Dictionary(grouping: synced, by: { $0.standing.akeyless?.apiURL ?? "" }) {
            switch clients[url] {
            case .success(let api):
                do {
                    outcomes += try await AkeylessVerifier(api: api, database: database).verify(group)
                } catch {
                    throw OnboardingFailure(.failure, "verify --akeyless: \(error)")
                }
            case .failure(let failure):
                outcomes += group.map { AkeylessVerifier.Outcome(accountID: $0.account.accountID, finding: .unchecked(failure.message)) }
            case nil:
                break
            }
        }
        return outcomes
    }
}
