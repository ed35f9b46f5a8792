/// Characters that must never reach a terminal, a table or a log line from data fleetform
/// did not write itself (inventory files, Organizations answers, old databases).
///
/// C0 controls (tab and newline included: no account name, e-mail, OU path, tag or
/// role name needs them), DEL and C1 controls can move the cursor, clear the screen or
/// forge lines; the bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E,
/// U+200F, U+061C) reorder what a reader sees, so `prod` can display as `dorp` or an
/// account ID can appear to belong to another name (the "Trojan Source" trick).
public enum UnsafeText {
    /// The first unsafe scalar of `text`, or nil when it has none.
    public static func firstUnsafeScalar(in text: String) -> Unicode.Scalar? {
        // Fast path: ASCII without controls is what nearly every value is.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return nil }
        return text.unicodeScalars.first(where: isUnsafe)
    }

    /// Whether `text` holds any unsafe scalar.
    public static func containsUnsafe(_ text: String) -> Bool {
        firstUnsafeScalar(in: text) != nil
    }

    /// Whether `scalar` is a C0 or C1 control, DEL, or a bidirectional control.
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: true
        default: false
        }
    }

    /// `text` with every unsafe scalar written as `\u{202E}` (hexadecimal, upper case),
    /// so that it shows what is there instead of doing what it would do.
    public static func escaped(_ text: String) -> String {
        guard firstUnsafeScalar(in: text) != nil else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar) {
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
