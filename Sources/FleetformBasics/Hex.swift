/// Lower-case hexadecimal, for digests: config hashes, init fingerprints, SigV4.
/// `String(format: "%02x")` per byte costs a formatter call per byte on a path that runs
/// for every account of every run.
public enum Hex {
    public static func lowercase<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        var output = ""
        for byte in bytes {
            output.unicodeScalars.append(digit(byte >> 4))
            output.unicodeScalars.append(digit(byte & 0x0F))
        }
        return output
    }

    private static func digit(_ nibble: UInt8) -> Unicode.Scalar {
        Unicode.Scalar(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10)
    }
}
