import Foundation

/// Run IDs sort by start time and name the log directory: `20261126-013045-7f3a`.
public enum RunID {
    public static func make(at date: Date = Date()) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let stamp = String(format: "%04d%02d%02d-%02d%02d%02d", parts.year!, parts.month!, parts.day!,
                           parts.hour!, parts.minute!, parts.second!)
        return stamp + "-" + String(format: "%04x", UInt16.random(in: 0...UInt16.max))
    }
}
