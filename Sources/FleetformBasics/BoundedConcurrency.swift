import Synchronization

/// Maps over a list with at most `limit` transforms running at once, results in input
/// order: how fleetform fans out AWS calls (preflight, verify, discovery) without
/// opening hundreds of connections at once.
public enum BoundedConcurrency {
    public static func map<Element: Sendable, Result: Sendable>(
        _ elements: [Element], limit: Int, _ transform: @escaping @Sendable (Element) async -> Result
    ) async -> [Result] {
        await withTaskGroup(of: (Int, Result).self) { group in
            var results = [Result?](repeating: nil, count: elements.count)
            var next = 0
            func startNext() {
                let index = next
                next += 1
                group.addTask { (index, await transform(elements[index])) }
            }
            while next < min(max(limit, 1), elements.count) { startNext() }
            while let (index, result) = await group.next() {
                results[index] = result
                if next < elements.count { startNext() }
            }
            return results.map { $0! }
        }
    }

    /// The throwing form, for fan-outs that fail as a whole (discovery): once one
    /// transform has thrown, no further element starts, so a missing permission costs a
    /// handful of calls, not one per account. The first error in input order among the
    /// elements that ran is thrown.
    public static func map<Element: Sendable, Value: Sendable>(
        _ elements: [Element], limit: Int, _ transform: @escaping @Sendable (Element) async throws -> Value
    ) async throws -> [Value] {
        let failed = Mutex(false)
        let outcomes: [Swift.Result<Value, any Error>?] = await map(elements, limit: limit) { element in
            if failed.withLock({ $0 }) { return nil }
            do {
                return .success(try await transform(element))
            } catch {
                failed.withLock { $0 = true }
                return .failure(error)
            }
        }
        for case .failure(let error)? in outcomes { throw error }
        return try outcomes.map { try $0!.get() }
    }
}
