import Foundation
import FleetformBasics

/// What fleetform keeps from one terraform command's output: the diagnostics, the change
/// summary and the outputs. Bounded, whatever terraform prints.
public struct TerraformReport: Sendable, Equatable {
    public struct Diagnostic: Sendable, Equatable {
        public var severity: String
        public var summary: String
        public var detail: String

        public init(severity: String, summary: String, detail: String) {
            self.severity = severity
            self.summary = summary
            self.detail = detail
        }

        /// `summary: detail` on one line, for tables and the `error` column, keeping the
        /// part of the detail that explains the failure:
        /// - a local-exec error quotes the whole command, then its output: keep the output;
        /// - the aws provider puts a paragraph of generic advice before the real error
        ///   ("Error: operation error STS: AssumeRole, … api error AccessDenied: …"): keep
        ///   the AWS error code and message.
        public var oneLine: String {
            var shownDetail = detail
            if let output = shownDetail.range(of: "Output: ", options: .backwards) {
                shownDetail = String(shownDetail[output.upperBound...])
            }
            if let apiError = shownDetail.range(of: "api error ", options: .backwards) {
                shownDetail = String(shownDetail[apiError.upperBound...])
            } else if let inner = shownDetail.range(of: "Error: ", options: .backwards) {
                shownDetail = String(shownDetail[inner.upperBound...])
            }
            let text = shownDetail.isEmpty ? summary : "\(summary): \(shownDetail)"
            let collapsed = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\t" || $0 == " " })
                .joined(separator: " ")
            return collapsed.count > 400 ? String(collapsed.prefix(399)) + "…" : collapsed
        }
    }

    public struct ChangeSummary: Sendable, Equatable {
        public var add: Int
        public var change: Int
        public var remove: Int

        public init(add: Int, change: Int, remove: Int) {
            self.add = add
            self.change = change
            self.remove = remove
        }
    }

    /// Errors and warnings in order; at most `maximumDiagnostics`.
    public var diagnostics: [Diagnostic] = []
    public var changes: ChangeSummary?
    /// String-valued outputs (ARNs); an output that is null is absent.
    public var outputs: [String: String] = [:]
    /// The version a `terraform version -json` reported.
    public var terraformVersion: String?

    public init() {}

    public static let maximumDiagnostics = 20

    public var firstError: Diagnostic? {
        diagnostics.first { $0.severity == "error" }
    }
}

/// Reads terraform's output line by line into a `TerraformReport`: `-json` event lines
/// for plan/apply/destroy, `Error:` blocks for the text that `init` prints.
public struct TerraformOutputReader: Sendable {
    public private(set) var report = TerraformReport()
    private var pendingTextError: TerraformReport.Diagnostic?

    public init() {}

    public mutating func consume(line: Substring) {
        let trimmed = line.drop(while: { $0 == " " })
        if trimmed.first == "{", case .object(let event)? = try? JSONParser.parse(Array(trimmed.utf8)) {
            consume(event: event)
        } else {
            consume(text: trimmed)
        }
    }

    /// Call once at the end: flushes a text error still being collected.
    public mutating func finish() {
        flushTextError()
    }

    private mutating func consume(event: JSONObject) {
        // `terraform version -json` says "terraform_version"; the version event of -json runs "terraform".
        if case .string(let version)? = event["terraform_version"] ?? (event["type"] == .string("version") ? event["terraform"] : nil) {
            report.terraformVersion = version
        }
        guard case .string(let type)? = event["type"] else { return }
        switch type {
        case "diagnostic":
            guard case .object(let diagnostic)? = event["diagnostic"] else { return }
            append(TerraformReport.Diagnostic(
                severity: diagnostic["severity"]?.stringValue ?? "error",
                summary: diagnostic["summary"]?.stringValue ?? "",
                detail: diagnostic["detail"]?.stringValue ?? ""))
        case "change_summary":
            guard case .object(let changes)? = event["changes"] else { return }
            report.changes = TerraformReport.ChangeSummary(
                add: changes["add"]?.intValue ?? 0,
                change: changes["change"]?.intValue ?? 0,
                remove: changes["remove"]?.intValue ?? 0)
        case "outputs":
            guard case .object(let outputs)? = event["outputs"] else { return }
            for member in outputs.members {
                if case .object(let output) = member.value, case .string(let value)? = output["value"] {
                    report.outputs[member.key] = value
                }
            }
        default:
            break
        }
    }

    /// `init` prints errors as "Error: summary", a blank line, then detail lines, inside
    /// a box drawn with │ characters when colours are off.
    private mutating func consume(text: Substring) {
        var content = text
        for prefix in ["│ ", "│", "╷", "╵"] where content.hasPrefix(prefix) {
            content = content.dropFirst(prefix.count)
        }
        if content.hasPrefix("Error: ") {
            flushTextError()
            pendingTextError = TerraformReport.Diagnostic(
                severity: "error", summary: String(content.dropFirst("Error: ".count)), detail: "")
        } else if var pending = pendingTextError {
            if text.hasPrefix("╵") {
                flushTextError()
            } else if !content.trimmingPrefix(" ").isEmpty {
                pending.detail += pending.detail.isEmpty ? String(content) : " " + content
                pendingTextError = pending
            }
        }
    }

    private mutating func flushTextError() {
        if let pending = pendingTextError { append(pending) }
        pendingTextError = nil
    }

    private mutating func append(_ diagnostic: TerraformReport.Diagnostic) {
        guard report.diagnostics.count < TerraformReport.maximumDiagnostics else { return }
        report.diagnostics.append(diagnostic)
    }
}

extension JSONValue {
    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var intValue: Int? {
        if case .number(let text) = self { return Int(text) }
        return nil
    }
}
