import AWSClient
import Foundation
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

    /// The reason each account that cannot be entered fails, by account ID.
    public func failures(_ accounts: [AccountRecord]) async -> [String: String] {
        let sts: STSClient
        do {
            sts = try session.sts()
        } catch {
            return Dictionary(uniqueKeysWithValues: accounts.map { ($0.accountID, "preflight: \(error)") })
        }
        return await withTaskGroup(of: (String, String?).self) { group in
            var failures: [String: String] = [:]
            var next = 0
            func addTask() {
                let account = accounts[next]
                next += 1
                group.addTask {
                    let roleARN = AccessRole.arn(account: account)
                    do {
                        _ = try await sts.assumeRole(roleARN: roleARN, sessionName: "fleetform-preflight")
                        return (account.accountID, nil)
                    } catch let error as AWSError {
                        return (account.accountID, "cannot assume \(roleARN): \(error.code): \(error.message)")
                    } catch {
                        return (account.accountID, "cannot assume \(roleARN): \(error)")
                    }
                }
            }
            while next < min(concurrency, accounts.count) { addTask() }
            while let (accountID, failure) = await group.next() {
                if let failure { failures[accountID] = failure }
                if next < accounts.count { addTask() }
            }
            return failures
        }
    }
}

/// The role fleetform enters a member account through.
public enum AccessRole {
    public static func arn(account: AccountRecord) -> String {
        "arn:\(partition(region: account.region)):iam::\(account.accountID):role/\(account.accessRoleName)"
    }

    /// The ARN partition of a region, as the built-in template derives it.
    public static func partition(region: String) -> String {
        if region.hasPrefix("cn-") { return "aws-cn" }
        if region.hasPrefix("us-gov-") { return "aws-us-gov" }
        return "aws"
    }
}
