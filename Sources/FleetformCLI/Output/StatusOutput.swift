import FleetformBasics
import Inventory
import Onboarding

/// `status` as a table: one row per account, then one summary line of counts per status.
enum StatusTable {
    static func render(_ standings: [AccountStanding], terminal: Terminal) -> String {
        guard !standings.isEmpty else {
            return "No accounts. Add some with `fleetform inventory import FILE`.\n"
        }
        func makeTable(compactARNs: Bool) -> TextTable {
            var table = TextTable(columns: [
                .init(header: "ACCOUNT"),
                .init(header: "NAME", flexible: true, minimumWidth: 12),
                .init(header: "REGION"),
                .init(header: "STATUS"),
                .init(header: "AKEYLESS"),
                .init(header: "ROLE ARN / ERROR", flexible: true, minimumWidth: 12, keep: .end, shrinkOrder: 1),
            ])
            for standing in standings {
                // A failed account shows why instead of an ARN; `status --json` has both.
                let showsError = standing.error != nil && [.failed, .interrupted, .drifted].contains(standing.status)
                let arn = standing.roleARN.map { compactARNs ? compact($0, accountID: standing.accountID) : $0 } ?? "-"
                let akeyless = standing.akeyless?.status
                table.append(
                    [standing.accountID, standing.name, standing.region, standing.status.rawValue,
                     akeyless?.rawValue ?? "-", showsError ? standing.error! : arn],
                    colors: [nil, nil, nil, color(of: standing.status), akeyless.map(color(of:)) ?? nil,
                             showsError ? color(of: standing.status) : nil],
                    keeps: [nil, nil, nil, nil, nil, showsError ? .start : nil])
            }
            return table
        }
        // Full ARNs when they fit; otherwise drop the `arn:aws:iam::<account>:` prefix,
        // which repeats the ACCOUNT column, so the role name stays readable.
        var table = makeTable(compactARNs: false)
        let longestARN = standings.compactMap(\.roleARN).map(\.count).max() ?? 0
        if let width = table.fittedWidths(maximumTotal: terminal.width).last, width < longestARN {
            table = makeTable(compactARNs: true)
        }
        return table.render(width: terminal.width, terminal: terminal) + summaryLine(standings, terminal: terminal)
    }

    /// `role/name` for `arn:aws:iam::<accountID>:role/name`; other ARNs unchanged.
    static func compact(_ arn: String, accountID: String) -> String {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[4] == accountID else { return arn }
        return String(parts[5])
    }

    /// `12 accounts: 9 succeeded, 2 failed, 1 never_run`, standings in their lifecycle order.
    static func summaryLine(_ standings: [AccountStanding], terminal: Terminal) -> String {
        let counts = StatusCounts(standings)
        let parts = counts.nonZero.map { terminal.paint("\($0.count) \($0.status.rawValue)", color(of: $0.status)) }
        let noun = standings.count == 1 ? "account" : "accounts"
        return "\(standings.count) \(noun): \(parts.joined(separator: ", "))\n"
    }

    static func color(of status: AkeylessSyncStatus) -> ANSIColor? {
        switch status {
        case .synced: .green
        case .failed: .red
        case .drifted: .yellow
        case .pending: .cyan
        }
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

    init(_ standings: [AccountStanding]) {
        for standing in standings { counts[standing.status, default: 0] += 1 }
    }

    /// The statuses that occur, in `OnboardingStatus.allCases` order.
    var nonZero: [(status: OnboardingStatus, count: Int)] {
        OnboardingStatus.allCases.compactMap { status in counts[status].map { (status, $0) } }
    }
}

/// `status --json`, in the shape DESIGN.md fixes: one account per line for `grep` and diff.
enum StatusJSON {
    static func render(_ standings: [AccountStanding]) -> String {
        let summary = StatusCounts(standings).nonZero.map { JSONObject.Member($0.status.rawValue, JSONValue($0.count)) }
        return JSONOutput.render(["accounts": .array(standings.map(row)), "summary": .object(JSONObject(members: summary))])
    }

    private static func row(_ standing: AccountStanding) -> JSONValue {
        .object([
            "account_id": .string(standing.accountID), "name": .string(standing.name), "ou_path": .string(standing.ouPath),
            "region": .string(standing.region), "status": .string(standing.status.rawValue),
            "role_arn": JSONValue(standing.roleARN), "policy_arn": JSONValue(standing.policyARN),
            "instance_profile_arn": JSONValue(standing.instanceProfileARN), "last_run_id": JSONValue(standing.lastRunID),
            "attempts": JSONValue(standing.attempts), "error": JSONValue(standing.error),
            "updated_at": .string(standing.updatedAt), "adopted": .array(standing.adopted.map(JSONValue.string)),
            "akeyless": AkeylessFields.value(standing.akeyless),
        ])
    }
}

/// `status --csv`: the JSON fields as RFC 4180 CSV with a header row.
enum StatusCSV {
    static let header = [
        "account_id", "name", "ou_path", "region", "status", "role_arn", "policy_arn", "instance_profile_arn",
        "last_run_id", "attempts", "error", "updated_at",
    ] + AkeylessFields.csvHeader

    static func render(_ standings: [AccountStanding]) -> String {
        var out = CSVWriter.line(header)
        for standing in standings {
            out += CSVWriter.line([
                standing.accountID, standing.name, standing.ouPath, standing.region, standing.status.rawValue,
                standing.roleARN ?? "", standing.policyARN ?? "", standing.instanceProfileARN ?? "", standing.lastRunID ?? "",
                String(standing.attempts), standing.error ?? "", standing.updatedAt,
            ] + AkeylessFields.csvFields(standing.akeyless))
        }
        return out
    }
}
