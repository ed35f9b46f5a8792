import Foundation
import Testing
import TestSupport

/// The Akeyless stand-in that fleetform's Akeyless client is tested against answers as
/// Akeyless does: the official `akeyless` Python SDK, as the client, creates, reads,
/// updates and deletes targets and AWS IAM auth methods through it, and gets the API's
/// refusals (401 for a wrong key or an expired token, 404, 409, 400 for unknown fields)
/// and injected 429/503 faults as `ApiException`s.
@Suite(.serialized) struct AkeylessStandInTests {
    @Test(.timeLimit(.minutes(3)))
    func theOfficialSDKDrivesTheStandInThroughEveryOperation() throws {
        let standIn = try AkeylessStandIn.start()
        defer { standIn.stop() }

        // Throws (the test fails, saying what is missing) without python3 or the akeyless package.
        let check = try standIn.runSDKCheck()
        let context = "check_standin_with_sdk.py:\n\(check.output)\(check.errors)\nstand-in log:\n\(standIn.logTail(40))"
        #expect(check.status == 0, Comment(rawValue: context))
        let okLine = check.output.split(separator: "\n").first { $0.hasPrefix("OK ") && $0.hasSuffix(" checks") }
        #expect(okLine != nil, Comment(rawValue: context))

        let calls = try standIn.calls()
        for operation in [
            "auth", "auth-method-get", "auth-method-create-aws-iam", "auth-method-update-aws-iam", "auth-method-delete",
            "target-get-details", "target-create-aws", "target-update-aws", "target-delete",
        ] {
            #expect(calls.requests(operation) > 0, "the SDK check never called \(operation)")
        }
        #expect(calls.writes > 0 && calls.reads > 0 && calls.auths > 0)
        #expect(calls.injected > 0, "fault_percent 100 injected nothing")
        #expect(calls.total == standIn.requests.count, "one REQUEST log line per call")
        #expect(standIn.injectedFaults.count == calls.injected)

        // The check deletes what it creates.
        let state = try standIn.state()
        #expect(state.targets.isEmpty && state.authMethods.isEmpty, "left behind: \(state)")

        // Neither the access key nor any issued token reaches the log.
        #expect(!standIn.log.contains(standIn.configuration.accessKey))
        // Tokens are "t-" and 32 hex digits.
        #expect(!standIn.log.contains(/t-[0-9a-f]{32}/), "a token in the log:\n\(standIn.logTail())")

        try standIn.resetCalls()
        #expect(try standIn.calls().total == 0)
    }
}
