/// Finds the blocks directly inside top-level `terraform` blocks of an HCL (`.tf`) file,
/// such as `backend "s3" { … }` and `cloud { … }`, with their labels and lines.
///
/// Not a parser: a tokenizer that knows exactly what it must skip for a word to be a
/// block header and not text — `#`, `//` and `/* */` comments, quoted strings with
/// their `${ … }` and `%{ … }` template sequences (which may hold strings and braces of
/// their own), and heredocs (`<<EOT`, `<<-EOT`) up to the line that holds only their
/// marker — and counts `{ [ (` to know the nesting depth. Where a file is not valid HCL
/// the result does not matter: terraform refuses such a file before it could use a
/// backend.
struct HCLBlockScanner {
    /// A block found inside a top-level `terraform` block.
    struct Block: Equatable {
        var type: String
        var labels: [String]
        /// 1-based line of the block's type word.
        var line: Int
    }

    private let bytes: [UInt8]
    private var position = 0
    private var line = 1

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        // A UTF-8 byte order mark is not part of the first word.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
    }

    /// The blocks directly inside each top-level `terraform` block, in file order.
    static func terraformSubblocks(in bytes: [UInt8]) -> [Block] {
        var scanner = HCLBlockScanner(bytes)
        return scanner.scanStructure()
    }

    // MARK: Structure

    private enum Token: Equatable {
        case word(String)
        case string(String)
        case open(UInt8)
        case close
        case newline
        case other
    }

    /// One nesting level: a block body (where statements start) or a bracketed expression.
    private struct Frame {
        var blockType: String?
        /// The tokens of the statement being read at this level, while it can still be a
        /// block header (words and strings only).
        var header: [(token: Token, line: Int)] = []
        var headerBroken = false
    }

    private mutating func scanStructure() -> [Block] {
        var found: [Block] = []
        var frames = [Frame(blockType: "")]  // the file itself is the outermost body
        while let (token, tokenLine) = nextToken() {
            switch token {
            case .newline:
                if frames[frames.count - 1].blockType != nil {
                    frames[frames.count - 1].header = []
                    frames[frames.count - 1].headerBroken = false
                }
            case .word, .string:
                if frames[frames.count - 1].blockType != nil, !frames[frames.count - 1].headerBroken {
                    frames[frames.count - 1].header.append((token, tokenLine))
                }
            case .open(let bracket):
                let top = frames[frames.count - 1]
                var opened = Frame(blockType: nil)
                if bracket == UInt8(ascii: "{"), top.blockType != nil, !top.headerBroken,
                   case .word(let type)? = top.header.first?.token {
                    let labels = top.header.dropFirst().compactMap { entry -> String? in
                        switch entry.token {
                        case .string(let text), .word(let text): text
                        default: nil
                        }
                    }
                    opened.blockType = type
                    // Depth 1 inside a top-level `terraform` block.
                    if frames.count == 2, frames[1].blockType == "terraform" {
                        found.append(Block(type: type, labels: labels, line: top.header[0].line))
                    }
                }
                frames[frames.count - 1].header = []
                frames[frames.count - 1].headerBroken = opened.blockType == nil
                frames.append(opened)
            case .close:
                if frames.count > 1 { frames.removeLast() }
                // Valid HCL never has a block header right after a closing bracket on the
                // same line; a broken file that does is better read as one.
                frames[frames.count - 1].header = []
                frames[frames.count - 1].headerBroken = false
            case .other:
                frames[frames.count - 1].headerBroken = true
            }
        }
        return found
    }

    // MARK: Tokens

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private func peek(_ offset: Int) -> UInt8? {
        position + offset < bytes.count ? bytes[position + offset] : nil
    }

    private mutating func nextToken() -> (Token, Int)? {
        while let byte = current {
            let startLine = line
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                position += 1
            case UInt8(ascii: "\n"):
                position += 1
                line += 1
                return (.newline, startLine)
            case UInt8(ascii: "#") where skipComment(), UInt8(ascii: "/") where skipComment():
                break  // Each `where` belongs to its own pattern: both skip the comment.
            case UInt8(ascii: "\""):
                return (.string(scanQuoted()), startLine)
            case UInt8(ascii: "<") where peek(1) == UInt8(ascii: "<") && heredocFollows():
                skipHeredoc()
                return (.other, startLine)
            case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "("):
                position += 1
                return (.open(byte), startLine)
            case UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: ")"):
                position += 1
                return (.close, startLine)
            default:
                if Self.isWordStart(byte) {
                    let start = position
                    while let next = current, Self.isWordByte(next) { position += 1 }
                    return (.word(String(decoding: bytes[start..<position], as: UTF8.self)), startLine)
                }
                position += 1
                return (.other, startLine)
            }
        }
        return nil
    }

    private static func isWordStart(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || byte == UInt8(ascii: "_") || byte >= 0x80
    }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        isWordStart(byte) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-")
    }

    /// Up to (not past) the newline, which still ends the statement.
    /// Skips a `#`, `//` or `/* */` comment starting here; false when none starts here.
    private mutating func skipComment() -> Bool {
        switch (current, peek(1)) {
        case (UInt8(ascii: "#"), _), (UInt8(ascii: "/"), UInt8(ascii: "/")): skipLineComment()
        case (UInt8(ascii: "/"), UInt8(ascii: "*")): skipBlockComment()
        default: return false
        }
        return true
    }

    private mutating func skipLineComment() {
        while let byte = current, byte != UInt8(ascii: "\n") { position += 1 }
    }

    private mutating func skipBlockComment() {
        position += 2
        while let byte = current {
            if byte == UInt8(ascii: "*"), peek(1) == UInt8(ascii: "/") {
                position += 2
                return
            }
            if byte == UInt8(ascii: "\n") { line += 1 }
            position += 1
        }
    }

    /// A quoted string from its opening quote to past its closing one; returns its raw
    /// text (enough for labels such as `"s3"`).
    private mutating func scanQuoted() -> String {
        position += 1
        let start = position
        while let byte = current {
            switch byte {
            case UInt8(ascii: "\""):
                let text = String(decoding: bytes[start..<position], as: UTF8.self)
                position += 1
                return text
            case UInt8(ascii: "\\"):
                // An escape; a backslash before a line break escapes nothing (broken file).
                position += peek(1) == UInt8(ascii: "\n") ? 1 : 2
            case UInt8(ascii: "\n"):
                // Quoted strings cannot span lines: the file is broken, stop the string here.
                return String(decoding: bytes[start..<position], as: UTF8.self)
            case UInt8(ascii: "$"), UInt8(ascii: "%"):
                skipTemplateSequence(marker: byte)
            default:
                position += 1
            }
        }
        return String(decoding: bytes[start...], as: UTF8.self)
    }

    /// At `$` or `%` in a template: `$${` / `%%{` are literal text, `${` / `%{` start an
    /// expression that runs to its matching `}`.
    private mutating func skipTemplateSequence(marker: UInt8) {
        if peek(1) == marker, peek(2) == UInt8(ascii: "{") {
            position += 3
        } else if peek(1) == UInt8(ascii: "{") {
            position += 2
            skipTemplateExpression()
        } else {
            position += 1
        }
    }

    /// Inside `${ … }`: nested braces, strings, heredocs and comments, up to past the `}`
    /// that closes it.
    private mutating func skipTemplateExpression() {
        var depth = 0
        while let byte = current {
            switch byte {
            case UInt8(ascii: "\n"):
                line += 1
                position += 1
            case UInt8(ascii: "#") where skipComment(), UInt8(ascii: "/") where skipComment():
                break  // Each `where` belongs to its own pattern: both skip the comment.
            case UInt8(ascii: "\""):
                _ = scanQuoted()
            case UInt8(ascii: "<") where peek(1) == UInt8(ascii: "<") && heredocFollows():
                skipHeredoc()
            case UInt8(ascii: "{"):
                depth += 1
                position += 1
            case UInt8(ascii: "}"):
                position += 1
                if depth == 0 { return }
                depth -= 1
            default:
                position += 1
            }
        }
    }

    /// Whether `<<` here opens a heredoc: `<<` or `<<-`, a marker word, then a newline.
    private func heredocFollows() -> Bool {
        var index = position + 2
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, Self.isWordStart(bytes[index]) else { return false }
        while index < bytes.count, Self.isWordByte(bytes[index]) { index += 1 }
        if index < bytes.count, bytes[index] == UInt8(ascii: "\r") { index += 1 }
        return index < bytes.count && bytes[index] == UInt8(ascii: "\n")
    }

    /// From `<<` to past the line that holds only the marker (surrounding spaces and tabs
    /// allowed). Template sequences in the body are skipped as in quoted strings, so a
    /// marker line inside `${ … }` does not end it.
    private mutating func skipHeredoc() {
        position += 2
        if current == UInt8(ascii: "-") { position += 1 }
        let start = position
        while let byte = current, Self.isWordByte(byte) { position += 1 }
        let marker = Array(bytes[start..<position])
        while let byte = current, byte != UInt8(ascii: "\n") { position += 1 }
        guard current != nil else { return }
        position += 1
        line += 1
        var atLineStart = true
        while current != nil {
            if atLineStart {
                atLineStart = false
                var end = position
                while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
                let content = bytes[position..<end].drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
                let trimmed = content.reversed().drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }
                if Array(trimmed.reversed()) == marker {
                    // Leave the newline: it ends the statement that held the heredoc.
                    position = end
                    return
                }
            }
            guard let byte = current else { return }
            switch byte {
            case UInt8(ascii: "\n"):
                position += 1
                line += 1
                atLineStart = true
            case UInt8(ascii: "$"), UInt8(ascii: "%"):
                skipTemplateSequence(marker: byte)
            default:
                position += 1
            }
        }
    }
}
