import Synchronization
import Testing
@testable import FleetformBasics

@Suite struct BoundedConcurrencyTests {
    @Test func keepsOrderAndNeverExceedsTheLimit() async {
        let running = Mutex((now: 0, peak: 0))
        let results = await BoundedConcurrency.map(Array(0..<40), limit: 3) { value -> Int in
            running.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) }
            try? await Task.sleep(for: .milliseconds(Int.random(in: 1...5)))
            running.withLock { $0.now -= 1 }
            return value * 2
        }
        #expect(results == Array(0..<40).map { $0 * 2 })
        #expect(running.withLock { $0.peak } <= 3)
        #expect(running.withLock { $0.peak } >= 2)
    }

    struct Failure: Error, Equatable {
        var value: Int
    }

    @Test func throwsTheFirstErrorInInputOrder() async {
        await #expect(throws: Failure(value: 3)) {
            _ = try await BoundedConcurrency.map(Array(0..<10), limit: 4) { value -> Int in
                if value == 3 || value == 7 { throw Failure(value: value) }
                return value
            }
        }
        #expect(await BoundedConcurrency.map([Int](), limit: 4) { $0 }.isEmpty)
    }

    /// A fan-out that fails as a whole stops starting elements after the first error: a
    /// missing permission costs a few calls, not one per account.
    @Test func startsNothingAfterAFailure() async {
        let started = Mutex(0)
        await #expect(throws: Failure(value: 1)) {
            _ = try await BoundedConcurrency.map(Array(0..<100), limit: 2) { value -> Int in
                started.withLock { $0 += 1 }
                try await Task.sleep(for: .milliseconds(5))
                if value == 1 { throw Failure(value: value) }
                return value
            }
        }
        #expect(started.withLock { $0 } <= 4, "\(started.withLock { $0 }) started")
    }
}
