import Foundation

/// Timestamps are stored and printed as UTC ISO 8601 text (`2026-11-26T01:10:51Z`):
/// they sort as text, read well in `sqlite3`, and match what `--json` promises.
public enum Timestamp {
    public static func string(from date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
    }
}
