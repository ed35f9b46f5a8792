import Foundation
import Inventory
import Terraform
import Testing
@testable import Onboarding

/// Which S3 state lock a worker releases: only the one the claim's dead owner recorded.
@Suite struct StateLockDecisionTests {
    let dead = RecordedStateLock(id: "11111111-aaaa-bbbb-cccc-000000000001", who: "root@host-a")

    @Test func noLockNothingToDo() {
        #expect(StateLockDecision.decide(found: nil, deadOwner: dead) == .free)
        #expect(StateLockDecision.decide(found: nil, deadOwner: nil) == .free)
    }

    @Test func theDeadOwnersLockIsReleased() {
        let found = StateLockInfo(id: dead.id, who: "root@host-a")
        #expect(StateLockDecision.decide(found: found, deadOwner: dead) == .release(found))
    }

    @Test func anyOtherLockIsLeftAlone() {
        // Another id, even from the same holder: a live terraform or a human's.
        let other = StateLockInfo(id: "22222222-aaaa-bbbb-cccc-000000000002", who: "root@host-a")
        #expect(StateLockDecision.decide(found: other, deadOwner: dead) == .leave(other))
        // Nothing recorded: no owner is known dead, so no lock is stale.
        let any = StateLockInfo(id: dead.id, who: "root@host-a")
        #expect(StateLockDecision.decide(found: any, deadOwner: nil) == .leave(any))
        // Ids are compared exactly.
        let prefix = StateLockInfo(id: String(dead.id.dropLast()), who: "root@host-a")
        #expect(StateLockDecision.decide(found: prefix, deadOwner: dead) == .leave(prefix))
    }

    @Test func aTerraformsOwnLockIsOneTakenOnThisHostAfterItStarted() {
        let started = Date(timeIntervalSince1970: 1_796_599_800)
        func lock(who: String, created: String) -> StateLockInfo { StateLockInfo(id: "x", who: who, created: created) }
        #expect(StateLockDecision.isOwn(lock(who: "root@here", created: "2026-12-06T23:30:01.5Z"), host: "here", started: started))
        // Rounding: up to a second before the start still counts.
        #expect(StateLockDecision.isOwn(lock(who: "root@here", created: "2026-12-06T23:29:59.5Z"), host: "here", started: started))
        // A lock that was there before (which the terraform waits for) is not its own.
        #expect(!StateLockDecision.isOwn(lock(who: "root@here", created: "2026-12-06T23:20:00Z"), host: "here", started: started))
        // Nor one taken on another machine, nor one without a readable time.
        #expect(!StateLockDecision.isOwn(lock(who: "root@there", created: "2026-12-06T23:30:01Z"), host: "here", started: started))
        #expect(!StateLockDecision.isOwn(lock(who: "root@here", created: "yesterday"), host: "here", started: started))
    }
}
