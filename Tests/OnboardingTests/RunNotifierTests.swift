import FleetformBasics
import Foundation
import Testing
import TestSupport
@testable import Onboarding

/// `--notify`: the webhook delivery against a local receiver that answers as Slack and
/// Teams incoming webhooks do, is down for a while, or never answers.
@Suite(.serialized) struct RunNotifierTests {
    private let document: JSONObject = ["run_id": .string("20261206-000000-ab12"), "outcome": .string("failed"),
                                        "counts": .object(["succeeded": JSONValue(2), "failed": JSONValue(1)])]

    private func notifier(_ receiver: WebhookReceiver, timeout: Duration = .seconds(10)) -> RunNotifier {
        RunNotifier(destinations: [NotifyDestination(receiver.url)!], timeout: timeout, backoff: .milliseconds(100))
    }

    @Test func postsTheDocumentWithATextLine() async throws {
        let receiver = try WebhookReceiver.start()
        defer { receiver.stop() }
        let failures = await notifier(receiver).deliver(document, text: "fleetform apply failed: 1 failed")
        #expect(failures.isEmpty)
        let requests = try receiver.requests()
        try #require(requests.count == 1)
        #expect(requests[0].method == "POST")
        #expect(requests[0].path == "/services/T000/B000/secretpath")
        #expect(requests[0].contentType == "application/json")
        #expect(requests[0].status == 200)
        // `text` first, then the document as it is, member for member.
        #expect(requests[0].body == #"{"text":"fleetform apply failed: 1 failed","run_id":"20261206-000000-ab12","outcome":"failed","counts":{"succeeded":2,"failed":1}}"#)
    }

    @Test func retriesTwiceThenGivesUpWithAWarningNamingOnlyTheHost() async throws {
        let flaky = try WebhookReceiver.start(.failFirst(2))
        defer { flaky.stop() }
        #expect(await notifier(flaky).deliver(document, text: "t").isEmpty)
        #expect(try flaky.requests().map(\.status) == [503, 503, 200])

        let down = try WebhookReceiver.start(.failFirst(100))
        defer { down.stop() }
        let failures = await notifier(down).deliver(document, text: "t")
        #expect(try down.requests().count == 3, "one attempt and two retries")
        #expect(failures.map(\.description) == [
            "warning: the notification to http://127.0.0.1:\(down.port) was not delivered (HTTP 503, 3 attempts); the run's result is unchanged",
        ])
    }

    @Test func aReceiverThatNeverAnswersCostsAtMostTheTimeout() async throws {
        let silent = try WebhookReceiver.start(.hang)
        defer { silent.stop() }
        let answering = try WebhookReceiver.start()
        defer { answering.stop() }
        let notifier = RunNotifier(destinations: [NotifyDestination(silent.url)!, NotifyDestination(answering.url)!],
                                   timeout: .seconds(2))
        let started = ContinuousClock.now
        let failures = await notifier.deliver(document, text: "t")
        let took = ContinuousClock.now - started
        #expect(took < .milliseconds(3_800), "took \(took)")  // the timeout, plus slack for a loaded machine
        #expect(took >= .milliseconds(1_900), "took \(took)")
        #expect(failures.count == 1)
        #expect(failures.first?.reason == "no answer before the 2 s notification timeout")
        #expect(try answering.requests().count == 1, "the other destination is posted to at the same time")
        #expect(try silent.requests().count == 1)
    }

    @Test func anUnreachableReceiverIsAWarningToo() async throws {
        let closed = try LoopbackNetwork.freePort()  // free: nothing listens there
        let notifier = RunNotifier(destinations: [NotifyDestination("http://127.0.0.1:\(closed)/hook")!],
                                   timeout: .seconds(5), backoff: .milliseconds(100))
        let failures = await notifier.deliver(document, text: "t")
        #expect(failures.map(\.attempts) == [3])
        #expect(failures.first?.reason == "connection refused")
    }

    @Test func destinationsComeFromFlagsAndTheVariableEachOnce() throws {
        let destinations = try RunNotifier.destinations(
            flags: ["https://hooks.slack.com/services/T1/B1/abc", "http://127.0.0.1:9/x"],
            environment: ["FLEETFORM_NOTIFY_URL": "https://example.webhook.office.com/webhookb2/xyz, https://hooks.slack.com/services/T1/B1/abc"])
        #expect(destinations.map(\.url.absoluteString) == [
            "https://hooks.slack.com/services/T1/B1/abc", "http://127.0.0.1:9/x", "https://example.webhook.office.com/webhookb2/xyz",
        ])
        // Shown without the path, which is the webhook's secret.
        #expect(destinations.map(\.description) == [
            "https://hooks.slack.com", "http://127.0.0.1:9", "https://example.webhook.office.com",
        ])
        #expect(try RunNotifier.destinations(flags: [], environment: [:]).isEmpty)
        for (flags, variable, expected) in [
            (["ftp://example.com/x"], "", "--notify (value 1): not an http:// or https:// URL with a host"),
            ([], "https://ok.example.com/a secret-token-without-scheme", "FLEETFORM_NOTIFY_URL (value 2): not an http:// or https:// URL with a host"),
        ] {
            #expect(throws: OnboardingFailure(.usage, expected)) {
                try RunNotifier.destinations(flags: flags, environment: ["FLEETFORM_NOTIFY_URL": variable])
            }
        }
    }
}
