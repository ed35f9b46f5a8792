import Foundation

/// The one CSV writer of `status --csv` and `export --format csv`: RFC 4180 fields, made
/// safe to open in a spreadsheet.
///
/// Account names, OU paths and errors are data from inventory files, Organizations and
/// terraform. A cell such as `=HYPERLINK("http://x","y")` would be run as a formula by
/// Excel, LibreOffice or Google Sheets (CSV injection), so a cell that starts with `=`,
/// `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, as OWASP recommends:
/// spreadsheets show it as text, and the quote is easy to strip by a program that wants
/// the raw value (`status --json` and `export` as JSON carry it unchanged).
enum CSVWriter {
    /// One record, ended by CRLF as RFC 4180 says.
    static func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    /// The field neutralised, then quoted when it holds a comma, quote or line break.
    static func field(_ value: String) -> String {
        let text = startsFormula(value) ? "'" + value : value
        guard text.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D })
        else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Whether a spreadsheet would read the cell as a formula (or, for tab and carriage
    /// return, skip to a character that starts one).
    static func startsFormula(_ value: String) -> Bool {
        guard let first = value.utf8.first else { return false }
        return first == UInt8(ascii: "=") || first == UInt8(ascii: "+") || first == UInt8(ascii: "-")
            || first == UInt8(ascii: "@") || first == 0x09 || first == 0x0D
    }
}
