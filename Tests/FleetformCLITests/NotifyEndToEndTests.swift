import Foundation
import Testing
import TestSupport

/// `--notify` and `FLEETFORM_NOTIFY_URL` through the built binary with the provider-free
/// `scripted` template: the receivers get the run's JSON result with a `text` line, the
/// webhook's secret path is never printed, a run with nothing to do sends nothing, and a
/// receiver that never answers holds the end of the run for at most the timeout without
/// changing the exit code.
@Suite(.serialized) struct NotifyEndToEndTests {
    private let fleet: ScriptedFleet
    private let ids = (1...3).map { String(format: "3000000000%02d", $0) }
    private var control: FixtureControl { fleet.control }
    private var template: String { fleet.template }

    init() throws {
        fleet = try ScriptedFleet("fleetform-notify-e2e", accounts: ids.map {
            .init(id: $0, name: "app-\($0.suffix(2))", ouPath: "Root/Apps")
        })
    }

    private func fleetform(_ arguments: [String], extra: [String: String] = [:]) throws -> FleetformProcess.Result {
        try fleet.run(arguments, extra: extra)
    }

    @Test(.timeLimit(.minutes(3)))
    func receiversGetTheResultAndASilentOneCostsAtMostTheTimeout() throws {
        let flag = try WebhookReceiver.start()
        defer { flag.stop() }
        let variable = try WebhookReceiver.start(.failFirst(1))
        defer { variable.stop() }
        try control.fail(ids[1])

        let apply = try fleetform(["apply", "--template", template, "--skip-preflight", "--notify", flag.url],
                                  extra: ["FLEETFORM_NOTIFY_URL": variable.url])
        #expect(apply.exitCode == 1, "\(apply.stdout)\(apply.stderr)")
        #expect(!apply.stderr.contains("warning"), "\(apply.stderr)")
        let runID = try #require(try fleet.runsJSON().first?["run_id"] as? String)

        let received = try flag.requests()
        try #require(received.count == 1)
        #expect(try variable.requests().map(\.status) == [503, 200], "the variable's receiver got it on the retry")
        #expect(try variable.requests().last?.body == received[0].body)
        let body = try #require(received[0].json)
        #expect(body["run_id"] as? String == runID)
        #expect(body["command"] as? String == "apply")
        #expect(body["outcome"] as? String == "failed")
        #expect(body["counts"] as? [String: Int] == ["succeeded": 2, "failed": 1, "interrupted": 0, "skipped": 0])
        let accounts = try #require(body["accounts"] as? [[String: Any]])
        let failed = try #require(accounts.first { $0["status"] as? String == "failed" })
        #expect(failed["account_id"] as? String == ids[1])
        #expect((failed["error"] as? String)?.contains("AccessDenied: injected failure") == true)
        let text = try #require(body["text"] as? String)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("fleetform apply \(runID) failed in ") == true, "\(text)")
        #expect(lines.first?.hasSuffix(": 2 succeeded, 1 failed") == true, "\(text)")
        #expect(lines.count == 2 && lines[1].hasPrefix("failed \(ids[1]) (app-02): local-exec provisioner error: AccessDenied"),
                "\(text)")
        // The path of a webhook URL is its secret: never on the screen.
        #expect(!(apply.stdout + apply.stderr).contains("secretpath"))

        // A run that started nothing (every account up to date) sends no message.
        try control.heal(ids[1])
        #expect(try fleetform(["retry", "--skip-preflight"]).exitCode == 0)
        let afterRetry = try flag.requests().count
        let idle = try fleetform(["apply", "--template", template, "--skip-preflight", "--notify", flag.url])
        #expect(idle.exitCode == 0)
        #expect(idle.stdout.contains("3 up to date"), "\(idle.stdout)")
        #expect(try flag.requests().count == afterRetry)

        // A receiver that never answers: the run ends at most the timeout later, exit 0, one warning.
        let silent = try WebhookReceiver.start(.hang)
        defer { silent.stop() }
        let arguments = ["apply", "--template", template, "--skip-preflight", "--force", "--account", ids[0]]
        var started = Date()
        let quiet = try fleetform(arguments)
        let baseline = Date().timeIntervalSince(started)
        #expect(quiet.exitCode == 0, "\(quiet.stdout)\(quiet.stderr)")
        started = Date()
        let held = try fleetform(arguments + ["--notify", silent.url, "--notify-timeout", "3"])
        let took = Date().timeIntervalSince(started)
        #expect(held.exitCode == 0, "\(held.stdout)\(held.stderr)")
        #expect(held.stderr.contains(
            "fleetform: warning: the notification to http://127.0.0.1:\(silent.port) was not delivered (no answer before the 3 s notification timeout, 1 attempt); the run's result is unchanged"),
            "\(held.stderr)")
        #expect(took - baseline < 3 + 1.5, "the silent receiver held the run \(took - baseline) s (baseline \(baseline) s)")
        #expect(took - baseline > 2, "the notification was waited for: \(took - baseline) s")
        #expect(try silent.requests().count == 1)

        let bad = try fleetform(arguments + ["--notify", "hooks.slack.com/services/T/B/secret"])
        #expect(bad.exitCode == 64)
        #expect(bad.stderr.contains("--notify (value 1): not an http:// or https:// URL with a host"), "\(bad.stderr)")
        #expect(!bad.stderr.contains("secret"))
    }
}
