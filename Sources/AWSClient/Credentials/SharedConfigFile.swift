/// One file of the shared AWS configuration (`~/.aws/credentials` or `~/.aws/config`),
/// parsed into sections of settings the way the AWS CLI reads it.
///
/// The format is a loose INI: `[section]` headers, `key = value` lines, whole-line
/// comments starting with `#` or `;`, keys and values trimmed. A line indented deeper
/// than the key above it continues that key: under `key = value` it extends the value,
/// under `key =` it is a nested sub-section (`s3 =` then `  max_concurrent_requests = 20`),
/// which no credential setting uses and is skipped. Inline comments are not stripped
/// from values, because a `credential_process` command may contain ` #` or ` ;`.
struct SharedConfigFile: Sendable, Equatable {
    /// Settings by section name (the text between the brackets, trimmed); keys lower-case.
    /// A section that appears twice has its settings merged, later lines winning.
    var sections: [String: [String: String]]

    init(sections: [String: [String: String]]) {
        self.sections = sections
    }

    init(parsing text: String) {
        var sections: [String: [String: String]] = [:]
        var current: String?
        // The key the next deeper-indented line belongs to, its indent, and whether it opened a sub-section.
        var lastKey: (name: String, indent: Int, subsection: Bool)?
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let line = trimmed(rawLine)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            let indent = rawLine.prefix { $0 == " " || $0 == "\t" }.count
            if line.hasPrefix("[") {
                lastKey = nil
                // A header may carry a trailing comment: `[default] # main account`.
                guard let close = line.firstIndex(of: "]") else { current = nil; continue }
                let name = String(trimmed(line[line.index(after: line.startIndex)..<close]))
                if sections[name] == nil { sections[name] = [:] }
                current = name
                continue
            }
            guard let section = current else { continue }
            if let key = lastKey, indent > key.indent {
                if !key.subsection { sections[section]![key.name]! += "\n" + line }
                continue
            }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = trimmed(line[..<equals]).lowercased()
            let value = String(trimmed(line[line.index(after: equals)...]))
            guard !key.isEmpty else { continue }
            sections[section]![key] = value
            lastKey = (key, indent, value.isEmpty)
        }
        self.sections = sections
    }

    /// The profiles of a credentials file: every section is a profile named as written.
    var credentialsFileProfiles: [String: [String: String]] {
        sections
    }

    /// The profiles of a config file: `[profile NAME]` is profile NAME and `[default]` (or
    /// `[profile default]`, which wins) the default profile. Other sections (`[sso-session x]`,
    /// `[services x]`, and a bare `[name]`, which the CLI ignores in this file) are left out.
    var configFileProfiles: [String: [String: String]] {
        var profiles: [String: [String: String]] = [:]
        if let settings = sections["default"] { profiles["default"] = settings }
        for (section, settings) in sections where section.hasPrefix("profile ") || section.hasPrefix("profile\t") {
            let name = String(trimmed(section.dropFirst("profile".count)))
            guard !name.isEmpty else { continue }
            profiles[name, default: [:]].merge(settings) { _, profileSection in profileSection }
        }
        return profiles
    }
}

extension SharedConfigFile {
    /// The `[sso-session NAME]` sections of a config file, by NAME: the IAM Identity Center
    /// sign-ins that profiles name in `sso_session`.
    var ssoSessions: [String: [String: String]] {
        var sessions: [String: [String: String]] = [:]
        for (section, settings) in sections where section.hasPrefix("sso-session ") || section.hasPrefix("sso-session\t") {
            let name = String(trimmed(section.dropFirst("sso-session".count)))
            guard !name.isEmpty else { continue }
            sessions[name, default: [:]].merge(settings) { _, later in later }
        }
        return sessions
    }
}

/// `text` without leading and trailing spaces, tabs and carriage returns.
private func trimmed<Text: StringProtocol>(_ text: Text) -> Text.SubSequence {
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
    guard let first = text.firstIndex(where: { !isSpace($0) }) else { return text[text.endIndex...] }
    let last = text.lastIndex(where: { !isSpace($0) })!
    return text[first...last]
}
