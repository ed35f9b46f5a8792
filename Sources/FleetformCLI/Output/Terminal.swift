import Foundation

/// What the output may assume about where it goes: colour, and how wide a table may be.
struct Terminal: Sendable {
    /// ANSI colours are used only on a terminal, and never with `--no-color` or `NO_COLOR`.
    var colors: Bool
    /// Tables are fitted to this many columns.
    var width: Int

    /// Standard output as it is now. Width: the terminal's own when it is one, else
    /// `$COLUMNS`, else 80, and never below 80.
    static func standardOutput(noColorFlag: Bool, environment: [String: String]) -> Terminal {
        let isTTY = isatty(STDOUT_FILENO) == 1
        let noColor = noColorFlag || !(environment["NO_COLOR"] ?? "").isEmpty
        var width = Int(environment["COLUMNS"] ?? "") ?? 80
        if isTTY {
            var size = winsize()
            if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 {
                width = Int(size.ws_col)
            }
        }
        return Terminal(colors: isTTY && !noColor, width: max(width, 80))
    }

    /// `text` in the given ANSI colour when colours are on.
    func paint(_ text: String, _ color: ANSIColor?) -> String {
        guard colors, let color else { return text }
        return "\u{1B}[\(color.rawValue)m\(text)\u{1B}[0m"
    }
}

enum ANSIColor: String {
    case red = "31"
    case green = "32"
    case yellow = "33"
    case cyan = "36"
    case dim = "2"
}
