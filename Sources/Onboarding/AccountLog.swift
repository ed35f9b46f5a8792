import Foundation
import Inventory

/// What `fleetform logs ACCOUNT` shows: the newest terraform log of the account and,
/// when its latest job ran no terraform (preflight failed it, or it was up to date),
/// a line saying so first, with the recorded error. A failed account's user asks
/// "why?", and "no log" answers nothing.
public struct AccountLog: Sendable, Equatable {
    /// Lines that explain the latest job when it has no log of its own, in the log's
    /// own `# fleetform …` comment style.
    public var notes: [String]
    /// The log file shown, nil when no job of the account ever ran terraform.
    public var logPath: String?
    /// The end of the log as a worker stored it with its job, shown when the file is on
    /// another machine (or was deleted with its workspace's machine).
    public var storedTail: [UInt8]? = nil

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case noJob(accountID: String, runID: String?)
        case noLogInRun(accountID: String, runID: String, status: String, detail: String?)

        public var description: String {
            switch self {
            case .noJob(let accountID, let runID):
                "account \(accountID) has no job\(runID.map { " in run \($0)" } ?? "")"
            case .noLogInRun(let accountID, let runID, let status, let detail):
                "account \(accountID), run \(runID): no log (the job \(status) without running terraform\(detail.map { ": \($0)" } ?? ""))"
            }
        }
    }

    /// `runID` asks for exactly that run's job, as before.
    public static func find(accountID: String, runID: String?, database: any InventoryStore) throws -> AccountLog {
        guard let latest = try database.latestJob(accountID: accountID, runID: runID) else {
            throw Failure.noJob(accountID: accountID, runID: runID)
        }
        if let path = existingLog(latest) { return AccountLog(notes: [], logPath: path) }
        if let path = latest.logPath, let stored = try database.storedLogTail(jobID: latest.jobID) {
            let size = stored.tail.count < LogTail.limit ? "the whole log" : "its last \(LogTail.limit / 1024) KiB"
            return AccountLog(
                notes: ["# fleetform: the full log is \(path) on host \(stored.host ?? "unknown"); \(size), as stored with job \(latest.jobID) of run \(latest.runID):"],
                logPath: nil, storedTail: stored.tail)
        }
        if let runID {
            throw Failure.noLogInRun(accountID: accountID, runID: runID, status: latest.status.rawValue,
                                     detail: latest.error ?? latest.skipReason?.rawValue)
        }
        var notes: [String]
        switch latest.status {
        case .skipped:
            notes = ["# fleetform: run \(latest.runID) skipped this account (\(latest.skipReason?.rawValue ?? "skipped")); terraform did not run"]
        default:
            notes = ["# fleetform: job \(latest.jobID) of run \(latest.runID) \(latest.status.rawValue) before terraform ran: \(latest.error ?? "no error recorded")"]
        }
        let earlier = try database.jobsWithLogs(accountID: accountID).lazy.compactMap { job in
            existingLog(job).map { (job, $0) }
        }.first
        guard let (job, path) = earlier else {
            notes.append("# fleetform: no job of this account has run terraform yet")
            return AccountLog(notes: notes, logPath: nil)
        }
        notes.append("# fleetform: the latest terraform log is of run \(job.runID) (\(job.operation.rawValue), \(job.status.rawValue)): \(path)")
        return AccountLog(notes: notes, logPath: path)
    }

    private static func existingLog(_ job: JobRecord) -> String? {
        guard let path = job.logPath, FileManager.default.fileExists(atPath: path) else { return nil }
        return path
    }
}
