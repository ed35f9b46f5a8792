import FleetformBasics
import GRDB

/// A row of `job_attempts`: one try of a job. A job retried after throttling has several.
public struct AttemptRecord: Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "job_attempts"

    public var jobID: Int64
    public var attempt: Int
    public var startedAt: String
    public var finishedAt: String?
    /// How its terraform ended; nil while it runs, or when no terraform started (the
    /// workspace could not be rendered, a stop came first).
    public var termination: ProcessTermination?
    /// Whether its failure was retried.
    public var transient: Bool
    public var error: String?

    public enum Columns {
        public static let jobID = Column("job_id")
        public static let attempt = Column("attempt")
        public static let startedAt = Column("started_at")
        public static let finishedAt = Column("finished_at")
        public static let termination = Column("termination")
        public static let transient = Column("transient")
        public static let error = Column("error")
    }

    public init(jobID: Int64, attempt: Int, startedAt: String, finishedAt: String? = nil,
                termination: ProcessTermination? = nil, transient: Bool = false, error: String? = nil) {
        self.jobID = jobID
        self.attempt = attempt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.termination = termination
        self.transient = transient
        self.error = error
    }

    /// Databases written before the termination was typed stored "not started" for an
    /// attempt without terraform; that reads as no termination, like NULL.
    static let legacyNotStarted = "not started"

    public init(row: Row) throws {
        jobID = row[Columns.jobID.name]
        attempt = row[Columns.attempt.name]
        startedAt = row[Columns.startedAt.name]
        finishedAt = row[Columns.finishedAt.name]
        if let text: String = row[Columns.termination.name], text != Self.legacyNotStarted {
            guard let termination = ProcessTermination(storedText: text) else {
                throw InventoryRowError(table: Self.databaseTableName, key: "\(jobID)/\(attempt)",
                                        column: Columns.termination.name, value: text)
            }
            self.termination = termination
        }
        transient = row[Columns.transient.name]
        error = row[Columns.error.name]
    }

    public func encode(to container: inout PersistenceContainer) throws {
        container[Columns.jobID] = jobID
        container[Columns.attempt] = attempt
        container[Columns.startedAt] = startedAt
        container[Columns.finishedAt] = finishedAt
        container[Columns.termination] = termination?.description
        container[Columns.transient] = transient
        container[Columns.error] = error
    }
}
