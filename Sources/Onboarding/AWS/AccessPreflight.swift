import AWSClient
import FleetformBasics
import Inventory

/// Before terraform starts, checks that every account about to run can be entered:
/// assumes its access role (concurrently, bounded). An account that cannot be assumed
/// fails at once with a one-line reason instead of costing a terraform run (~4 s of CPU
/// and ~800 MB with the aws provider) that would fail the same way.
public struct AccessPreflight: Sendable {
    public var session: AWSSession
    public var concurrency: Int

    public init(session: AWSSession, concurrency: Int = 16) {
        self.session = session
        self.concurrency = concurrency
    }

    /// The reason each account that cannot be entered fails, by account ID: one line that
    /// leads with the cause (`AccessDenied: … (assuming arn:…)`, see `FailureLine`).
    public func failures(_ accounts: [AccountRecord]) async -> [String: String] {
        let sts: STSClient
        do {
            sts = try session.sts()
        } catch {
            let line = FailureLine.text(error, context: "preflight")
            return Dictionary(uniqueKeysWithValues: accounts.map { ($0.accountID, line) })
        }
        let results = await BoundedConcurrency.map(accounts, limit: concurrency) { account -> (String, String?) in
            let roleARN = AccessRole.arn(account: account)
            do {
                _ = try await sts.assumeRole(roleARN: roleARN, sessionName: "fleetform-preflight")
                return (account.accountID, nil)
            } catch {
                return (account.accountID, FailureLine.text(error, context: "assuming \(roleARN)"))
            }
        }
        return Dictionary(uniqueKeysWithValues: results.compactMap { id, failure in failure.map { (id, $0) } })
    }
}

/// The role fleetform enters a member account through.
public enum AccessRole {
    public static func arn(account: AccountRecord) -> String {
        "arn:\(AWSPartition(region: account.region).id):iam::\(account.accountID):role/\(account.accessRoleName)"
    }
}
