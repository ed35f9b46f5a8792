import AWSClient
import ArgumentParser
import FleetformBasics
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
            tags; a failed discovery writes nothing. With --with-tags, each account's tags in Organizations \
            become its account tags (what --tag selects by), one ListTagsForResource listing per account; \
            without it, the account tags recorded earlier are kept.
            """
    )

    @Option(name: .customLong("ou"), help: ArgumentHelp("Only this OU's subtree (repeatable).", valueName: "ou-id"))
    var ouIDs: [String] = []

    @Flag(help: "Enable accounts that are not ACTIVE (suspended, pending closure).") var includeSuspended = false
    @Flag(help: "Enable the management account itself.") var includeManagement = false
    @Flag(help: "Disable (never delete) discovered accounts that Organizations no longer lists.") var prune = false
    @Flag(help: "Also read each account's tags (one request per account) as its account tags, for --tag.")
    var withTags = false

    @Option(help: ArgumentHelp("Region for newly discovered accounts (default: the AWS region, else us-east-1).", valueName: "region"))
    var region: String?

    @OptionGroup(title: "Global options") var global: GlobalOptions

    func validate() throws {
        try DiscoveryFlags.validate(ouIDs: ouIDs, ouFlag: "--ou", region: region, regionFlag: "--region")
    }

    func run() async throws {
        let database = try global.openDatabase()
        let result: InventoryDiscovery.Result
        do {
            result = try await InventoryDiscovery(database: database).execute(.init(
                options: .init(ouIDs: ouIDs, includeSuspended: includeSuspended, includeManagement: includeManagement,
                               withTags: withTags),
                prune: prune, region: region))
        } catch {
            throw CommandFailure(error)
        }
        StandardStreams.write(DiscoveryText.line(result) + "\n")
    }
}

/// `fleetform verify [selection]`: is every role still as recorded?
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check with IAM that each onboarded account's role, trust policy, policy and instance profile are as recorded.",
        discussion: """
            Accounts that differ become `drifted` with the reason; a later successful apply clears it. With \
            --akeyless, each synced account's Akeyless target and auth method binding are checked too; a \
            difference there makes it `drifted` until `akeyless sync` repairs it. Exits 1 if any account \
            drifted or could not be checked.
            """
    )

    @OptionGroup(title: "Selection") var selection: SelectionOptions
    @Flag(help: "Also check each synced account's Akeyless target and auth method binding.") var akeyless = false
    @OptionGroup(title: "Akeyless (with --akeyless)") var akeylessConnection: AkeylessConnectionOptions
    @OptionGroup(title: "Global options") var global: GlobalOptions

    func run() async throws {
        let database = try global.openDatabase()
        let outcomes: [RoleVerifier.Outcome]
        var akeylessFindings: [String: RoleVerifier.Finding] = [:]
        do {
            outcomes = try await FleetChecks(database: database).verify(selection.selection)
        } catch {
            throw CommandFailure(error)
        }
        if akeyless {
            let checked: [AkeylessVerifier.Outcome]
            do {
                checked = try await FleetAkeyless(home: global.resolvedHome, database: database)
                    .verify(selection.selection, connection: akeylessConnection.connection())
            } catch {
                throw CommandFailure(error)
            }
            for outcome in checked { akeylessFindings[outcome.accountID] = outcome.finding }
        }
        guard !outcomes.isEmpty else {
            StandardStreams.write("No onboarded accounts to verify.\n")
            return
        }
        let terminal = global.terminal()
        var columns: [TextTable.Column] = [
            .init(header: "ACCOUNT"), .init(header: "NAME", flexible: true, minimumWidth: 12),
            .init(header: akeyless ? "ROLE" : "RESULT", flexible: true, minimumWidth: 20),
        ]
        if akeyless { columns.append(.init(header: "AKEYLESS", flexible: true, minimumWidth: 16)) }
        var table = TextTable(columns: columns)
        var drifted = 0
        var unchecked = 0
        for outcome in outcomes {
            var findings = [outcome.finding]
            var cells = [Self.cell(outcome.finding)]
            if akeyless {
                // An account never synced has nothing in Akeyless to check: not a failure.
                if let finding = akeylessFindings[outcome.accountID] {
                    findings.append(finding)
                    cells.append(Self.cell(finding))
                } else {
                    cells.append(("not synced", .dim))
                }
            }
            table.append([outcome.accountID, outcome.name] + cells.map(\.text), colors: [nil, nil] + cells.map(\.color))
            if findings.contains(where: \.isDrifted) {
                drifted += 1
            } else if findings.contains(where: \.isUnchecked) {
                unchecked += 1
            }
        }
        StandardStreams.write(table.render(width: terminal.width, terminal: terminal)
            + "\(outcomes.count) accounts: \(outcomes.count - drifted - unchecked) as recorded, \(drifted) drifted, \(unchecked) not checked\n")
        if drifted + unchecked > 0 {
            throw CommandFailure(exitCode: ExitStatus.failure, lines: [])
        }
    }

    private static func cell(_ finding: RoleVerifier.Finding) -> (text: String, color: ANSIColor?) {
        switch finding {
        case .asRecorded: ("as recorded", .green)
        case .drifted(let reason): ("drifted: \(reason)", .yellow)
        case .unchecked(let reason): ("not checked: \(reason)", .red)
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
        let onboarded: [(account: AccountRecord, standing: AccountStanding)]
        do {
            onboarded = try FleetChecks(database: try global.openDatabase()).onboarded(selection.selection, includeDrifted: false)
        } catch let failure as OnboardingFailure {
            throw CommandFailure(failure)
        }
        let records = FleetExport.records(onboarded)
        switch format {
        case .json: StandardStreams.write(FleetExport.json(records))
        case .csv: StandardStreams.write(([FleetExport.csvHeader] + FleetExport.csvRows(records)).map(CSVWriter.line).joined())
        case .akeyless: StandardStreams.write(FleetExport.akeylessScript(records, version: FleetformVersion.current))
        }
    }
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
        let result: FleetChecks.PreflightResult
        do {
            result = try await FleetChecks(database: try global.openDatabase())
                .preflight(selection.selection, concurrency: concurrency)
        } catch let failure as OnboardingFailure {
            throw CommandFailure(failure)
        }
        let (accounts, failures, elapsed) = (result.accounts, result.failures, result.elapsed)
        for account in accounts {
            if let reason = failures[account.accountID] {
                StandardStreams.write("failed  \(account.accountID)  \(UnsafeText.escaped(account.name))  \(UnsafeText.escaped(reason))\n")
            }
        }
        let seconds = ProgressPrinter.seconds(elapsed)
        StandardStreams.write("""
            preflight: \(accounts.count - failures.count) of \(accounts.count) accounts can be entered \
            (\(result.requests) requests in \(seconds)s)

            """)
        if !failures.isEmpty { throw CommandFailure(exitCode: ExitStatus.failure, lines: []) }
    }
}

extension RoleVerifier.Finding {
    var isDrifted: Bool {
        if case .drifted = self { true } else { false }
    }

    var isUnchecked: Bool {
        if case .unchecked = self { true } else { false }
    }
}
