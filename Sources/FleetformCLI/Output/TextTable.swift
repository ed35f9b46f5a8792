import FleetformBasics

/// A plain-text table fitted to a width: flexible columns give up characters (the widest
/// first) until the table fits, and cut cells show an ellipsis where text is missing.
struct TextTable {
    struct Column {
        var header: String
        /// Whether the column may be narrowed to fit; fixed columns never are.
        var flexible = false
        /// A flexible column is never narrowed below this.
        var minimumWidth = 8
        /// Which end of a too-long cell survives; ARNs keep their end, names their start.
        var keep: KeptEnd = .start
        /// Flexible columns with a lower number give up width first.
        var shrinkOrder = 0
    }

    enum KeptEnd {
        case start
        case end
    }

    var columns: [Column]
    var rows: [[String]] = []
    /// An optional colour per row and column, applied after fitting so escapes never count as width.
    var colors: [[ANSIColor?]] = []
    /// Per-cell overrides of the column's `keep` (an error message in an ARN column keeps its start).
    var keeps: [[KeptEnd?]] = []

    init(columns: [Column]) {
        self.columns = columns
    }

    /// Adds a row. Cells are escaped (`UnsafeText`): names, OU paths and errors come from
    /// inventory files, Organizations and terraform, and a database written before import
    /// checked for control characters may still hold some; in a table they would move the
    /// cursor or reorder the columns a reader sees.
    mutating func append(_ cells: [String], colors: [ANSIColor?]? = nil, keeps: [KeptEnd?]? = nil) {
        rows.append(cells.map(UnsafeText.escaped))
        self.colors.append(colors ?? Array(repeating: nil, count: cells.count))
        self.keeps.append(keeps ?? Array(repeating: nil, count: cells.count))
    }

    func render(width: Int, terminal: Terminal) -> String {
        let widths = fittedWidths(maximumTotal: width)
        var output = line(columns.map(\.header), widths: widths, colors: nil, keeps: nil, terminal: terminal)
        for (index, row) in rows.enumerated() {
            output += line(row, widths: widths, colors: colors[index], keeps: keeps[index], terminal: terminal)
        }
        return output
    }

    func fittedWidths(maximumTotal: Int) -> [Int] {
        var widths = columns.map { $0.header.count }
        for row in rows {
            for (index, cell) in row.enumerated() where cell.count > widths[index] {
                widths[index] = cell.count
            }
        }
        let gaps = 2 * max(columns.count - 1, 0)
        var excess = widths.reduce(0, +) + gaps - maximumTotal
        while excess > 0 {
            let candidates = columns.indices.filter { columns[$0].flexible && widths[$0] > columns[$0].minimumWidth }
            guard let order = candidates.map({ columns[$0].shrinkOrder }).min() else { break }
            guard let widest = candidates.filter({ columns[$0].shrinkOrder == order })
                .max(by: { widths[$0] < widths[$1] }) else { break }
            widths[widest] -= 1
            excess -= 1
        }
        return widths
    }

    private func line(
        _ cells: [String], widths: [Int], colors: [ANSIColor?]?, keeps: [KeptEnd?]?, terminal: Terminal
    ) -> String {
        var parts: [String] = []
        for (index, cell) in cells.enumerated() {
            var text = Self.fit(cell, width: widths[index], keep: keeps?[index] ?? columns[index].keep)
            let isLast = index == cells.count - 1
            let padding = isLast ? "" : String(repeating: " ", count: widths[index] - text.count)
            text = terminal.paint(text, colors?[index]) + padding
            parts.append(text)
        }
        return parts.joined(separator: "  ") + "\n"
    }

    /// `text` cut to `width` characters with `…` where it was cut.
    static func fit(_ text: String, width: Int, keep: KeptEnd) -> String {
        guard text.count > width else { return text }
        guard width > 1 else { return String(text.prefix(width)) }
        switch keep {
        case .start: return text.prefix(width - 1) + "…"
        case .end: return "…" + text.suffix(width - 1)
        }
    }
}
