import FleetformBasics
/// The percent-encoding and path rules of Signature Version 4.
///
/// SigV4 does not use `application/x-www-form-urlencoded` or Foundation's URL escaping:
/// it encodes every byte except the RFC 3986 unreserved characters (`A–Z a–z 0–9 - _ . ~`)
/// as `%XY` with upper-case hex, and AWS computes the same string on its side, so one
/// byte encoded differently is a `SignatureDoesNotMatch`.
enum SigV4Encoding {
    /// Percent-encodes `bytes`, leaving only the unreserved characters (and `/` when
    /// `keepingSlashes`) as they are.
    static func encode<Bytes: Sequence<UInt8>>(_ bytes: Bytes, keepingSlashes: Bool = false) -> String {
        var output = ""
        for byte in bytes {
            if isUnreserved(byte) || (keepingSlashes && byte == UInt8(ascii: "/")) {
                output.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                output.unicodeScalars.append("%")
                output.unicodeScalars.append(hexDigit(byte >> 4))
                output.unicodeScalars.append(hexDigit(byte & 0x0F))
            }
        }
        return output
    }

    static func encode(_ text: some StringProtocol, keepingSlashes: Bool = false) -> String {
        encode(text.utf8, keepingSlashes: keepingSlashes)
    }

    /// Decodes `%XY` sequences to bytes. A `%` not followed by two hex digits stays as it
    /// is, and `+` stays a plus: SigV4 treats the query as RFC 3986, not as a form.
    static func percentDecode(_ text: some StringProtocol) -> [UInt8] {
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
               let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return output
    }

    /// The canonical URI of a request path as it is sent on the wire.
    ///
    /// For every service but S3 (and fleetform signs only STS, IAM and Organizations) the
    /// path is normalised — empty and `.` segments dropped, `..` removing the segment
    /// before it — and each segment is percent-encoded once more on top of the encoding
    /// it already has on the wire, which is what AWS calls "double encoding".
    static func canonicalURI(path: some StringProtocol) -> String {
        let segments = normalizedSegments(path)
        guard !segments.isEmpty else { return "/" }
        var uri = ""
        for segment in segments {
            uri += "/" + encode(segment)
        }
        // A trailing slash is part of the resource name and is kept (`//example//` is `/example/`).
        if endsLikeADirectory(path) { uri += "/" }
        return uri
    }

    /// Path segments after RFC 3986 dot-segment removal, without empty segments.
    static func normalizedSegments(_ path: some StringProtocol) -> [Substring] {
        var segments: [Substring] = []
        for segment in Substring(path).split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": _ = segments.popLast()
            default: segments.append(segment)
            }
        }
        return segments
    }

    private static func endsLikeADirectory(_ path: some StringProtocol) -> Bool {
        path.hasSuffix("/") || path.hasSuffix("/.") || path.hasSuffix("/..")
    }

    /// The canonical query string: every `name=value` pair decoded from its wire form,
    /// re-encoded with `encode`, and sorted by name, then by value (byte order). A name
    /// without `=` gets an empty value; empty pairs (`a=1&&b=2`) are dropped.
    static func canonicalQuery(_ query: some StringProtocol) -> String {
        var pairs: [(name: String, value: String)] = []
        for item in Substring(query).split(separator: "&", omittingEmptySubsequences: true) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = encode(percentDecode(parts[0]))
            let value = parts.count > 1 ? encode(percentDecode(parts[1])) : ""
            pairs.append((name, value))
        }
        // Encoded strings are ASCII, so comparing their UTF-8 bytes is the byte order AWS uses.
        pairs.sort { left, right in
            left.name != right.name
                ? left.name.utf8.lexicographicallyPrecedes(right.name.utf8)
                : left.value.utf8.lexicographicallyPrecedes(right.value.utf8)
        }
        return pairs.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }

    /// Lower-case hex of `bytes`, the form SigV4 writes hashes and signatures in.
    static func hex<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        Hex.lowercase(bytes)
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> Unicode.Scalar {
        Unicode.Scalar(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "A") + nibble - 10)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
