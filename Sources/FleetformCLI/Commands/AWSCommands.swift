import AWSClient
import ArgumentParser
import Foundation
import Inventory
import Onboarding

/// `fleetform inventory discover`: the accounts and OU paths from AWS Organizations.
struct InventoryDiscoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discover",
        abstract: "Add or update accounts from AWS Organizations (run with the management account's credentials).",
        discussion: """
            Walks the OU tree and records every account with its OU path (Root/Workloads/Prod) and state. \
            Accounts that are not ACTIVE and the management account are recorded disabled unless \
            --include-suspended / --include-management. Known accounts keep their region, role names and \
            tags; a failed discovery writes nothing.
            """
    )

    @Option(name: .customLong("ou"), help: ArgumentHelp("Only this OU's subtree (repeatable).", valueName: "ou-id"))
    var ouIDs: [String] = []

    @Flag(help: "Enable accounts that are not ACTIVE (suspended, pending closure).") var includeSuspended = false
    @Flag(help: "Enable the management account itself.") var includeManagement = false
    @Flag(help: "Disable (never delete) discovered accounts that Organizations no longer lists.") var prune = false

    @Option(help: ArgumentHelp("Region for newly discovered accounts (default: the AWS region, else us-east-1).", valueName: "region"))
    var region: String?

    @OptionGroup(title: "Global options") var global: GlobalOptions

    func validate() throws {
        for id in ouIDs where !(id.hasPrefix("ou-") || id.hasPrefix("r-")) {
            throw ValidationError("--ou \(id): must be an OU ID like ou-ab12-cd34ef56")
        }
        if let region, let problem = AccountFieldRules.regionProblem(region) {
            throw ValidationError("--region: \(problem)")
        }
    }

    func run() async throws {
        let database = try global.openDatabase()
        let session = try AWSSessions.make()
        let result: OrganizationDiscovery.Result
        let defaults: DiscoveryDefaults
        do {
            result = try await OrganizationDiscovery(organizations: session.organizations()).discover(
                .init(ouIDs: ouIDs, includeSuspended: includeSuspended, includeManagement: includeManagement))
            defaults = DiscoveryDefaults(region: try region ?? session.region(), managementAccountID: result.managementAccountID)
        } catch {
            throw CommandFailure(exitCode: ExitStatus.failure, "inventory discover: \(error); nothing was written")
        }
        let summary: InventoryImportSummary
        do {
            summary = try database.importDiscoveredAccounts(
                result.accounts, defaults: defaults, origin: "organizations:\(result.managementAccountID)",
                pruneUnder: prune ? result.scope : nil)
        } catch {
            throw CommandFailure(exitCode: ExitStatus.failure, "inventory discover: cannot record the accounts: \(error); nothing was written")
        }
        let enabled = result.accounts.count(where: \.enabled)
        StandardStreams.write("""
            discovered \(result.accounts.count) accounts (\(enabled) enabled) in \(result.organizationalUnits) OUs \
            with \(session.requests.value) requests: \(summary)

            """)
    }
}

/// `fleetform verify [selection]`: is every role still as recorded?
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check with IAM that each onboarded account's role, trust policy, policy and instance profile are as recorded.",
        discussion: "Accounts that differ become `drifted` with the reason; a later successful apply clears it. Exits 1 if any account drifted or could not be checked."
    )

    @OptionGroup(title: "Selection") var selection: SelectionOptions
    @OptionGroup(title: "Global options") var global: GlobalOptions

    func run() async throws {
        let database = try global.openDatabase()
        try database.recoverAbandonedRuns(home: global.resolvedHome.url)
        let onboarded = try selected(try database.onboardedAccounts(includeDrifted: true), selection: selection, database: database)
        guard !onboarded.isEmpty else {
            StandardStreams.write("No onboarded accounts to verify.\n")
            return
        }
        let session = try AWSSessions.make()
        let outcomes = try await RoleVerifier(session: session).verify(onboarded, database: database)
        let terminal = global.terminal()
        var table = TextTable(columns: [
            .init(header: "ACCOUNT"), .init(header: "NAME", flexible: true, minimumWidth: 12),
            .init(header: "RESULT", flexible: true, minimumWidth: 20),
        ])
        for outcome in outcomes {
            switch outcome.finding {
            case .asRecorded: table.append([outcome.accountID, outcome.name, "as recorded"], colors: [nil, nil, .green])
            case .drifted(let reason): table.append([outcome.accountID, outcome.name, "drifted: \(reason)"], colors: [nil, nil, .yellow])
            case .unchecked(let reason): table.append([outcome.accountID, outcome.name, "not checked: \(reason)"], colors: [nil, nil, .red])
            }
        }
        let drifted = outcomes.count { if case .drifted = $0.finding { true } else { false } }
        let unchecked = outcomes.count { if case .unchecked = $0.finding { true } else { false } }
        StandardStreams.write(table.render(width: terminal.width, terminal: terminal)
            + "\(outcomes.count) accounts: \(outcomes.count - drifted - unchecked) as recorded, \(drifted) drifted, \(unchecked) not checked\n")
        if drifted + unchecked > 0 {
            throw CommandFailure(exitCode: ExitStatus.failure, lines: [])
        }
    }
}

/// `fleetform export [--format json|csv|akeyless] [selection]`.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Print the onboarded accounts and their ARNs as JSON, CSV, or an Akeyless CLI script."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case json, csv, akeyless
    }

    @Option(help: "json, csv, or akeyless (a shell script creating one Akeyless AWS target per account).")
    var format: Format = .json
    @OptionGroup(title: "Selection") var selection: SelectionOptions
    @OptionGroup(title: "Global options") var global: GlobalOptions

    func run() async throws {
        let database = try global.openDatabase()
        let records = FleetExport.records(try selected(try database.onboardedAccounts(includeDrifted: false),
                                                       selection: selection, database: database))
        switch format {
        case .json: StandardStreams.write(FleetExport.json(records))
        case .csv: StandardStreams.write(([FleetExport.csvHeader] + FleetExport.csvRows(records)).map(CSV.line).joined())
        case .akeyless: StandardStreams.write(FleetExport.akeylessScript(records, version: FleetformVersion.current))
        }
    }
}

/// Narrows onboarded accounts to a selection (all of them without one).
private func selected(
    _ onboarded: [(account: AccountRecord, state: AccountStatus)], selection: SelectionOptions, database: InventoryDatabase
) throws -> [(account: AccountRecord, state: AccountStatus)] {
    guard !selection.selection.isEmpty else { return onboarded }
    let wanted: Set<String>
    do {
        wanted = Set(try selection.selection.apply(to: try database.allAccounts()).map(\.accountID))
    } catch {
        throw CommandFailure(exitCode: ExitStatus.usage, "\(error)")
    }
    return onboarded.filter { wanted.contains($0.account.accountID) }
}

/// `fleetform preflight [selection]`: can fleetform enter every account?
struct PreflightCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preflight",
        abstract: "Assume each selected account's access role, as apply does before terraform starts, and report the ones that fail.",
        discussion: "Exits 1 if any account cannot be entered."
    )

    @OptionGroup(title: "Selection") var selection: SelectionOptions
    @Option(help: ArgumentHelp("Access roles assumed at once.", valueName: "n")) var concurrency = 16
    @OptionGroup(title: "Global options") var global: GlobalOptions

    func validate() throws {
        if concurrency < 1 { throw ValidationError("--concurrency \(concurrency): must be at least 1") }
    }

    func run() async throws {
        let database = try global.openDatabase()
        let accounts: [AccountRecord]
        do {
            accounts = try selection.selection.apply(to: try database.allAccounts())
        } catch {
            throw CommandFailure(exitCode: ExitStatus.usage, "\(error)")
        }
        let session = try AWSSessions.make()
        let clock = ContinuousClock()
        let started = clock.now
        let failures = await AccessPreflight(session: session, concurrency: concurrency).failures(accounts)
        let elapsed = clock.now - started
        for account in accounts {
            if let reason = failures[account.accountID] {
                StandardStreams.write("failed  \(account.accountID)  \(account.name)  \(reason)\n")
            }
        }
        let seconds = String(format: "%.2f", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        StandardStreams.write("""
            preflight: \(accounts.count - failures.count) of \(accounts.count) accounts can be entered \
            (\(session.requests.value) requests in \(seconds)s)

            """)
        if !failures.isEmpty { throw CommandFailure(exitCode: ExitStatus.failure, lines: []) }
    }
}

/// Builds the AWS session of a command, refusing endpoint variables that are not URLs
/// (silently ignoring one would send the management account's credentials to real AWS
/// when the user meant a local endpoint) and a region that is not a region name (it
/// would become part of the host names signed requests go to). Both are usage errors.
enum AWSSessions {
    static func make() throws -> AWSSession {
        let environment = ProcessInfo.processInfo.environment
        let session = AWSSession(environment: environment)
        do {
            try EndpointResolver.validate(environment: environment)
            _ = try session.region()
        } catch {
            // The do block throws only AWSConfigurationError.
            switch error {
            case .invalidEndpointURL, .invalidRegion: throw CommandFailure(exitCode: ExitStatus.usage, "\(error)")
            // A missing profile or an unreadable file is reported where credentials are needed.
            default: break
            }
        }
        return session
    }
}
