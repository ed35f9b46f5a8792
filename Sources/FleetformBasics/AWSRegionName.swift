/// The one rule for AWS region names, shared by everything a region enters through:
/// `AWS_REGION`, `AWS_DEFAULT_REGION`, a profile's `region`, `--region` and the
/// inventory file.
///
/// A region name is spliced into endpoint host names (`sts.<region>.amazonaws.com`) and
/// the SigV4 credential scope, so anything looser would let a value like `evil.com#`
/// redirect signed requests (and the session token in them) to another host. The rule
/// is `^[a-z]{2}(-[a-z]+)+-[0-9]+$`, which covers every partition's form:
/// `us-east-1`, `us-gov-west-1`, `cn-north-1`, `us-iso-east-1`, `us-isob-east-1`,
/// `eu-isoe-west-1`; and at most 63 characters, the length of one DNS label, which is
/// what a region is in a host name.
///
/// Hand-written rather than a `Regex`: it runs for every account of every import.
public enum AWSRegionName {
    public static let maximumLength = 63

    public static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count <= maximumLength else { return false }
        let parts = bytes.split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
        guard parts.count >= 3 else { return false }
        let isLetter = { (byte: UInt8) in byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        guard parts[0].count == 2, parts[0].allSatisfy(isLetter) else { return false }
        guard let last = parts.last, !last.isEmpty, last.allSatisfy(isDigit) else { return false }
        return parts.dropFirst().dropLast().allSatisfy { !$0.isEmpty && $0.allSatisfy(isLetter) }
    }
}
