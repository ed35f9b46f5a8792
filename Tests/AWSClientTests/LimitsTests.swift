import Foundation
import Synchronization
import Testing
import TestSupport
@testable import AWSClient

/// Answers Organizations list calls from a closure (below the HTTP seam), counting them.
final class RoutingTransport: HTTPTransport {
    private let answer: @Sendable (HTTPRequest, Int) throws -> HTTPResponse
    private let count = Mutex(0)

    init(_ answer: @escaping @Sendable (HTTPRequest, Int) throws -> HTTPResponse) {
        self.answer = answer
    }

    var requests: Int { count.withLock { $0 } }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let number = count.withLock { $0 += 1; return $0 }
        return try answer(request, number)
    }
}

/// The limits that keep one bad server from hanging a command: pages per listing,
/// refused connections, the request deadline and the per-command retry budget.
@Suite struct LimitsTests {
    static let keys = [
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "AWS_REGION": "eu-west-1", "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    ]

    private func session(_ transport: any HTTPTransport, endpoint: String? = nil, retry: RetryPolicy = RetryPolicy(
        maximumAttempts: 5, base: .milliseconds(1), cap: .milliseconds(5))) -> AWSSession {
        var environment = Self.keys
        if let endpoint { environment["AWS_ENDPOINT_URL"] = endpoint }
        return AWSSession(environment: environment, homeDirectory: "/nonexistent", transport: transport, retry: retry)
    }

    // MARK: Pagination

    @Test func aRepeatedNextTokenEndsTheListingAtOnce() async throws {
        let transport = RoutingTransport { _, _ in
            HTTPResponse(status: 200, body: Array(#"{"Accounts": [], "NextToken": "same-token"}"#.utf8))
        }
        let error = await #expect(throws: AWSError.self) {
            _ = try await session(transport).organizations().accounts(parentID: "ou-abcd-1234")
        }
        #expect(error?.description
            == "Organizations returned the same NextToken twice (Organizations ListAccountsForParent ou-abcd-1234)")
        #expect(error?.code == AWSError.paginationLoop)
        // The first answer gave the token, the second repeated it: two requests, not 1,428.
        #expect(transport.requests == 2)
    }

    @Test func aTokenSeenEarlierInTheListingCountsAsRepeated() async throws {
        // A, B, A: a loop of two pages.
        let transport = RoutingTransport { _, number in
            HTTPResponse(status: 200, body: Array(#"{"OrganizationalUnits": [], "NextToken": "\#(number % 2 == 1 ? "A" : "B")"}"#.utf8))
        }
        await #expect(throws: AWSError.self) {
            _ = try await session(transport).organizations().organizationalUnits(parentID: "r-ab12")
        }
        #expect(transport.requests == 3)
    }

    @Test func moreThanThePageLimitEndsTheListing() async throws {
        let transport = RoutingTransport { _, number in
            HTTPResponse(status: 200, body: Array(#"{"Accounts": [], "NextToken": "token-\#(number)"}"#.utf8))
        }
        var organizations = try session(transport).organizations()
        #expect(organizations.pageLimit == 10_000)
        organizations.pageLimit = 25
        let error = await #expect(throws: AWSError.self) { _ = try await organizations.accounts(parentID: "ou-abcd-1234") }
        #expect(error?.description == "Organizations returned more than 25 pages, the most fleetform reads of one listing "
            + "(Organizations ListAccountsForParent ou-abcd-1234)")
        #expect(transport.requests == 25)
    }

    // MARK: Refused connections

    @Test func aRefusedLoopbackEndpointFailsAtOnceAndStaysFailed() async throws {
        let port = try LoopbackNetwork.freePort()
        let endpoint = "http://127.0.0.1:\(port)"
        let session = session(URLSessionTransport(), endpoint: endpoint,
                              retry: RetryPolicy(maximumAttempts: 10, base: .seconds(1), cap: .seconds(5)))
        let clock = ContinuousClock()
        let started = clock.now
        let error = await #expect(throws: AWSError.self) { _ = try await session.sts().callerIdentity() }
        #expect(clock.now - started < .seconds(1), "took \(clock.now - started)")
        #expect(error?.cause == "cannot connect to \(endpoint) (connection refused); is the endpoint running? (AWS_ENDPOINT_URL)")
        #expect(error?.code == AWSError.connectionRefused)
        #expect(session.requests.value == 1)
        // Later calls in the same command do not try again.
        let again = await #expect(throws: AWSError.self) { _ = try await session.organizations().roots() }
        #expect(again?.cause == error?.cause)
        #expect(session.requests.value == 1)
    }

    @Test func aRefusedRemoteEndpointGetsTwoAttempts() async throws {
        let transport = RoutingTransport { _, _ in throw URLError(.cannotConnectToHost) }
        let session = session(transport, endpoint: "http://10.20.30.40:4566",
                              retry: RetryPolicy(maximumAttempts: 10, base: .milliseconds(1), cap: .milliseconds(2)))
        let error = await #expect(throws: AWSError.self) { _ = try await session.sts().callerIdentity() }
        #expect(error?.description == "cannot connect to http://10.20.30.40:4566 (connection refused); is the endpoint running? "
            + "(AWS_ENDPOINT_URL) (STS GetCallerIdentity)")
        #expect(transport.requests == 2)
        // AWS's own endpoint has no variable to blame.
        let own = RoutingTransport { _, _ in throw URLError(.cannotConnectToHost) }
        let direct = await #expect(throws: AWSError.self) { _ = try await self.session(own).sts().callerIdentity() }
        #expect(direct?.cause == "cannot connect to https://sts.eu-west-1.amazonaws.com (connection refused); "
            + "check the network, a proxy or a firewall")
        #expect(own.requests == 2)
    }

    // MARK: Request deadline

    @Test(.timeLimit(.minutes(1)))
    func aServerThatTricklesHitsTheRequestDeadline() async throws {
        let server = try TricklingHTTPServer(interval: 0.1)
        defer { server.stop() }
        let transport = URLSessionTransport(idleTimeout: .seconds(20), deadline: .seconds(1))
        let clock = ContinuousClock()
        let started = clock.now
        await #expect(throws: RequestDeadlineExceeded(limit: .seconds(1))) {
            _ = try await transport.send(HTTPRequest(method: "POST", url: URL(string: server.endpoint)!, headers: [:], body: []))
        }
        let elapsed = clock.now - started
        #expect(elapsed >= .seconds(1) && elapsed < .seconds(3), "took \(elapsed)")

        // Through a session: retried (it is transient), and the error names the deadline.
        let session = session(transport, endpoint: server.endpoint,
                              retry: RetryPolicy(maximumAttempts: 2, base: .milliseconds(1), cap: .milliseconds(2)))
        let error = await #expect(throws: AWSError.self) { _ = try await session.sts().callerIdentity() }
        #expect(error?.description == "no complete answer from \(server.endpoint) within 1 s (the request deadline) (STS GetCallerIdentity)")
        #expect(session.requests.value == 2)
    }

    // MARK: Retry budget

    @Test func retriesShareOneBudgetPerCommand() async throws {
        let throttled = HTTPResponse(status: 400, body: Array(
            "<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>".utf8))
        let transport = RoutingTransport { _, _ in throttled }
        let retry = RetryPolicy(maximumAttempts: 10, base: .milliseconds(10), cap: .milliseconds(20), budget: .milliseconds(100))
        let session = session(transport, retry: retry)
        let sts = try session.sts()
        let errors = await withTaskGroup(of: AWSError?.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    do { _ = try await sts.callerIdentity(); return nil } catch { return error as? AWSError }
                }
            }
            var errors: [AWSError] = []
            for await error in group { if let error { errors.append(error) } }
            return errors
        }
        #expect(errors.count == 16)
        // Without the budget: 16 calls × 10 attempts.
        #expect(transport.requests < 16 * 10 / 2, "\(transport.requests) requests")
        let stopped = errors.filter { $0.note != nil }
        #expect(!stopped.isEmpty)
        #expect(stopped.first?.description == "Throttling: Rate exceeded; not retried: this command's retry budget "
            + "(0.1 s of failed attempts and pauses) is used up (STS GetCallerIdentity)")
        #expect(session.retryBudget.isUsedUp)
        // Another command (session) starts with a full budget.
        #expect(!self.session(transport, retry: retry).retryBudget.isUsedUp)
    }
}
