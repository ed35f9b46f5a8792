import AkeylessClient
import ArgumentParser
import Foundation
import Inventory
import Onboarding

/// `fleetform akeyless …`: the Akeyless side of onboarding.
struct AkeylessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "akeyless",
        abstract: "Register the onboarded accounts in Akeyless.",
        subcommands: [AkeylessSyncCommand.self]
    )
}

/// `fleetform akeyless sync [selection]`.
struct AkeylessSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Create or repair each onboarded account's Akeyless AWS target and its AWS IAM auth method binding.",
        discussion: """
            Reads first and writes only what differs: a second sync with nothing changed makes no write. \
            Credentials come from AKEYLESS_ACCESS_ID with AKEYLESS_ACCESS_KEY (access_key), or with the AWS \
            credentials (aws_iam). Exits 1 if any account could not be synced; `fleetform retry` syncs it again.
            """
    )

    @OptionGroup(title: "Selection") var selection: SelectionOptions
    @OptionGroup(title: "Akeyless") var connection: AkeylessConnectionOptions
    @OptionGroup(title: "Akeyless items") var placement: AkeylessPlacementOptions
    @Option(help: ArgumentHelp("Akeyless calls at once.", valueName: "n")) var parallel = AkeylessAPI.defaultConcurrency
    @Option(help: ArgumentHelp(
        "Failed accounts to accept before no new account starts: a count or a percentage (10%).", valueName: "n|p%"))
    var failureTolerance: String?
    @OptionGroup(title: "Global options") var global: GlobalOptions

    func validate() throws {
        if parallel < 1 { throw ValidationError("--parallel \(parallel): must be at least 1") }
        if let failureTolerance, FailureTolerance(failureTolerance) == nil {
            throw ValidationError("--failure-tolerance \(failureTolerance): must be a count (3) or a percentage (10%)")
        }
    }

    func run() async throws {
        let terminal = global.terminal()
        let progress = ProgressPrinter(terminal: terminal, isTTY: isatty(STDOUT_FILENO) == 1)
        let stop = StopController()
        let interrupts = InterruptHandler(stop: stop, grace: .seconds(0)) { _ in
            StandardStreams.writeError(["fleetform: stopping: no new account will start"])
        }
        defer { interrupts.cancel() }
        var settings = placement.settings
        settings.failureTolerance = failureTolerance.flatMap(FailureTolerance.init)
        let database = try global.openDatabase()
        let report: AkeylessSync.Report?
        do {
            report = try await FleetAkeyless(home: global.resolvedHome, database: database)
                .sync(selection.selection, settings: settings, connection: connection.connection(concurrency: parallel),
                      stop: stop) { progress.handle(.akeylessAccountSynced($0)) }
        } catch {
            throw CommandFailure(error)
        }
        progress.finish()
        guard let report else {
            StandardStreams.write("No onboarded accounts to sync: apply them first.\n")
            return
        }
        StandardStreams.write(AkeylessSyncText.summary(report, terminal: terminal))
        if stop.isStopRequested { throw CommandFailure(exitCode: ExitStatus.interrupted, lines: []) }
        if report.failed > 0 { throw CommandFailure(exitCode: ExitStatus.failure, lines: []) }
    }
}

/// `--akeyless-url` and `--akeyless-access-type`: where and as whom Akeyless is called.
struct AkeylessConnectionOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The Akeyless API, or a gateway's /api/v2 URL (default: AKEYLESS_API_URL, else \(AkeylessEndpoint.defaultURL)).",
        valueName: "url"))
    var akeylessURL: String?

    @Option(help: ArgumentHelp(
        "access_key (AKEYLESS_ACCESS_ID + AKEYLESS_ACCESS_KEY) or aws_iam (AKEYLESS_ACCESS_ID + your AWS credentials); default: AKEYLESS_ACCESS_TYPE, else access_key.",
        valueName: "type"))
    var akeylessAccessType: String?

    func validate() throws {
        if let akeylessURL {
            do { _ = try AkeylessEndpoint(akeylessURL) } catch { throw ValidationError("--akeyless-url: \(error)") }
        }
        if let akeylessAccessType, AkeylessLogin.AccessType(rawValue: akeylessAccessType) == nil {
            throw ValidationError("--akeyless-access-type \(akeylessAccessType): must be access_key or aws_iam")
        }
    }

    func connection(concurrency: Int = AkeylessAPI.defaultConcurrency) -> AkeylessConnection {
        AkeylessConnection(url: akeylessURL, accessType: akeylessAccessType, concurrency: concurrency)
    }
}

/// `--target-prefix`, `--auth-method`, `--auth-method-per-account`: what a sync creates.
struct AkeylessPlacementOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Each account's target is <prefix>/<account_id>.", valueName: "path"))
    var targetPrefix = AkeylessSync.Settings.defaultTargetPrefix

    @Option(help: ArgumentHelp(
        "The AWS IAM auth method bound to every synced account (with --auth-method-per-account: the prefix of one per account).",
        valueName: "name"))
    var authMethod = AkeylessSync.Settings.defaultAuthMethod

    @Flag(help: "One auth method <auth-method>/<account_id> per account, bound to that account alone.")
    var authMethodPerAccount = false

    func validate() throws {
        for (flag, value) in [("--target-prefix", targetPrefix), ("--auth-method", authMethod)] {
            if let problem = Self.pathProblem(value) { throw ValidationError("\(flag) \(value): \(problem)") }
        }
    }

    /// An Akeyless item path: not empty, no spaces or control characters, no empty segment.
    static func pathProblem(_ path: String) -> String? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst(path.hasPrefix("/") ? 1 : 0)
        if segments.allSatisfy(\.isEmpty) { return "must name a path like /fleetform/aws" }
        if path.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) {
            return "must not contain spaces or control characters"
        }
        if segments.dropLast().contains(where: \.isEmpty) { return "must not contain an empty path segment (//)" }
        return nil
    }

    var settings: AkeylessSync.Settings {
        AkeylessSync.Settings(targetPrefix: targetPrefix, authMethod: authMethod,
                              layout: authMethodPerAccount ? .perAccount : .shared)
    }
}
