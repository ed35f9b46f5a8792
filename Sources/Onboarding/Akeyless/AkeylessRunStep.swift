import AkeylessClient
import Inventory

/// What apply, retry and destroy do in Akeyless, as the user asks it.
public struct AkeylessRunOptions: Sendable, Equatable {
    public var connection: AkeylessConnection
    /// `apply --akeyless`: sync the accounts the apply onboarded, placed this way.
    public var sync: AkeylessSync.Settings?
    /// `destroy --keep-akeyless`: leave the accounts' targets and bindings in Akeyless.
    public var keep: Bool

    public init(connection: AkeylessConnection = AkeylessConnection(), sync: AkeylessSync.Settings? = nil, keep: Bool = false) {
        self.connection = connection
        self.sync = sync
        self.keep = keep
    }
}

/// The Akeyless part of one run, decided before the run starts so that missing or
/// wrong credentials are found before terraform touches any account: the sync after an
/// apply (or a retry of accounts waiting for one), and the release before a destroy.
struct AkeylessRunStep: Sendable {
    var api: AkeylessAPI?
    var database: InventoryDatabase
    /// Where an apply's sync places items; nil for a retry, which repeats each
    /// account's own placement.
    var settings: AkeylessSync.Settings?
    /// A retry's accounts whose last sync failed or never happened.
    var waiting: [AkeylessRecord]
    var failureTolerance: FailureTolerance?
    var release: (@Sendable ([AccountRecord]) async -> [String: String])?

    /// Whether a sync follows the run.
    var syncs: Bool { api != nil && (settings != nil || !waiting.isEmpty) }

    /// Nil when the run has nothing to do in Akeyless.
    static func prepare(
        _ options: AkeylessRunOptions, command: RunCommand, jobs: [PlannedJob], selection: AccountSelection,
        failureTolerance: FailureTolerance?, database: InventoryDatabase, environment: [String: String],
        events: @Sendable (OnboardingEvent) -> Void
    ) async throws(OnboardingFailure) -> AkeylessRunStep? {
        let records: [String: AkeylessRecord]
        var waiting: [AkeylessRecord] = []
        do {
            records = try database.akeylessRecords()
            if command == .retry {
                waiting = try selection.narrow(try database.akeylessRetryCandidates(), accountID: \.accountID, database: database)
            }
        } catch {
            throw OnboardingFailure(error)
        }
        var step = AkeylessRunStep(database: database, settings: command == .apply ? options.sync : nil, waiting: waiting,
                                   failureTolerance: failureTolerance)
        if step.settings != nil {
            step.api = try await options.connection.connect(environment: environment)
        } else if !waiting.isEmpty {
            if AkeylessConnection.hasCredentials(environment) {
                step.api = try await options.connection.connect(environment: environment, recordedURL: waiting[0].apiURL)
            } else {
                events(.notice(.akeylessSyncWaiting(accounts: waiting.count)))
                step.waiting = []
            }
        }

        let registered = jobs.filter { $0.operation == .destroy }.compactMap { records[$0.accountID] }
        if !options.keep, !registered.isEmpty {
            let byAccount = Dictionary(registered.map { ($0.accountID, $0) }, uniquingKeysWith: { a, _ in a })
            do throws(OnboardingFailure) {
                let api: AkeylessAPI
                if let connected = step.api {
                    api = connected
                } else {
                    api = try await options.connection.connect(environment: environment, recordedURL: registered[0].apiURL)
                }
                let release = AkeylessRelease(api: api, database: database)
                step.release = { accounts in await release.release(accounts.compactMap { byAccount[$0.accountID] }) }
            } catch {
                // Refused per account: the others' destroy goes on.
                let reason = "\(error); the account is registered in Akeyless and must be removed there first: set its credentials, or pass --keep-akeyless to leave its target and binding"
                step.release = { accounts in
                    Dictionary(accounts.compactMap { byAccount[$0.accountID] == nil ? nil : ($0.accountID, reason) },
                               uniquingKeysWith: { a, _ in a })
                }
            }
        }
        return step.syncs || step.release != nil ? step : nil
    }

    /// Syncs what the run onboarded (an apply) or what was waiting (a retry), and
    /// records the others of an apply as `pending`, so that a retry syncs them.
    func sync(after report: RunReport?, stop: StopController, events: @escaping @Sendable (OnboardingEvent) -> Void)
        async throws(OnboardingFailure) -> AkeylessSync.Report {
        guard let api else { preconditionFailure("sync without a client") }
        let sync = AkeylessSync(api: api, database: database)
        do {
            let onboarded = try database.onboardedAccounts(includeDrifted: true)
            var items: [AkeylessSync.Item]
            if let settings {
                let jobs = report?.jobs.filter { $0.operation == .apply } ?? []
                let done = Set(jobs.filter { $0.status == .succeeded || $0.skipReason == .upToDate }.map(\.accountID))
                items = sync.items(onboarded.filter { done.contains($0.account.accountID) }, settings: settings)
                let synced = Set(items.map(\.account.accountID))
                try database.recordAkeylessNotSynced(
                    jobs.filter { !synced.contains($0.accountID) }.map { job in
                        (job.accountID, settings.placement(accountID: job.accountID, apiURL: api.endpoint.description),
                         "not synced: its apply did not succeed; `fleetform retry` syncs it once it does")
                    }, status: .pending)
            } else {
                let waiting = Dictionary(self.waiting.map { ($0.accountID, $0) }, uniquingKeysWith: { a, _ in a })
                items = onboarded.compactMap { account, standing in
                    guard let record = waiting[account.accountID], let roleARN = standing.roleARN else { return nil }
                    return AkeylessSync.Item(
                        account: account, roleARN: roleARN,
                        placement: AkeylessPlacement(apiURL: api.endpoint.description, target: record.target,
                                                     authMethod: record.authMethod, layout: record.layout))
                }
            }
            events(.akeylessSyncStarted(accounts: items.count))
            let result = try await sync.run(items, failureTolerance: failureTolerance, stop: stop) { outcome in
                events(.akeylessAccountSynced(outcome))
            }
            events(.akeylessSyncFinished(result))
            return result
        } catch {
            throw OnboardingFailure(.failure, "akeyless sync: \(error)")
        }
    }
}
