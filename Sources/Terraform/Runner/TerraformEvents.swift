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

    /// Errors and warnings in order; at most `maximumDiagnostics`.
    public var diagnostics: [Diagnostic] = []
    public var changes: PlanChanges?
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
        if trimmed.first == "{", let event = try? Self.decoder.decode(TerraformEvent.self, from: Data(trimmed.utf8)) {
            consume(event: event)
        } else {
            consume(text: trimmed)
        }
    }

    /// Call once at the end: flushes a text error still being collected.
    public mutating func finish() {
        flushTextError()
    }

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    private mutating func consume(event: TerraformEvent) {
        // `terraform version -json` says "terraform_version"; the version event of -json runs "terraform".
        if let version = event.terraformVersion ?? (event.type == "version" ? event.terraform : nil) {
            report.terraformVersion = version
        }
        switch event.type {
        case "diagnostic":
            guard let diagnostic = event.diagnostic else { return }
            append(TerraformReport.Diagnostic(
                severity: diagnostic.severity ?? "error", summary: diagnostic.summary ?? "", detail: diagnostic.detail ?? ""))
        case "change_summary":
            guard let changes = event.changes else { return }
            report.changes = PlanChanges(add: changes.add ?? 0, change: changes.change ?? 0, destroy: changes.remove ?? 0,
                                         imports: changes.import ?? 0)
        case "outputs":
            for (name, output) in event.outputs ?? [:] {
                if let value = output.value { report.outputs[name] = value }
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

/// The parts of terraform's machine-readable output fleetform reads
/// (https://developer.hashicorp.com/terraform/internals/machine-readable-ui). Every field
/// is optional and read leniently: an event of a newer terraform, or another event type
/// with a field of the same name and another shape, must not hide the ones we need.
private struct TerraformEvent: Decodable {
    var type: String?
    var terraform: String?
    var terraformVersion: String?
    var diagnostic: Diagnostic?
    var changes: Changes?
    var outputs: [String: Output]?

    struct Diagnostic: Decodable {
        var severity: String?
        var summary: String?
        var detail: String?
    }

    struct Changes: Decodable {
        var add: Int?
        var change: Int?
        var remove: Int?
        /// Terraform 1.5 and later; absent before.
        var `import`: Int?
    }

    /// Only string values are kept (ARNs); a list or map output is left out.
    struct Output: Decodable {
        var value: String?

        enum CodingKeys: String, CodingKey { case value }

        init(from decoder: any Decoder) throws {
            value = try? decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .value)
        }
    }

    enum CodingKeys: String, CodingKey {
        case type, terraform, terraformVersion, diagnostic, changes, outputs
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try? container.decode(String.self, forKey: .type)
        terraform = try? container.decode(String.self, forKey: .terraform)
        terraformVersion = try? container.decode(String.self, forKey: .terraformVersion)
        diagnostic = try? container.decode(Diagnostic.self, forKey: .diagnostic)
        changes = try? container.decode(Changes.self, forKey: .changes)
        outputs = try? container.decode([String: Output].self, forKey: .outputs)
    }
}
