import Foundation

/// The two forms of the signing time SigV4 uses, both in UTC: `20150830T123600Z` for
/// `x-amz-date` and the string to sign, `20150830` for the credential scope.
struct SigV4Timestamp: Sendable, Equatable {
    let dateTime: String
    let day: String

    init(_ date: Date) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String {
            let value = value ?? 0
            return value < 10 ? "0\(value)" : "\(value)"
        }
        let year = String(parts.year ?? 1970)
        day = "\(String(repeating: "0", count: max(0, 4 - year.count)))\(year)\(two(parts.month))\(two(parts.day))"
        dateTime = "\(day)T\(two(parts.hour))\(two(parts.minute))\(two(parts.second))Z"
    }
}
