import Foundation

/// Reads the command line of every process on the machine (`/proc/*/cmdline`) every
/// `interval` while a test runs, and remembers each one that contains a marker: how a
/// test proves that no secret was ever passed as an argument, to any child or grandchild.
public final class CommandLineSampler: @unchecked Sendable {
    public struct Hit: Sendable, CustomStringConvertible {
        public var pid: Int32
        public var commandLine: String
        public var description: String { "pid \(pid): \(commandLine.prefix(300))" }
    }

    private let markers: [[UInt8]]
    private let interval: TimeInterval
    private let lock = NSLock()
    private var running = true
    private var hits: [Hit] = []
    private var samples = 0
    private var seen: Set<String> = []
    private let finished = DispatchSemaphore(value: 0)

    public init(markers: [String], interval: TimeInterval = 0.05) {
        self.markers = markers.map { Array($0.utf8) }
        self.interval = interval
        Thread.detachNewThread { [self] in loop() }
    }

    /// Stops sampling and returns what was found.
    public func stop() -> (hits: [Hit], samples: Int, programs: Set<String>) {
        lock.withLock { running = false }
        finished.wait()
        return lock.withLock { (hits, samples, seen) }
    }

    private func loop() {
        defer { finished.signal() }
        while lock.withLock({ running }) {
            sample()
            Thread.sleep(forTimeInterval: interval)
        }
        sample()
    }

    private func sample() {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        var found: [Hit] = []
        var programs: Set<String> = []
        for entry in entries {
            guard let pid = Int32(entry),
                  let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"), !data.isEmpty
            else { continue }
            let bytes = [UInt8](data)
            let arguments = bytes.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if let program = arguments.first { programs.insert(URL(fileURLWithPath: program).lastPathComponent) }
            if markers.contains(where: { bytes.contains(subsequence: $0) }) {
                found.append(Hit(pid: pid, commandLine: arguments.joined(separator: " ")))
            }
        }
        lock.withLock {
            samples += 1
            hits += found
            seen.formUnion(programs)
        }
    }
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs in the bytes.
    public func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return needle.isEmpty }
        let first = needle[0]
        var index = startIndex
        while let start = self[index...].firstIndex(of: first) {
            if start + needle.count > endIndex { return false }
            if self[start..<(start + needle.count)].elementsEqual(needle) { return true }
            index = start + 1
        }
        return false
    }
}
