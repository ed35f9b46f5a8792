/// A test prerequisite that is missing or broken (a tool not on PATH, a server that did
/// not start). Thrown rather than skipped: a test that cannot run must fail.
public struct TestEnvironmentError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
