import Foundation

/// The lock a terraform holds on S3 state (`use_lockfile`): the JSON body of the
/// `<key>.tflock` object it writes while it holds the lock and deletes when it lets go.
///
/// fleetform reads it to learn the id of the lock its own terraform took (so that a
/// worker that takes over a job whose owner is known dead can release exactly that lock
/// with `terraform force-unlock`, and nothing else), and to name who holds a lock it
/// leaves alone. Only these fields are kept; none is secret.
public struct StateLockInfo: Sendable, Equatable {
    /// The lock id `terraform force-unlock` takes (a UUID).
    public var id: String
    /// `OperationTypeApply`, `OperationTypePlan`, …
    public var operation: String
    /// `user@host` of the terraform that took it.
    public var who: String
    public var version: String
    /// When the terraform began taking the lock (RFC 3339), as it wrote it.
    public var created: String
    /// `bucket/key` of the state.
    public var path: String

    public init(id: String, operation: String = "", who: String = "", version: String = "", created: String = "",
                path: String = "") {
        self.id = id
        self.operation = operation
        self.who = who
        self.version = version
        self.created = created
        self.path = path
    }

    /// Parses a `.tflock` body; nil when it is not a lock (not JSON, or no `ID`).
    public init?(parsing body: [UInt8]) {
        guard let fields = try? JSONDecoder().decode(Fields.self, from: Data(body)),
              let id = fields.ID?.trimmingCharacters(in: .whitespacesAndNewlines), !id.isEmpty,
              id.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
        else { return nil }
        self.init(id: id, operation: fields.Operation ?? "", who: fields.Who ?? "", version: fields.Version ?? "",
                  created: fields.Created ?? "", path: fields.Path ?? "")
    }

    /// The host part of `who` (after the last `@`), for telling this machine's terraform
    /// from another's.
    public var host: String {
        who.split(separator: "@").last.map(String.init) ?? ""
    }

    /// When the lock was taken, if `created` is a timestamp (Go writes nanoseconds).
    public var createdDate: Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        // ISO8601DateFormatter takes at most milliseconds: cut the fraction to three digits.
        var text = created
        if let dot = text.firstIndex(of: "."), let end = text[dot...].firstIndex(where: { !$0.isNumber && $0 != "." }) {
            let digits = text[text.index(after: dot)..<end]
            text = String(text[..<dot]) + "." + String((digits + "000").prefix(3)) + String(text[end...])
        } else {
            formatter.formatOptions = [.withInternetDateTime]
        }
        return formatter.date(from: text)
    }

    /// `lock ID held by WHO (OPERATION since CREATED)`: one line for logs.
    public var summary: String {
        let detail = [operation.replacingOccurrences(of: "OperationType", with: "").lowercased(), created.isEmpty ? "" : "since \(created)"]
            .filter { !$0.isEmpty }.joined(separator: " ")
        return "lock \(id) held by \(holder)" + (detail.isEmpty ? "" : " (\(detail))")
    }

    /// `who`, or words saying it is unknown.
    public var holder: String { who.isEmpty ? "an unknown holder" : who }

    /// `lock ID, OPERATION since CREATED`: what the lock is, beside who holds it.
    public var details: String {
        var parts = ["lock \(id)"]
        let operation = operation.replacingOccurrences(of: "OperationType", with: "").lowercased()
        if !operation.isEmpty || !created.isEmpty {
            parts.append([operation, created.isEmpty ? "" : "since \(created)"].filter { !$0.isEmpty }.joined(separator: " "))
        }
        return parts.joined(separator: ", ")
    }

    private struct Fields: Decodable {
        var ID: String?
        var Operation: String?
        var Who: String?
        var Version: String?
        var Created: String?
        var Path: String?
    }
}
