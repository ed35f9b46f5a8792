import Foundation

/// What an import from a file makes of the stored accounts, the same in every store:
/// new IDs are added, changed ones updated in place (their history stays attached),
/// equal ones not written at all, and the ones the input does not name are left for
/// `--prune`. The stores only write the result.
struct AccountImportPlan {
    var added: [AccountRecord] = []
    var updated: [AccountRecord] = []
    var unchanged = 0
    /// Stored accounts the input did not name, enabled ones first to be pruned.
    var missing: [AccountRecord]

    init(_ accounts: [AccountSpec], existing: [String: AccountRecord], source: AccountSource, now: String) {
        var remaining = existing
        for account in accounts {
            switch remaining.removeValue(forKey: account.accountID) {
            case nil:
                added.append(AccountRecord(spec: account, organizationState: nil, source: source, createdAt: now,
                                           updatedAt: now))
            case var stored? where stored.spec != account || stored.source != source:
                stored.spec = account
                stored.source = source
                // A file that disables an account is the user's choice.
                stored.disabledReason = account.enabled ? nil : .user
                stored.updatedAt = now
                updated.append(stored)
            case .some:
                unchanged += 1
            }
        }
        missing = Array(remaining.values)
    }

    /// The counts of the summary, before pruning.
    var summary: InventoryImportSummary {
        InventoryImportSummary(added: added.count, updated: updated.count, unchanged: unchanged)
    }
}
