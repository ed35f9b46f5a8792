/// One row of `runs` with its job counts, for `fleetform runs`.
public struct RunSummary: Sendable, Equatable {
    public var runID: String
    public var command: RunCommand
    public var template: String
    public var pid: Int32
    public var parallel: Int
    public var startedAt: String
    public var finishedAt: String?
    public var outcome: RunOutcome?
    public var selected: Int
    public var succeeded: Int
    public var failed: Int
    public var skipped: Int
    public var interrupted: Int
    /// The accounts the run started first (`--canary`), in the run's account order;
    /// empty for a run without a canary.
    public var canary: [String]

    public init(run: RunRecord, counts: [JobStatus: Int], canary: [String] = []) {
        runID = run.runID
        command = run.command
        template = run.template
        pid = run.owner.pid
        parallel = run.parallel
        startedAt = run.startedAt
        finishedAt = run.finishedAt
        outcome = run.outcome
        selected = counts.values.reduce(0, +)
        succeeded = counts[.succeeded] ?? 0
        failed = counts[.failed] ?? 0
        skipped = counts[.skipped] ?? 0
        interrupted = counts[.interrupted] ?? 0
        self.canary = canary
    }
}
