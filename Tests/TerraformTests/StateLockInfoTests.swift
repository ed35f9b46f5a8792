import Foundation
import Testing
@testable import Terraform

/// The `.tflock` object Terraform's S3 backend writes while it holds the state lock
/// (`use_lockfile`), as fleetform reads it, and the command that releases it.
@Suite struct StateLockInfoTests {
    /// As Terraform 1.11 writes it (lockfile.go: the JSON of `statemgr.LockInfo`).
    static let written = """
        {"ID":"9d4f7c3e-5b1a-2c8e-0f6d-4a3b2c1d0e9f","Operation":"OperationTypeApply","Info":"",\
        "Who":"root@build-7","Version":"1.11.4","Created":"2026-12-06T23:30:01.123456789Z",\
        "Path":"team-state/fleet/410000000001/terraform.tfstate"}
        """

    @Test func parsesTheLockObjectTerraformWrites() throws {
        let lock = try #require(StateLockInfo(parsing: Array(Self.written.utf8)))
        #expect(lock.id == "9d4f7c3e-5b1a-2c8e-0f6d-4a3b2c1d0e9f")
        #expect(lock.operation == "OperationTypeApply")
        #expect(lock.who == "root@build-7")
        #expect(lock.host == "build-7")
        #expect(lock.version == "1.11.4")
        #expect(lock.path == "team-state/fleet/410000000001/terraform.tfstate")
        let created = try #require(lock.createdDate)
        #expect(abs(created.timeIntervalSince1970 - 1_796_599_801.123) < 0.001)
        #expect(lock.summary == "lock 9d4f7c3e-5b1a-2c8e-0f6d-4a3b2c1d0e9f held by root@build-7 (apply since 2026-12-06T23:30:01.123456789Z)")
        #expect(lock.details == "lock 9d4f7c3e-5b1a-2c8e-0f6d-4a3b2c1d0e9f, apply since 2026-12-06T23:30:01.123456789Z")
    }

    @Test func aTimestampWithoutAFractionIsReadToo() throws {
        let lock = try #require(StateLockInfo(parsing: Array(#"{"ID":"a","Created":"2026-12-06T23:30:01Z"}"#.utf8)))
        #expect(lock.createdDate?.timeIntervalSince1970 == 1_796_599_801)
        #expect(lock.who == "")
        #expect(lock.holder == "an unknown holder")
        #expect(lock.details == "lock a, since 2026-12-06T23:30:01Z")
    }

    @Test(arguments: ["", "not json", "{}", #"{"ID": ""}"#, #"{"ID": 7}"#, #"{"ID": "a b"}"#, #"{"ID": "x\ny"}"#, "[1]"])
    func anythingWithoutAUsableIDIsNotALock(_ body: String) {
        #expect(StateLockInfo(parsing: Array(body.utf8)) == nil)
    }

    @Test func forceUnlockNamesTheLockAndDoesNotAsk() {
        #expect(ForceUnlockInvocation(lockID: "9d4f").arguments == ["force-unlock", "-force", "9d4f"])
    }

    @Test func theLockObjectSitsBesideTheStateObject() throws {
        let location = try StateLocation(parsing: "s3://team-state/fleet?region=eu-west-1")
        let object = try #require(location.lockObject(accountID: "410000000001"))
        #expect(object.bucket == "team-state")
        #expect(object.key == "fleet/410000000001/terraform.tfstate.tflock")
        #expect(object.region == "eu-west-1")
        #expect(try StateLocation(parsing: "s3://b-1").lockObject(accountID: "1")?.key == "1/terraform.tfstate.tflock")
        #expect(StateLocation.local.lockObject(accountID: "1") == nil)
    }
}
