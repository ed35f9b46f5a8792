import AWSClient
import FleetformBasics
import Foundation
import Inventory
import Terraform

/// What a worker does about an account's S3 state lock (`<state key>.tflock`), given
/// the lock an earlier claim of the job recorded (`QueueClaim.deadOwnerLock`).
///
/// A machine that is lost takes its worker and that worker's terraform with it, and the
/// terraform's lock object stays in S3: every later attempt on the account would fail
/// on it for ever. The lease says when a worker is dead (the queue requeued its job);
/// the recorded id says which lock was its terraform's. Only a lock with exactly that
/// id is released; any other (a live terraform, a human's) is left alone.
enum StateLockDecision: Sendable, Equatable {
    /// No lock: nothing to do.
    case free
    /// The dead owner's lock: release it with `terraform force-unlock -force ID`.
    case release(StateLockInfo)
    /// Someone else's lock: leave it; the job waits for it (`-lock-timeout`) as before.
    case leave(StateLockInfo)

    static func decide(found: StateLockInfo?, deadOwner: RecordedStateLock?) -> StateLockDecision {
        guard let found else { return .free }
        if let deadOwner, deadOwner.id == found.id { return .release(found) }
        return .leave(found)
    }

    /// Whether `lock` is the one taken by a terraform that this machine started at
    /// `started`: taken on this host, and no earlier than that start (less a second of
    /// rounding; terraform writes `Created` before it takes the lock). A lock that was
    /// there before, which the terraform is waiting for, is never recorded as its own.
    static func isOwn(_ lock: StateLockInfo, host: String, started: Date) -> Bool {
        guard lock.host == host, let created = lock.createdDate else { return false }
        return created >= started.addingTimeInterval(-1)
    }
}

/// A worker's view of one job's S3 state lock: reads the lock object through
/// fleetform's own S3 client, records the lock its terraform takes, and knows the lock
/// of the claim's dead owner.
struct StateLockGuard: Sendable {
    var bucket: String
    var key: String
    /// The lock an earlier claim of this job recorded (its owner is known dead).
    var deadOwner: RecordedStateLock?
    var read: @Sendable () async throws -> StateLockInfo?
    var record: @Sendable (StateLockInfo) -> Void

    /// For a claimed job of a run whose state is in S3; nil for local state.
    static func forClaim(
        _ claim: QueueClaim, location: StateLocation, session: AWSSession, database: any InventoryStore
    ) -> StateLockGuard? {
        guard let object = location.lockObject(accountID: claim.job.accountID),
              let s3 = try? session.s3(region: object.region) else { return nil }
        return StateLockGuard(
            bucket: object.bucket, key: object.key, deadOwner: claim.deadOwnerLock,
            read: {
                guard let body = try await s3.getObject(bucket: object.bucket, key: object.key) else { return nil }
                // An object that is not a lock (truncated, someone else's format) has no
                // id to match: it is never released, and named by its key.
                return StateLockInfo(parsing: body) ?? StateLockInfo(id: "(unreadable)", who: "s3://\(object.bucket)/\(object.key)")
            },
            record: { lock in
                _ = try? database.recordStateLock(claim, lock: RecordedStateLock(id: lock.id, who: lock.who))
            })
    }

    var location: String { "s3://\(bucket)/\(key)" }

    /// Polls the lock object after a terraform started at `started` until it holds the
    /// lock this terraform took, then records its id; gives up after `limit` (a plan
    /// that never locks) or when cancelled (terraform ended).
    func watch(started: Date, limit: Duration = .seconds(60)) async {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        let host = ProcessProbe.hostName
        while !Task.isCancelled, clock.now < deadline {
            if let lock = try? await read(), StateLockDecision.isOwn(lock, host: host, started: started) {
                record(lock)
                return
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }
}
