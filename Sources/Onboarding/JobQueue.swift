/// Hands out jobs to workers and counts failures against the tolerance.
actor JobQueue {
    private var pending: [RunScheduler.PreparedJob]
    private let allowedFailures: Int?
    private var failures = 0
    private(set) var finished: [JobSummary] = []

    init(jobs: [RunScheduler.PreparedJob], allowedFailures: Int?, failures: Int = 0) {
        pending = jobs.reversed()
        self.allowedFailures = allowedFailures
        self.failures = failures
    }

    /// The next job, or nil when none may start: all taken, stopped, or too many failures.
    func next(stop: StopController) -> RunScheduler.PreparedJob? {
        guard !stop.isStopRequested, !toleranceExceeded else { return nil }
        return pending.popLast()
    }

    /// Records a finished job; true when this failure is the one that exceeds the tolerance.
    func record(_ summary: JobSummary) -> Bool {
        finished.append(summary)
        guard summary.status == .failed else { return false }
        failures += 1
        guard let allowedFailures else { return false }
        return failures == allowedFailures + 1
    }

    func toleranceState() -> (failed: Int, allowed: Int) {
        (failures, allowedFailures ?? -1)
    }

    private var toleranceExceeded: Bool {
        guard let allowedFailures else { return false }
        return failures > allowedFailures
    }

    var remaining: [RunScheduler.PreparedJob] {
        pending.reversed()
    }
}
