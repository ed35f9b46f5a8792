import Foundation

/// Steers the `scripted` fixture template (Tests/Fixtures/templates/scripted): its
/// local-exec reads files in this directory, named by account, and appends what it did.
/// Terraform gets the directory through `FLEETFORM_FIXTURE_CONTROL`.
public final class FixtureControl: Sendable {
    public let directory: TemporaryDirectory

    public init() throws {
        directory = try TemporaryDirectory("fleetform-fixture")
    }

    public var environment: [String: String] { ["FLEETFORM_FIXTURE_CONTROL": directory.path] }

    public static var scriptedTemplate: URL { RepositoryFiles.url("Tests/Fixtures/templates/scripted") }

    /// Every account's apply sleeps this long.
    public func sleepAll(seconds: Double) throws {
        try directory.write("sleep", "\(seconds)")
    }

    public func sleep(_ account: String, seconds: Double) throws {
        try directory.write("\(account).sleep", "\(seconds)")
    }

    /// The account fails with an AccessDenied message until `heal` is called.
    public func fail(_ account: String) throws {
        try directory.write("\(account).fail", "")
    }

    public func heal(_ account: String) throws {
        try FileManager.default.removeItem(at: directory.url.appendingPathComponent("\(account).fail"))
    }

    /// The account's next `times` applies fail with a throttling message.
    public func failTransiently(_ account: String, times: Int) throws {
        try directory.write("\(account).transient", "\(times)")
    }

    /// (account, start, end) of every provisioner run; end is nil while it runs.
    public func executions() -> [(account: String, start: Double, end: Double?)] {
        let text = (try? String(contentsOf: directory.url.appendingPathComponent("events"), encoding: .utf8)) ?? ""
        var open: [String: [Int]] = [:]
        var result: [(account: String, start: Double, end: Double?)] = []
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 3, let time = Double(parts[2]) else { continue }
            let account = String(parts[1])
            if parts[0] == "start" {
                open[account, default: []].append(result.count)
                result.append((account, time, nil))
            } else if let index = open[account]?.popLast() {
                result[index].end = time
            }
        }
        return result
    }

    /// The most provisioner runs that overlapped at any moment.
    public func maximumConcurrency() -> Int {
        var points: [(Double, Int)] = []
        for execution in executions() {
            points.append((execution.start, 1))
            points.append((execution.end ?? .infinity, -1))
        }
        points.sort { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
        var current = 0, maximum = 0
        for point in points {
            current += point.1
            maximum = max(maximum, current)
        }
        return maximum
    }

    /// How many times each account's resource was created successfully.
    public func appliedCounts() -> [String: Int] {
        let text = (try? String(contentsOf: directory.url.appendingPathComponent("applied"), encoding: .utf8)) ?? ""
        var counts: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            counts[String(line.split(separator: " ").last ?? ""), default: 0] += 1
        }
        return counts
    }

    /// Waits until `count` provisioner runs have started, or `timeout` passes.
    public func waitForStarts(_ count: Int, timeout: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if executions().count >= count { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return false
    }
}
