import Foundation

/// A template as stored with a queued run (`run_template_files`): every worker renders
/// the same workspace from it, whether or not it has the template's directory.
public struct StoredTemplate: Sendable, Equatable {
    public struct File: Sendable, Equatable {
        /// Relative to the template's root, `/`-separated.
        public var path: String
        public var contents: [UInt8]

        public init(path: String, contents: [UInt8]) {
            self.path = path
            self.contents = contents
        }
    }

    /// The name the jobs record: the built-in name or the directory's path where it was enqueued.
    public var name: String
    /// The hash of all its files, checked when a worker loads it.
    public var hash: String
    public var files: [File]

    public init(name: String, hash: String, files: [File]) {
        self.name = name
        self.hash = hash
        self.files = files
    }
}

/// A job a worker claimed: it may run it, and record its result, while its lease holds.
public struct QueueClaim: Sendable, Equatable {
    public var job: JobRecord
    public var command: RunCommand
    /// `host:pid` of the worker.
    public var worker: String
    /// `jobs.claims` after this claim: a fencing token. A worker whose lease ran out and
    /// whose job was claimed again holds an older value, and nothing it records counts.
    public var token: Int64
    /// The run's `--max-attempts`.
    public var maxAttempts: Int
    /// The S3 state lock an earlier claim of this job recorded (`recordStateLock`). The
    /// job was pending again, so that claim's owner is known dead (its lease ran out) or
    /// gave the job back after stopping its terraform: a lock still in S3 with this id is
    /// stale, and the only one this claim may release.
    public var deadOwnerLock: RecordedStateLock?

    public init(job: JobRecord, command: RunCommand, worker: String, token: Int64, maxAttempts: Int,
                deadOwnerLock: RecordedStateLock? = nil) {
        self.job = job
        self.command = command
        self.worker = worker
        self.token = token
        self.maxAttempts = maxAttempts
        self.deadOwnerLock = deadOwnerLock
    }
}

/// The S3 state lock a job's terraform took, as its worker recorded it: the lock id
/// (what `terraform force-unlock` takes) and who took it (`user@host`). Never a secret.
public struct RecordedStateLock: Sendable, Equatable {
    public var id: String
    public var who: String?

    public init(id: String, who: String?) {
        self.id = id
        self.who = who
    }
}

/// What renewing a lease found.
public enum LeaseAnswer: Sendable, Equatable {
    /// Still this worker's, renewed.
    case held
    /// Still this worker's, but the run was cancelled (Ctrl-C on `apply --enqueue`):
    /// stop the job's terraform.
    case cancelled
    /// No longer this worker's: the lease ran out and the job went back to the queue
    /// (or ended). Stop, and record nothing.
    case lost
}

/// Where a queued run stands, for the command that follows it.
public struct QueuedRunState: Sendable, Equatable {
    public var jobs: [JobRecord]
    /// Set once the last job ended and the run was closed.
    public var outcome: RunOutcome?
    public var cancelRequested: Bool
}

/// The stored end of a job's log, for `logs` on a machine that does not hold the file.
public struct StoredLogTail: Sendable, Equatable {
    public var tail: [UInt8]
    /// The host holding the full file at the job's `log_path`.
    public var host: String?
}
