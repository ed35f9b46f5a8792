/// Characters that can change what a terminal shows: C0 controls (newline, escape),
/// DEL, C1 controls, and the bidirectional controls that reorder text on screen
/// (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069, the "Trojan Source" set).
///
/// Text from outside (names and e-mails from AWS Organizations, inventory files) can
/// hold them, and a name printed in a status table or an error line could then spoof
/// other output. Inputs we can refuse are refused with `containsUnsafe`; text we only
/// record (discovery answers) is made visible with `escaped`.
public enum UnsafeText {
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    public static func containsUnsafe(_ text: String) -> Bool {
        text.unicodeScalars.contains(where: isUnsafe)
    }

    /// `text` with every unsafe character written as Swift writes it in a literal,
    /// `\u{202E}` (upper-case hex, no padding), so it is visible and inert. Text without
    /// unsafe characters is returned unchanged.
    public static func escaped(_ text: String) -> String {
        guard containsUnsafe(text) else { return text }
        var output = ""
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar) {
                output += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                output.unicodeScalars.append(scalar)
            }
        }
        return output
    }
}
