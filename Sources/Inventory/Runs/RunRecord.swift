import FleetformBasics
import GRDB

/// A row of `runs`: one apply, plan, retry or destroy, and the fleetform that owns it.
public struct RunRecord: Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "runs"

    public var runID: String
    public var command: RunCommand
    /// The template of every job, or "per job" for a retry of several.
    public var template: String
    public var owner: ProcessIdentity
    public var parallel: Int
    public var startedAt: String
    public var finishedAt: String?
    public var outcome: RunOutcome?

    public enum Columns {
        public static let runID = Column("run_id")
        public static let command = Column("command")
        public static let template = Column("template")
        public static let pid = Column("pid")
        public static let host = Column("host")
        public static let pidStarted = Column("pid_started")
        public static let parallel = Column("parallel")
        public static let startedAt = Column("started_at")
        public static let finishedAt = Column("finished_at")
        public static let outcome = Column("outcome")
    }

    public init(runID: String, command: RunCommand, template: String, owner: ProcessIdentity, parallel: Int,
                startedAt: String, finishedAt: String? = nil, outcome: RunOutcome? = nil) {
        self.runID = runID
        self.command = command
        self.template = template
        self.owner = owner
        self.parallel = parallel
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outcome = outcome
    }

    public init(row: Row) throws {
        runID = row[Columns.runID.name]
        command = try row.decoded(Columns.command.name, table: Self.databaseTableName, key: row[Columns.runID.name])
        template = row[Columns.template.name]
        owner = Self.owner(of: row)
        parallel = row[Columns.parallel.name]
        startedAt = row[Columns.startedAt.name]
        finishedAt = row[Columns.finishedAt.name]
        outcome = try row.decodedIfPresent(Columns.outcome.name, table: Self.databaseTableName, key: row[Columns.runID.name])
    }

    public func encode(to container: inout PersistenceContainer) throws {
        container[Columns.runID] = runID
        container[Columns.command] = command.rawValue
        container[Columns.template] = template
        container[Columns.pid] = owner.pid
        container[Columns.host] = owner.host
        // SQLite integers are signed; a start time in clock ticks fits either way.
        container[Columns.pidStarted] = owner.startTime.map { Int64(bitPattern: $0) }
        container[Columns.parallel] = parallel
        container[Columns.startedAt] = startedAt
        container[Columns.finishedAt] = finishedAt
        container[Columns.outcome] = outcome?.rawValue
    }

    /// The fleetform that owns a `runs` row (`pid`, `host`, `pid_started`).
    static func owner(of row: Row) -> ProcessIdentity {
        let started: Int64? = row[Columns.pidStarted.name]
        return ProcessIdentity(host: row[Columns.host.name], pid: row[Columns.pid.name],
                               startTime: started.map { UInt64(bitPattern: $0) })
    }
}
