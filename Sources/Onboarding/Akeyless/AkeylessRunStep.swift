import AkeylessClient
import Inventory
import Synchronization

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
    /// The client of an apply's sync.
    var api: AkeylessAPI?
    var database: any InventoryStore
    /// Where an apply's sync places items; nil for a retry, which repeats each
    /// account's own placement.
    var settings: AkeylessSync.Settings?
    /// A retry's accounts whose last sync failed or never happened, each reached where
    /// it was synced: the client of each recorded URL.
    var waiting: [AkeylessRecord]
    var retryClients: [String: AkeylessAPI] = [:]
    var failureTolerance: FailureTolerance?
    var release: (@Sendable ([AccountRecord]) async -> [String: String])?
    /// What the release removed, so that a destroy that then does not run (tolerance,
    /// Ctrl-C, a failure) leaves its account `pending` instead of silently unregistered.
    let released = ReleasedRecords()

    /// Whether a sync follows the run.
    var syncs: Bool { (api != nil && settings != nil) || !waiting.isEmpty }

    /// Nil when the run has nothing to do in Akeyless.
    static func prepare(
        _ options: AkeylessRunOptions, command: RunCommand, jobs: [PlannedJob], selection: AccountSelection,
        failureTolerance: FailureTolerance?, database: any InventoryStore, environment: [String: String],
        events: @Sendable (OnboardingEvent) -> Void
    ) async throws(OnboardingFailure) -> AkeylessRunStep? {
        let records: [String: AkeylessRecord]
        var waiting: [AkeylessRecord] = []
        let destroyed = Set(jobs.filter { $0.operation == .destroy }.map(\.accountID))
        do {
            records = try database.akeylessRecords()
            if command == .retry {
                // An account this retry destroys is not registered again afterwards.
                waiting = try selection.narrow(try database.akeylessRetryCandidates(), accountID: \.accountID, database: database)
                    .filter { !destroyed.contains($0.accountID) }
            }
        } catch {
            throw OnboardingFailure(error)
        }
        var step = AkeylessRunStep(database: database, settings: command == .apply ? options.sync : nil, waiting: [],
                                   failureTolerance: failureTolerance)
        if step.settings != nil {
            step.api = try await options.connection.connect(environment: environment)
        } else if !waiting.isEmpty {
            if AkeylessConnection.hasCredentials(environment) {
                for (url, client) in await options.connection.clients(for: Set(waiting.map(\.apiURL)), environment: environment) {
                    switch client {
                    case .success(let api): step.retryClients[url] = api
                    // Wrong credentials are one error, as for any command.
                    case .failure(let failure) where failure.kind != .usage: throw failure
                    case .failure(let failure): events(.notice(.akeylessSyncSkipped(failure.message)))
                    }
                }
                step.waiting = waiting.filter { step.retryClients[$0.apiURL] != nil }
            } else {
                events(.notice(.akeylessSyncWaiting(accounts: waiting.count)))
            }
        }

        let registered = destroyed.sorted().compactMap { records[$0] }
        if !options.keep, !registered.isEmpty {
            step.release = try await releaseGate(registered, connection: options.connection, database: database,
                                                 environment: environment, ledger: step.released)
        }
        return step.syncs || step.release != nil ? step : nil
    }

    /// The gate before the destroys: each account released where it was synced. One
    /// never synced (`pending`, no access id) has nothing in Akeyless: its record goes.
    private static func releaseGate(
        _ registered: [AkeylessRecord], connection: AkeylessConnection, database: any InventoryStore,
        environment: [String: String], ledger: ReleasedRecords
    ) async throws(OnboardingFailure) -> @Sendable ([AccountRecord]) async -> [String: String] {
        let neverMade = registered.filter { $0.status == .pending && $0.accessID == nil }
        let toRelease = registered.filter { !($0.status == .pending && $0.accessID == nil) }
        let clients = toRelease.isEmpty
            ? [:] : await connection.clients(for: Set(toRelease.map(\.apiURL)), environment: environment)
        let byAccount = Dictionary(toRelease.map { ($0.accountID, $0) }, uniquingKeysWith: { a, _ in a })
        let forgotten = Set(neverMade.map(\.accountID))
        return { accounts in
            let ids = Set(accounts.map(\.accountID))
            do {
                try database.removeAkeylessRecords(accountIDs: forgotten.filter(ids.contains).sorted())
            } catch {
                return Dictionary(forgotten.filter(ids.contains).map { ($0, "cannot record the Akeyless release: \(error)") },
                                  uniquingKeysWith: { a, _ in a })
            }
            var failures: [String: String] = [:]
            let wanted = accounts.compactMap { byAccount[$0.accountID] }
            for (url, group) in Dictionary(grouping: wanted, by: \.apiURL) {
                switch clients[url] {
                case .success(let api):
                    let groupFailures = await AkeylessRelease(api: api, database: database).release(group)
                    failures.merge(groupFailures) { a, _ in a }
                    ledger.add(group.filter { groupFailures[$0.accountID] == nil })
                case .failure(let failure):
                    // Refused per account: the others' destroy goes on.
                    for record in group {
                        failures[record.accountID] = """
                            \(failure.message); the account is registered in Akeyless (target \(record.target)) and must be \
                            removed there first: set the Akeyless credentials, or pass --keep-akeyless to leave it
                            """
                    }
                case nil:
                    break
                }
            }
            return failures
        }
    }

    /// Accounts released for a destroy that did not succeed become `pending` at their
    /// old placement: `akeyless sync` or `retry` registers them again.
    func recordUnfinishedDestroys(_ report: RunReport) throws {
        let destroyed = Set(report.jobs.filter {
            $0.operation == .destroy && ($0.status == .succeeded || $0.skipReason == .nothingToDestroy)
        }.map(\.accountID))
        let orphans = released.records.filter { !destroyed.contains($0.accountID) }
        try database.recordAkeylessNotSynced(orphans.map { record in
            (record.accountID,
             AkeylessPlacement(apiURL: record.apiURL, target: record.target, authMethod: record.authMethod, layout: record.layout),
             "removed from Akeyless for a destroy that did not finish; `fleetform akeyless sync` registers it again")
        }, status: .pending)
    }

    /// Syncs what the run onboarded (an apply) or what was waiting (a retry), and
    /// records the others of an apply as `pending`, so that a retry syncs them.
    func sync(after report: RunReport?, stop: StopController, events: @escaping @Sendable (OnboardingEvent) -> Void)
        async throws(OnboardingFailure) -> AkeylessSync.Report {
        do {
            let onboarded = try database.onboardedAccounts(includeDrifted: true)
            var batches: [(AkeylessSync, [AkeylessSync.Item])] = []
            if let settings, let api {
                let sync = AkeylessSync(api: api, database: database)
                let jobs = report?.jobs.filter { $0.operation == .apply } ?? []
                let done = Set(jobs.filter { $0.status == .succeeded || $0.skipReason == .upToDate }.map(\.accountID))
                let items = sync.items(onboarded.filter { done.contains($0.account.accountID) }, settings: settings)
                let synced = Set(items.map(\.account.accountID))
                try database.recordAkeylessNotSynced(
                    jobs.filter { !synced.contains($0.accountID) }.map { job in
                        (job.accountID, settings.placement(accountID: job.accountID, apiURL: api.endpoint.description),
                         "not synced: its apply did not succeed; `fleetform retry` syncs it once it does")
                    }, status: .pending)
                batches.append((sync, items))
            } else {
                let waiting = Dictionary(self.waiting.map { ($0.accountID, $0) }, uniquingKeysWith: { a, _ in a })
                let items = onboarded.compactMap { account, standing -> (String, AkeylessSync.Item)? in
                    guard let record = waiting[account.accountID], let roleARN = standing.roleARN else { return nil }
                    return (record.apiURL, AkeylessSync.Item(
                        account: account, roleARN: roleARN,
                        placement: AkeylessPlacement(apiURL: record.apiURL, target: record.target,
                                                     authMethod: record.authMethod, layout: record.layout)))
                }
                for (url, group) in Dictionary(grouping: items, by: \.0) {
                    guard let api = retryClients[url] else { continue }
                    batches.append((AkeylessSync(api: api, database: database), group.map(\.1)))
                }
            }
            events(.akeylessSyncStarted(accounts: batches.reduce(0) { $0 + $1.1.count }))
            var result = AkeylessSync.Report(accounts: [], requests: 0, writes: 0, elapsed: .zero)
            for (sync, items) in batches {
                let part = try await sync.run(items, failureTolerance: failureTolerance, stop: stop) { outcome in
                    events(.akeylessAccountSynced(outcome))
                }
                result.accounts += part.accounts
                result.requests += part.requests
                result.writes += part.writes
                result.elapsed += part.elapsed
            }
            events(.akeylessSyncFinished(result))
            return result
        } catch {
            throw OnboardingFailure(.failure, "akeyless sync: \(error)")
        }
    }
}

/// The records a destroy's release removed, as the release runs.
final class ReleasedRecords: Sendable {
    private let list = Mutex<[AkeylessRecord]>([])

    func add(_ records: [AkeylessRecord]) {
        list.withLock { $0 += records }
    }

    var records: [AkeylessRecord] { list.withLock { $0 } }
}
