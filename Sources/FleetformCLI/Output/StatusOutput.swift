import FleetformBasics
import Inventory

/// `status` as a table: one row per account, then one summary line of counts per status.
enum StatusTable {
    static func render(_ statuses: [AccountStatus], terminal: Terminal) -> String {
        guard !statuses.isEmpty else {
            return "No accounts. Add some with `fleetform inventory import FILE`.\n"
        }
        func makeTable(compactARNs: Bool) -> TextTable {
            var table = TextTable(columns: [
                .init(header: "ACCOUNT"),
                .init(header: "NAME", flexible: true, minimumWidth: 12),
                .init(header: "REGION"),
                .init(header: "STATUS"),
                .init(header: "ROLE ARN / ERROR", flexible: true, minimumWidth: 12, keep: .end, shrinkOrder: 1),
            ])
            for status in statuses {
                // A failed account shows why instead of an ARN; `status --json` has both.
                let showsError = status.error != nil && [.failed, .interrupted, .drifted].contains(status.status)
                let arn = status.roleARN.map { compactARNs ? compact($0, accountID: status.accountID) : $0 } ?? "-"
                table.append(
                    [status.accountID, status.name, status.region, status.status.rawValue, showsError ? status.error! : arn],
                    colors: [nil, nil, nil, color(of: status.status), showsError ? color(of: status.status) : nil],
                    keeps: [nil, nil, nil, nil, showsError ? .start : nil])
            }
            return table
        }
        // Full ARNs when they fit; otherwise drop the `arn:aws:iam::<account>:` prefix,
        // which repeats the ACCOUNT column, so the role name stays readable.
        var table = makeTable(compactARNs: false)
        let longestARN = statuses.compactMap(\.roleARN).map(\.count).max() ?? 0
        if let width = table.fittedWidths(maximumTotal: terminal.width).last, width < longestARN {
            table = makeTable(compactARNs: true)
        }
        return table.render(width: terminal.width, terminal: terminal) + summaryLine(statuses, terminal: terminal)
    }

    /// `role/name` for `arn:aws:iam::<accountID>:role/name`; other ARNs unchanged.
    static func compact(_ arn: String, accountID: String) -> String {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[4] == accountID else { return arn }
        return String(parts[5])
    }

    /// `12 accounts: 9 succeeded, 2 failed, 1 never_run`, statuses in their lifecycle order.
    static func summaryLine(_ statuses: [AccountStatus], terminal: Terminal) -> String {
        let counts = StatusCounts(statuses)
        let parts = counts.nonZero.map { terminal.paint("\($0.count) \($0.status.rawValue)", color(of: $0.status)) }
        let noun = statuses.count == 1 ? "account" : "accounts"
        return "\(statuses.count) \(noun): \(parts.joined(separator: ", "))\n"
    }

    static func color(of status: OnboardingStatus) -> ANSIColor? {
        switch status {
        case .succeeded: .green
        case .failed: .red
        case .interrupted, .drifted: .yellow
        case .running, .pending: .cyan
        case .skipped, .destroyed: .dim
        case .neverRun: nil
        }
    }
}

/// How many accounts are in each status.
struct StatusCounts {
    private var counts: [OnboardingStatus: Int] = [:]

    init(_ statuses: [AccountStatus]) {
        for status in statuses { counts[status.status, default: 0] += 1 }
    }

    /// The statuses that occur, in `OnboardingStatus.allCases` order.
    var nonZero: [(status: OnboardingStatus, count: Int)] {
        OnboardingStatus.allCases.compactMap { status in counts[status].map { (status, $0) } }
    }
}

/// `status --json`, in the shape DESIGN.md fixes: one account per line for `grep` and diff.
enum StatusJSON {
    static func render(_ statuses: [AccountStatus]) -> String {
        let summary = StatusCounts(statuses).nonZero.map { JSONObject.Member($0.status.rawValue, JSONValue($0.count)) }
        return JSONOutput.render(["accounts": .array(statuses.map(row)), "summary": .object(JSONObject(members: summary))])
    }

    private static func row(_ status: AccountStatus) -> JSONValue {
        .object([
            "account_id": .string(status.accountID), "name": .string(status.name), "ou_path": .string(status.ouPath),
            "region": .string(status.region), "status": .string(status.status.rawValue),
            "role_arn": JSONValue(status.roleARN), "policy_arn": JSONValue(status.policyARN),
            "instance_profile_arn": JSONValue(status.instanceProfileARN), "last_run_id": JSONValue(status.lastRunID),
            "attempts": JSONValue(status.attempts), "error": JSONValue(status.error),
            "updated_at": .string(status.updatedAt),
        ])
    }
}

/// `status --csv`: the JSON fields as RFC 4180 CSV with a header row.
enum StatusCSV {
    static let header = [
        "account_id", "name", "ou_path", "region", "status", "role_arn", "policy_arn", "instance_profile_arn",
        "last_run_id", "attempts", "error", "updated_at",
    ]

    static func render(_ statuses: [AccountStatus]) -> String {
        var out = CSVWriter.line(header)
        for status in statuses {
            out += CSVWriter.line([
                status.accountID, status.name, status.ouPath, status.region, status.status.rawValue,
                status.roleARN ?? "", status.policyARN ?? "", status.instanceProfileARN ?? "", status.lastRunID ?? "",
                String(status.attempts), status.error ?? "", status.updatedAt,
            ])
        }
        return out
    }
}
