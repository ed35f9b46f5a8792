import Inventory

/// A run's jobs in the order they may start. Without `--canary` there is one phase,
/// every job. With it, the canary (chosen by `CanaryChoice` among the jobs that will
/// run terraform) goes first, and the rest only once every canary succeeded: a broken
/// template or a missing permission then costs a few accounts, not the organization.
struct RunPhases {
    /// Started first, in the run's account order; empty without `--canary`.
    var canary: [RunScheduler.PreparedJob]
    /// Started after the canary, or at once when there is none.
    var rest: [RunScheduler.PreparedJob]

    /// - Parameter canary: `--canary N`; nil or more than the jobs: see above.
    init(_ jobs: [RunScheduler.PreparedJob], canary count: Int?) {
        guard let count else {
            canary = []
            rest = jobs
            return
        }
        let chosen = Set(CanaryChoice.choose(count, from: jobs, accountID: \.account.accountID, ouPath: \.account.ouPath)
            .map(\.record.jobID))
        canary = jobs.filter { chosen.contains($0.record.jobID) }
        rest = jobs.filter { !chosen.contains($0.record.jobID) }
    }
}
