import ArgumentParser
import Foundation
import Inventory
import Onboarding
import Terraform

/// `fleetform apply`: create or update the gateway role in every selected account.
struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Create or update the gateway role in the selected accounts.",
        discussion: """
            Accounts whose last successful apply used the same template, variables and Terraform \
            version are skipped without starting terraform (use --force to run them anyway).
            """
    )

    @OptionGroup(title: "Selection") var selection: SelectionOptions
    @OptionGroup(title: "Run") var run: RunOptions
    @OptionGroup(title: "Queue") var queue: EnqueueOption
    @OptionGroup(title: "Canary") var canary: CanaryOption
    @OptionGroup var template: TemplateOption
    @Flag(help: "Run accounts that are already up to date too.") var force = false
    @OptionGroup var adoption: AdoptOption
    @OptionGroup(title: "Discovery (with --discover)") var discovery: DiscoverFirstOptions
    @Flag(help: "Then sync the accounts that succeeded with Akeyless (see `akeyless sync`).") var akeyless = false
    @Flag(help: "Print the result as one JSON document on stdout (progress and the summary go to stderr).")
    var json = false
    @OptionGroup(title: "Akeyless (with --akeyless)") var akeylessConnection: AkeylessConnectionOptions
    @OptionGroup(title: "Akeyless items (with --akeyless)") var akeylessPlacement: AkeylessPlacementOptions
    @OptionGroup(title: "Notifications") var notify: NotifyOptions
    @OptionGroup(title: "Global options") var global: GlobalOptions

    func run() async throws {
        var settings = akeylessPlacement.settings
        settings.failureTolerance = run.settings.failureTolerance
        var runSettings = run.settings
        runSettings.canary = canary.canary
        try await RunDriver(global: global).execute(FleetRun.Request(
            command: .apply, selection: selection.selection, template: template.name, settings: runSettings,
            force: force, allowTemplateSwitch: template.switchTemplate, adopt: adoption.adopt,
            akeyless: AkeylessRunOptions(connection: akeylessConnection.connection(), sync: akeyless ? settings : nil),
            discovery: discovery.request).enqueued(queue),
            json: json, notifier: try notify.notifier())
    }
}

/// `fleetform plan`: what apply would change, per account and in total.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what apply would change in the selected accounts, and change nothing."
    )

    @OptionGroup(title: "Selection") var selection: SelectionOptions
    @OptionGroup(title: "Run") var run: RunOptions
    @OptionGroup(title: "Queue") var queue: EnqueueOption
    @OptionGroup var template: TemplateOption
    @Flag(help: "Exit 2 when any account has changes (0: none, 1: failures), like terraform plan.")
    var detailedExitcode = false
    @Flag(help: "Print the result as one JSON document on stdout (progress and the summary go to stderr).")
    var json = false
    @OptionGroup var adoption: AdoptOption
    @OptionGroup(title: "Notifications") var notify: NotifyOptions
    @OptionGroup(title: "Global options") var global: GlobalOptions

    func run() async throws {
        try await RunDriver(global: global).execute(FleetRun.Request(
            command: .plan, selection: selection.selection, template: template.name, settings: run.settings,
            allowTemplateSwitch: template.switchTemplate, adopt: adoption.adopt).enqueued(queue), detailedExitCode: detailedExitcode,
            json: json,
            notifier: try notify.notifier())
    }
}

/// `fleetform retry`: run again the accounts whose latest job failed or was interrupted.
struct RetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Run again the accounts whose latest apply or destroy failed or was interrupted.",
        discussion: """
            Each account is retried with the operation and template of the job that failed. Accounts whose             Akeyless sync failed or is waiting for their role are then synced again, with the target and             auth method their sync used, when AKEYLESS_ACCESS_ID is set.
            """
    )

    @OptionGroup(title: "Selection (narrows the accounts to retry)") var selection: SelectionOptions
    @OptionGroup(title: "Run") var run: RunOptions
    @OptionGroup(title: "Queue") var queue: EnqueueOption
    @OptionGroup var adoption: AdoptOption
    @OptionGroup(title: "Akeyless") var akeylessConnection: AkeylessConnectionOptions
    @Flag(help: "Print the result as one JSON document on stdout (progress and the summary go to stderr).")
    var json = false
    @OptionGroup(title: "Notifications") var notify: NotifyOptions
    @OptionGroup(title: "Global options") var global: GlobalOptions

    func run() async throws {
        try await RunDriver(global: global).execute(FleetRun.Request(
            command: .retry, selection: selection.selection, settings: run.settings, adopt: adoption.adopt,
            akeyless: AkeylessRunOptions(connection: akeylessConnection.connection())).enqueued(queue), json: json,
            notifier: try notify.notifier())
    }
}

/// `fleetform destroy`: remove what apply created.
struct DestroyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "destroy",
        abstract: "Destroy the gateway role, policy and instance profile in the selected accounts.",
        discussion: """
            An account synced with Akeyless loses its target and its auth method binding first; without             Akeyless credentials its destroy is refused, unless --keep-akeyless.
            """
    )

    @OptionGroup(title: "Selection") var selection: SelectionOptions
    @OptionGroup(title: "Run") var run: RunOptions
    @OptionGroup(title: "Queue") var queue: EnqueueOption
    @OptionGroup(title: "Canary") var canary: CanaryOption
    @OptionGroup var template: TemplateOption
    @Flag(help: "Do not ask for confirmation (required when not run from a terminal).") var yes = false
    @Flag(help: "Leave synced accounts' Akeyless targets and bindings in place.") var keepAkeyless = false
    @Flag(help: "Print the result as one JSON document on stdout (progress and the summary go to stderr).")
    var json = false
    @OptionGroup(title: "Akeyless") var akeylessConnection: AkeylessConnectionOptions
    @OptionGroup(title: "Notifications") var notify: NotifyOptions
    @OptionGroup(title: "Global options") var global: GlobalOptions

    func run() async throws {
        var settings = run.settings
        settings.canary = canary.canary
        try await RunDriver(global: global).execute(FleetRun.Request(
            command: .destroy, selection: selection.selection, template: template.name, settings: settings,
            allowTemplateSwitch: template.switchTemplate, confirmDestroy: yes ? nil : Self.confirm,
            akeyless: AkeylessRunOptions(connection: akeylessConnection.connection(), keep: keepAkeyless)).enqueued(queue),
            json: json,
            notifier: try notify.notifier())
    }

    /// Asks on the terminal; without one, `--yes` is required.
    @Sendable private static func confirm(count: Int) throws(OnboardingFailure) {
        guard isatty(STDIN_FILENO) == 1 else {
            throw OnboardingFailure(.usage, "destroy: refusing to destroy \(count) accounts without --yes when not run from a terminal")
        }
        StandardStreams.write("Destroy the gateway role in \(count) accounts? Type 'destroy' to confirm: ")
        guard readLine()?.trimmingCharacters(in: .whitespaces) == "destroy" else {
            throw OnboardingFailure(.usage, "destroy: not confirmed; nothing was changed")
        }
    }
}

/// `--adopt`, shared by apply, plan and retry.
struct AdoptOption: ParsableArguments {
    @Flag(help: ArgumentHelp(
        "Take over the role, policy, instance profile and attachment where they already exist.",
        discussion: """
            Each is looked up through the access role and imported, then brought to the template; objects \
            that do not exist are created as usual. An object that cannot be taken over safely fails its account.
            """))
    var adopt = false
}
