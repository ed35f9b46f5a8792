import ArgumentParser
import FleetformBasics
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
