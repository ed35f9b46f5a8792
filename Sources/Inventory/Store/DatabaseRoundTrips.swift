import Synchronization

/// Transactions (reads and writes) this process made against the store: what the
/// queue's cost per job is measured in (`scripts/bench-workers`). With SQLite a round
/// trip is a lock and a file access; with PostgreSQL it is a network round trip, which
/// is why the queue's operations are each one transaction.
public enum DatabaseRoundTrips {
    private static let counter = Atomic<Int>(0)

    public static var count: Int { counter.load(ordering: .relaxed) }

    static func add() {
        counter.add(1, ordering: .relaxed)
    }
}
