import FleetformBasics
import Foundation
import Inventory
import Terraform

/// `state migrate --to LOCATION`: moves every account's Terraform state from the
/// recorded location to another, verifies each copy, and only then records the new
/// location.
///
/// Each account goes through its own workspace, which terraform already knows: rendered
/// with the old backend and initialised (`-reconfigure`), its state pulled; rendered
/// with the new backend and initialised with `-migrate-state -force-copy`, which copies
/// the state; the copy pulled again and compared with the original (every resource
/// instance with its attributes, and the outputs; see `StateSnapshot.holdsTheSame`). The record changes only when every account with state was copied and
/// verified. Until then the old location is the one every run uses, and it still holds
/// every account's complete state, since nothing is deleted: a migrate that failed part
/// way or was killed leaves the record true, and running it again copies every account
/// again, overwriting the partial copies. After the switch, local state files are
/// renamed `terraform.tfstate.migrated` so no one mistakes them for the live state; old
/// S3 objects are left for the user to delete.
public struct StateMigration: Sendable {
    public var home: FleetformHome
    public var database: any InventoryStore
    public var environment: [String: String]

    public init(home: FleetformHome, database: any InventoryStore,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.home = home
        self.database = database
        self.environment = environment
    }

    public struct Request: Sendable {
        public var target: StateLocation
        public var terraformPath: String?
        /// Accounts moved at once.
        public var parallel: Int

        public init(target: StateLocation, terraformPath: String? = nil, parallel: Int = 4) {
            self.target = target
            self.terraformPath = terraformPath
            self.parallel = parallel
        }
    }

    public enum AccountOutcome: Sendable, Equatable {
        /// Copied and verified; the snapshot is the copy.
        case moved(StateSnapshot)
        /// The account has no state, or an empty one (never applied, or destroyed):
        /// nothing to copy.
        case noState
        case failed(String)
    }

    public struct AccountResult: Sendable, Equatable {
        public var accountID: String
        public var outcome: AccountOutcome
    }

    public struct Report: Sendable {
        public var from: StateLocation
        public var to: StateLocation
        public var accounts: [AccountResult]
        /// Whether the new location was recorded (every account moved or had no state).
        public var switched: Bool
        /// Local state files renamed after the switch.
        public var renamed: Int
        /// Each account's terraform output, `<id>.log`.
        public var logDirectory: URL

        public var failures: [(accountID: String, error: String)] {
            accounts.compactMap { if case .failed(let error) = $0.outcome { ($0.accountID, error) } else { nil } }
        }
    }

    public enum Result: Sendable {
        /// The state is recorded at the requested location already; nothing was done.
        case alreadyThere(StateLocation)
        case finished(Report)
    }

    public enum Event: Sendable {
        case started(from: StateLocation, to: StateLocation, accounts: Int)
        case accountFinished(AccountResult)
    }

    public func execute(
        _ request: Request, events: @escaping @Sendable (Event) -> Void = { _ in }
    ) async throws(OnboardingFailure) -> Result {
        do {
            return try await run(request, events: events)
        } catch {
            throw OnboardingFailure(error)
        }
    }

    private func run(_ request: Request, events: @escaping @Sendable (Event) -> Void) async throws -> Result {
        let layout = HomeLayout(home: home.url)
        // No apply may write a state while it is being copied.
        let lock = try database.acquireRunLock(home: home.url)
        defer { withExtendedLifetime(lock) {} }
        _ = try database.recoverAbandonedRuns(isAlive: RunOwnership.aliveForLockHolder)

        let from = try StateSetting.current(database: database)
        if request.target.names(from) { return .alreadyThere(from) }
        let to = request.target.resolvingRegion(environment: environment)

        let terraform: (runner: TerraformRunner, version: TerraformVersion)
        do {
            terraform = try await TerraformSetup.runner(
                explicitPath: request.terraformPath, layout: layout, environment: environment, debugLog: false,
                state: from.isS3 ? from : to)
        } catch {
            throw OnboardingFailure(.failure, "\(error)")
        }
        let accounts = try database.allAccounts()
        let applied = try database.lastUsedTemplates()
        var templates: [String: Swift.Result<TerraformTemplate, TemplateError>] = [:]
        for name in Set(accounts.map { applied[$0.accountID] ?? TerraformTemplate.builtInName }) {
            templates[name] = Swift.Result { () throws(TemplateError) in try TemplateCatalog.load(name) }
        }
        let mover = AccountMover(
            layout: layout, runner: terraform.runner, version: terraform.version.description,
            from: WorkspaceRenderer(layout: layout, terraformVersion: terraform.version.description,
                                    backend: StateBackend(location: from, environment: environment)),
            to: WorkspaceRenderer(layout: layout, terraformVersion: terraform.version.description,
                                  backend: StateBackend(location: to, environment: environment)),
            logDirectory: layout.home.appendingPathComponent("logs/state-migrate-\(RunID.make())", isDirectory: true),
            gate: InitGate())

        let loaded = templates
        events(.started(from: from, to: to, accounts: accounts.count))
        let results = await BoundedConcurrency.map(accounts, limit: request.parallel) { account in
            let name = applied[account.accountID] ?? TerraformTemplate.builtInName
            let result = AccountResult(accountID: account.accountID,
                                       outcome: await mover.move(account, template: loaded[name]!, templateName: name))
            events(.accountFinished(result))
            return result
        }

        var report = Report(from: from, to: to, accounts: results, switched: false, renamed: 0,
                            logDirectory: mover.logDirectory)
        guard report.failures.isEmpty else { return .finished(report) }
        try database.replaceStateLocation(to.description)
        report.switched = true
        if from == .local {
            // Only now: until the record changed, these files were the live state.
            for result in results {
                guard case .moved = result.outcome else { continue }
                let file = layout.stateFile(accountID: result.accountID)
                let kept = file.deletingLastPathComponent().appendingPathComponent("terraform.tfstate.migrated")
                try? FileManager.default.removeItem(at: kept)
                if (try? FileManager.default.moveItem(at: file, to: kept)) != nil { report.renamed += 1 }
            }
        }
        return .finished(report)
    }
}

/// Moves one account's state between two renderings of its workspace.
private struct AccountMover: Sendable {
    var layout: HomeLayout
    var runner: TerraformRunner
    var version: String
    var from: WorkspaceRenderer
    var to: WorkspaceRenderer
    var logDirectory: URL
    var gate: InitGate

    func move(
        _ account: AccountRecord, template: Swift.Result<TerraformTemplate, TemplateError>, templateName: String
    ) async -> StateMigration.AccountOutcome {
        let accountID = account.accountID
        // A local file that is not there is no state, known without a terraform start.
        if from.backend.location == .local,
           !FileManager.default.fileExists(atPath: layout.stateFile(accountID: accountID).path) {
            return .noState
        }
        let loaded: TerraformTemplate
        switch template {
        case .success(let value): loaded = value
        case .failure(let error): return .failed("cannot render its workspace: \(error)")
        }
        let log = logDirectory.appendingPathComponent("\(accountID).log")
        let variables = TemplateVariables.values(for: account)
        let source = from.backend.location.stateDescription(accountID: accountID, layout: layout)
        let destination = to.backend.location.stateDescription(accountID: accountID, layout: layout)
        do {
            let old = from.rendering(accountID: accountID, template: loaded, variables: variables)
            let workspace = try from.write(old)
            try await initialise(old, workspace: workspace, templateName: templateName, change: .reconfigure, log: log)
            guard let original = try await pull(workspace, log: log, origin: source), !original.isEmpty else {
                return .noState
            }

            let new = to.rendering(accountID: accountID, template: loaded, variables: variables)
            _ = try to.write(new)
            try await initialise(new, workspace: workspace, templateName: templateName, change: .migrate, log: log)
            guard let copy = try await pull(workspace, log: log, origin: destination) else {
                return .failed("after copying, \(destination) holds no state (see \(log.path))")
            }
            guard copy.holdsTheSame(as: original) else {
                return .failed("""
                    the copy at \(destination) (\(copy.addresses.count) resources, serial \(copy.serial)) does not hold \
                    what \(source) holds (\(original.addresses.count) resources, serial \(original.serial))
                    """)
            }
            return .moved(copy)
        } catch let failure as MoveFailure {
            return .failed(failure.message)
        } catch {
            return .failed("\(error)")
        }
    }

    private struct MoveFailure: Error {
        var message: String
    }

    /// `terraform init`, the first of each template alone (see `InitGate`); recorded in
    /// the workspace's init marker, so the next run's init is skipped when it renders
    /// the same backend.
    private func initialise(
        _ rendering: WorkspaceRenderer.Rendering, workspace: URL, templateName: String,
        change: InitInvocation.BackendChange, log: URL
    ) async throws {
        let marker = InitMarker(layout: layout, terraformVersion: version, runner: runner)
        if change == .reconfigure, marker.isCurrent(rendering, workspace: workspace) { return }
        let lockPath = workspace.appendingPathComponent(InitMarker.lockFileName)
        let admission = await gate.enter(templateName)
        if case .shared(let lockFile?) = admission, !FileManager.default.fileExists(atPath: lockPath.path) {
            try? lockFile.write(to: lockPath, options: .atomic)
        }
        let invocation = InitInvocation(backendChange: change)
        let outcome: TerraformRunner.Outcome
        do {
            outcome = try await runner.run(invocation, in: workspace, log: log)
        } catch {
            if admission == .alone { await gate.leave(templateName, succeeded: false, lockFile: nil) }
            throw MoveFailure(message: "\(error)")
        }
        let succeeded = invocation.succeeded(outcome.termination)
        if admission == .alone {
            await gate.leave(templateName, succeeded: succeeded,
                             lockFile: succeeded ? FileManager.default.contents(atPath: lockPath.path) : nil)
        }
        guard succeeded else {
            throw MoveFailure(message: (change == .migrate ? "terraform init -migrate-state: " : "terraform init: ")
                + (outcome.report.firstError?.oneLine ?? "\(outcome.termination) (see \(log.path))"))
        }
        marker.record(rendering, workspace: workspace)
    }

    private func pull(_ workspace: URL, log: URL, origin: String) async throws -> StateSnapshot? {
        let (termination, output) = try await runner.capture(StatePullInvocation(), in: workspace, log: log)
        guard termination.succeeded else {
            throw MoveFailure(message: "cannot read the state at \(origin): terraform state pull \(termination) (see \(log.path))")
        }
        return try StateSnapshot.parse(output, origin: origin)
    }
}
