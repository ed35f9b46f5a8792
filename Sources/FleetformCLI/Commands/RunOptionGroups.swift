import ArgumentParser
import FleetformBasics
import Foundation
import Inventory
import Onboarding

/// `--account ID`…, `--ou PATH_PREFIX`…, `--tag KEY[=VALUE]`…, `--exclude-account ID`…
/// and `--exclude-ou PATH_PREFIX`…: which accounts a command works on. `--tag` matches
/// the account's own tags (`account_tags`), not the resource tags of its IAM objects.
struct SelectionOptions: ParsableArguments {
    @Option(name: .customLong("account"), help: ArgumentHelp(
        "Only this account (repeatable).", valueName: "id"))
    var accounts: [String] = []

    @Option(name: .customLong("ou"), help: ArgumentHelp(
        "Only accounts under this OU path, e.g. Root/Workloads/Prod (repeatable).", valueName: "path-prefix"))
    var ous: [String] = []

    @Option(name: .customLong("tag"), help: ArgumentHelp(
        "Only accounts with this account tag (KEY=VALUE) or with this tag key at all (KEY); repeatable, all must match.",
        valueName: "key[=value]"))
    var tags: [String] = []

    @Option(name: .customLong("exclude-account"), help: ArgumentHelp(
        "Leave this account out (repeatable; applied after the filters above).", valueName: "id"))
    var excludedAccounts: [String] = []

    @Option(name: .customLong("exclude-ou"), help: ArgumentHelp(
        "Leave out the accounts under this OU path (repeatable).", valueName: "path-prefix"))
    var excludedOUs: [String] = []

    func validate() throws {
        for (flag, ids) in [("--account", accounts), ("--exclude-account", excludedAccounts)] {
            for id in ids where AccountFieldRules.accountIDProblem(id) != nil {
                throw ValidationError("\(flag) \(id): must be a 12-digit account ID")
            }
        }
        for tag in tags {
            // The text is echoed back: a control character in it must not reach the
            // terminal as one.
            if let problem = AccountFieldRules.unsafeTextProblem(tag) {
                throw ValidationError("--tag \(UnsafeText.escaped(tag)): \(problem)")
            }
            if AccountSelection.TagFilter(tag) == nil {
                throw ValidationError("--tag \(tag.isEmpty ? "\"\"" : tag): the tag key must not be empty; give KEY=VALUE or KEY")
            }
        }
        for (flag, paths) in [("--ou", ous), ("--exclude-ou", excludedOUs)] {
            for ou in paths where AccountFieldRules.ouPathProblem(ou.hasSuffix("/") ? String(ou.dropLast()) : ou) != nil {
                throw ValidationError("\(flag) \(ou): must be an OU path starting at Root, like Root/Workloads")
            }
        }
    }

    var selection: AccountSelection {
        AccountSelection(accountIDs: accounts, ouPrefixes: ous, tags: tags.compactMap(AccountSelection.TagFilter.init),
                         excludedAccountIDs: excludedAccounts, excludedOUPrefixes: excludedOUs)
    }
}

/// Options of every command that runs terraform.
struct RunOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Terraform processes at once (default: 2 per core, lowered to what memory holds).", valueName: "n"))
    var parallel: Int?

    @Option(help: ArgumentHelp(
        "Failed accounts to accept before no new job starts: a count or a percentage (10%). Default: attempt every account.",
        valueName: "n|p%"))
    var failureTolerance: String?

    @Option(help: ArgumentHelp("Attempts per account for transient errors (throttling, lock contention).", valueName: "n"))
    var maxAttempts = 3

    @Option(help: ArgumentHelp("The terraform binary (default: terraform on PATH).", valueName: "path"))
    var terraform: String?

    @Option(help: ArgumentHelp("Seconds a stopped terraform gets to save its state before it is killed.", valueName: "seconds"))
    var gracePeriod = 60

    @Option(help: ArgumentHelp(
        "Seconds to wait for a terraform that a killed fleetform left running on an account before failing that account.",
        valueName: "seconds"))
    var survivorTimeout = 600

    @Flag(help: "Pass TF_LOG and friends to terraform (blanked by default: they flood the logs).")
    var terraformLog = false

    @Flag(help: "Do not assume each account's access role before terraform starts.")
    var skipPreflight = false

    func validate() throws {
        if let parallel, parallel < 1 { throw ValidationError("--parallel \(parallel): must be at least 1") }
        if maxAttempts < 1 { throw ValidationError("--max-attempts \(maxAttempts): must be at least 1") }
        if gracePeriod < 0 { throw ValidationError("--grace-period \(gracePeriod): must not be negative") }
        if survivorTimeout < 0 { throw ValidationError("--survivor-timeout \(survivorTimeout): must not be negative") }
        if let failureTolerance, FailureTolerance(failureTolerance) == nil {
            throw ValidationError("--failure-tolerance \(failureTolerance): must be a count (3) or a percentage (10%)")
        }
    }

    var settings: RunSettings {
        RunSettings(
            parallel: parallel, failureTolerance: failureTolerance.flatMap(FailureTolerance.init),
            maxAttempts: maxAttempts, terraformPath: terraform, gracePeriod: .seconds(gracePeriod),
            survivorTimeout: .seconds(survivorTimeout), terraformDebugLog: terraformLog, skipPreflight: skipPreflight)
    }
}

/// `--canary N`, shared by apply and destroy.
struct CanaryOption: ParsableArguments {
    // Unconditional, so that `--canary -1` reads -1 and is refused as such, not as a
    // missing value.
    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Run this many accounts first, one per OU in turn; the others start only if all of them succeed.",
        discussion: """
            The canary is chosen among the accounts that have work (up-to-date accounts are not); every \
            canary is attempted, with --parallel. If one fails, the other accounts are skipped and the run \
            exits 1; if all succeed, the others start, with --parallel and --failure-tolerance.
            """,
        valueName: "n"))
    var canary: Int?

    func validate() throws {
        if let canary, canary < 1 { throw ValidationError("--canary \(canary): must be at least 1") }
    }
}

/// `--template DIR`.
struct TemplateOption: ParsableArguments {
    @Option(help: ArgumentHelp(
        "A Terraform root module to render per account instead of the built-in akeyless-gateway-role (see `template export`).",
        valueName: "dir"))
    var template: String?

    @Flag(help: "Apply to accounts last applied with another template (terraform then destroys what that template made).")
    var switchTemplate = false

    /// As recorded in runs: the built-in name, or the directory's absolute path.
    var name: String { TemplateCatalog.name(forDirectory: template) }
}

/// `--notify URL`… and `--notify-timeout`: where a run's result is posted at its end.
struct NotifyOptions: ParsableArguments {
    @Option(name: .customLong("notify"), help: ArgumentHelp(
        "POST the run's result (the --json document with a `text` line for Slack or Teams) to this webhook at the end "
            + "(repeatable; also FLEETFORM_NOTIFY_URL, which keeps the URL's secret off the command line).",
        valueName: "url"))
    var urls: [String] = []

    @Option(help: ArgumentHelp(
        "Seconds the notification may add to the end of the run, retries included; a notification not delivered by then is a warning.",
        valueName: "seconds"))
    var notifyTimeout = Int(RunNotifier.defaultTimeout.components.seconds)

    func validate() throws {
        if notifyTimeout < 1 { throw ValidationError("--notify-timeout \(notifyTimeout): must be at least 1") }
    }

    /// Nil when neither the flag nor the variable names a destination.
    func notifier() throws -> RunNotifier? {
        let destinations: [NotifyDestination]
        do {
            destinations = try RunNotifier.destinations(flags: urls, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw CommandFailure(error)
        }
        guard !destinations.isEmpty else { return nil }
        return RunNotifier(destinations: destinations, timeout: .seconds(notifyTimeout))
    }
}

/// `apply --discover` and the discovery's own options (`inventory discover`'s, with
/// `--discover-ou` for its `--ou`, which here selects by OU path).
struct DiscoverFirstOptions: ParsableArguments {
    @Flag(help: ArgumentHelp(
        "Discover the organization first (as `inventory discover --prune`), then apply to what is new, changed or failed.",
        discussion: "Accounts that left the organization or are no longer ACTIVE are disabled, never destroyed."))
    var discover = false

    @Option(name: .customLong("discover-ou"), help: ArgumentHelp(
        "With --discover: only this OU's subtree (repeatable).", valueName: "ou-id"))
    var ouIDs: [String] = []

    @Flag(help: "With --discover: enable accounts that are not ACTIVE.") var includeSuspended = false
    @Flag(help: "With --discover: enable the management account itself.") var includeManagement = false
    @Flag(help: "With --discover: read each account's tags from Organizations as its account tags (for --tag).")
    var withTags = false

    @Option(name: .customLong("discover-region"), help: ArgumentHelp(
        "With --discover: region of newly discovered accounts (default: the AWS region, else us-east-1).", valueName: "region"))
    var region: String?

    func validate() throws {
        if !discover {
            for (flag, given) in [("--discover-ou", !ouIDs.isEmpty), ("--include-suspended", includeSuspended),
                                  ("--include-management", includeManagement), ("--with-tags", withTags),
                                  ("--discover-region", region != nil)] where given {
                throw ValidationError("\(flag) needs --discover")
            }
        }
        try DiscoveryFlags.validate(ouIDs: ouIDs, ouFlag: "--discover-ou", region: region, regionFlag: "--discover-region")
    }

    /// Nil without `--discover`. Always prunes: an account that left must leave the runs.
    var request: InventoryDiscovery.Request? {
        guard discover else { return nil }
        return InventoryDiscovery.Request(
            options: .init(ouIDs: ouIDs, includeSuspended: includeSuspended, includeManagement: includeManagement,
                           withTags: withTags),
            prune: true, region: region)
    }
}

/// The checks `inventory discover` and `apply --discover` share, under their own flag names.
enum DiscoveryFlags {
    static func validate(ouIDs: [String], ouFlag: String, region: String?, regionFlag: String) throws {
        for id in ouIDs where !(id.hasPrefix("ou-") || id.hasPrefix("r-")) {
            throw ValidationError("\(ouFlag) \(id): must be an OU ID like ou-ab12-cd34ef56")
        }
        if let region, let problem = AccountFieldRules.regionProblem(region) {
            throw ValidationError("\(regionFlag): \(problem)")
        }
    }
}
