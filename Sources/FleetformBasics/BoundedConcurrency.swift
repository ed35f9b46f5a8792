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

    /// The throwing form: every element is transformed, then the first error (in input
    /// order) is thrown.
    public static func map<Element: Sendable, Value: Sendable>(
        _ elements: [Element], limit: Int, _ transform: @escaping @Sendable (Element) async throws -> Value
    ) async throws -> [Value] {
        let outcomes: [Swift.Result<Value, any Error>] = await map(elements, limit: limit) { element in
            do {
                return .success(try await transform(element))
            } catch {
                return .failure(error)
            }
        }
        return try outcomes.map { try $0.get() }
    }
}
