import AkeylessClient
import Foundation
import Inventory

/// `akeyless sync` and `verify --akeyless` over the inventory: which accounts, which
/// client, under the home's run lock (two syncs merging the same shared method at once
/// could each drop the other's accounts).
public struct FleetAkeyless: Sendable {
    public var home: FleetformHome
    public var database: InventoryDatabase
    public var environment: [String: String]

    public init(home: FleetformHome, database: InventoryDatabase,
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
        let api = try await connection.connect(environment: environment, recordedURL: synced.first?.standing.akeyless?.apiURL)
        do {
            return try await AkeylessVerifier(api: api, database: database).verify(synced)
        } catch {
            throw OnboardingFailure(.failure, "verify --akeyless: \(error)")
        }
    }
}
