import Foundation

/// How many terraform processes to run at once.
public enum ParallelismPolicy {
    /// Memory one terraform with the aws provider takes at its peak (terraform plus
    /// provider, measured on this provider version: 600–820 MB).
    public static let bytesPerTerraform: UInt64 = 800 * 1024 * 1024

    public struct Decision: Sendable, Equatable {
        public var parallel: Int
        /// Set when memory lowered the number, for the user to read.
        public var notice: String?
    }

    /// `requested`, or cores × 2 by default, lowered to what available memory holds.
    public static func decide(requested: Int?, cores: Int, availableMemory: UInt64?) -> Decision {
        let wanted = max(requested ?? cores * 2, 1)
        guard let availableMemory else { return Decision(parallel: wanted, notice: nil) }
        let fits = max(Int(availableMemory / bytesPerTerraform), 1)
        guard fits < wanted else { return Decision(parallel: wanted, notice: nil) }
        let gigabytes = String(format: "%.1f", Double(availableMemory) / 1_073_741_824)
        let source = requested == nil ? "the default of \(wanted) (2 per core)" : "--parallel \(wanted)"
        return Decision(
            parallel: fits,
            notice: "running \(fits) terraform at a time instead of \(source): \(gigabytes) GiB of memory is available and each terraform with the aws provider needs about 800 MB")
    }

    /// `MemAvailable` from /proc/meminfo, nil where there is no such file.
    public static func availableMemory() -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let digits = line.split(separator: " ").dropFirst().first.flatMap { UInt64($0) }
            return digits.map { $0 * 1024 }
        }
        return nil
    }
}
