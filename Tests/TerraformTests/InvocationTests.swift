import FleetformBasics
import Foundation
import Testing
@testable import Terraform

/// Argument lists are pure functions of the options: checked here without terraform.
@Suite struct InvocationTests {
    @Test func argumentLists() {
        #expect(VersionInvocation().arguments == ["version", "-json"])
        #expect(InitInvocation().arguments == ["init", "-input=false", "-no-color", "-lock-timeout=60s"])
        #expect(PlanInvocation().arguments
            == ["plan", "-input=false", "-no-color", "-json", "-detailed-exitcode", "-lock-timeout=60s"])
        #expect(ApplyInvocation().arguments
            == ["apply", "-auto-approve", "-input=false", "-no-color", "-json", "-lock-timeout=60s"])
        #expect(DestroyInvocation().arguments
            == ["destroy", "-auto-approve", "-input=false", "-no-color", "-json", "-lock-timeout=60s"])
        var apply = ApplyInvocation()
        apply.lockTimeout = "5m"
        #expect(apply.arguments.last == "-lock-timeout=5m")
    }

    /// terraform-exec's `Plan` returns (hasChanges, err) from `-detailed-exitcode`: exit 2
    /// is a successful plan, for plan only.
    @Test func planAcceptsItsHasChangesExitCodeAndNoOtherCommandDoes() {
        #expect(PlanInvocation().succeeded(.exited(0)))
        #expect(PlanInvocation().succeeded(.exited(PlanInvocation.hasChangesExitCode)))
        #expect(!PlanInvocation().succeeded(.exited(1)))
        #expect(!PlanInvocation().succeeded(.signaled(2)))
        #expect(!ApplyInvocation().succeeded(.exited(2)))
        #expect(!InitInvocation().succeeded(.exited(2)))
        #expect(DestroyInvocation().succeeded(.exited(0)))
    }

    @Test func terminationsReadBackWhatTheyStore() {
        for termination in [ProcessTermination.exited(0), .exited(2), .signaled(9)] {
            #expect(ProcessTermination(storedText: termination.description) == termination)
        }
        #expect(ProcessTermination.exited(1).description == "exit 1")
        #expect(ProcessTermination(storedText: "not started") == nil)
        #expect(ProcessTermination(storedText: "exit x") == nil)
    }

    @Test func environmentBlanksDebugLogsAndKeepsTheUsersSettings() {
        let inherited = [
            "TF_LOG": "DEBUG", "TF_LOG_PROVIDER": "TRACE", "TF_CLI_CONFIG_FILE": "/x/cli.tfrc",
            "AWS_PROFILE": "org", "PATH": "/usr/bin",
        ]
        let changes = TerraformEnvironment.overrides(inherited: inherited, pluginCache: "/home/plugin-cache", debugLog: false)
        #expect(changes["TF_IN_AUTOMATION"] == .some("1"))
        #expect(changes["TF_INPUT"] == .some("0"))
        #expect(changes["CHECKPOINT_DISABLE"] == .some("1"))
        #expect(changes["TF_PLUGIN_CACHE_DIR"] == .some("/home/plugin-cache"))
        #expect(changes["TF_LOG"] == .some(nil))
        #expect(changes["TF_LOG_PROVIDER"] == .some(nil))
        // The user's CLI config and AWS settings pass through: they are not touched at all.
        #expect(changes["TF_CLI_CONFIG_FILE"] == nil)
        #expect(changes["AWS_PROFILE"] == nil)

        let debug = TerraformEnvironment.overrides(inherited: inherited, pluginCache: "/c", debugLog: true)
        #expect(debug["TF_LOG"] == nil)
        // Variables that would move state or add arguments behind fleetform's back are removed.
        let redirected = TerraformEnvironment.overrides(
            inherited: ["TF_WORKSPACE": "prod", "TF_DATA_DIR": "/tmp/x", "TF_CLI_ARGS_apply": "-parallelism=1"],
            pluginCache: "/c", debugLog: false)
        #expect(redirected["TF_WORKSPACE"] == .some(nil))
        #expect(redirected["TF_DATA_DIR"] == .some(nil))
        #expect(redirected["TF_CLI_ARGS_apply"] == .some(nil))
        let ownCache = TerraformEnvironment.overrides(inherited: ["TF_PLUGIN_CACHE_DIR": "/mine"], pluginCache: "/c", debugLog: false)
        #expect(ownCache["TF_PLUGIN_CACHE_DIR"] == nil)
    }

    @Test func versionsCompareNumerically() throws {
        #expect(TerraformVersion("1.11.4")! > TerraformVersion("1.9.8")!)
        #expect(TerraformVersion("v1.5.0")! == TerraformVersion.minimumSupported)
        #expect(TerraformVersion("1.6.0-beta1")!.description == "1.6.0")
        #expect(TerraformVersion("1.4.7")! < .minimumSupported)
        #expect(TerraformVersion("banana") == nil)
    }

    @Test func locatorNamesWhatIsMissing() {
        #expect(throws: TerraformError.notFound("PATH=/nonexistent")) {
            try TerraformLocator.locate(explicit: nil, environment: ["PATH": "/nonexistent"])
        }
        #expect(throws: TerraformError.notExecutable("/etc")) {
            try TerraformLocator.locate(explicit: "/etc", environment: [:])
        }
    }
}

@Suite struct ProcessGroupTests {
    @Test func aRecordedProcessIsKnownByPidAndStartTime() throws {
        let pid = getpid()
        let started = try #require(ProcessGroup.startTime(of: pid))
        let me = ProcessIdentity(host: ProcessProbe.hostName, pid: pid, startTime: started)
        #expect(ProcessGroup.liveness(of: me) == .running)
        // Same pid, other start time: a recycled pid, not the terraform that was recorded.
        #expect(ProcessGroup.liveness(of: ProcessIdentity(host: me.host, pid: pid, startTime: started + 1)) == .gone)
        #expect(!ProcessGroup.isAlive(0))
        #expect(ProcessGroup.startTime(of: Int32.max) == nil)
    }

    @Test func aProcessRecordedOnAnotherHostIsNeverCheckedAgainstALocalPid() {
        let other = ProcessIdentity(host: "build-7", pid: getpid(), startTime: nil)
        #expect(ProcessGroup.liveness(of: other) == .elsewhere(host: "build-7"))
        #expect(other.label == "pid \(getpid()) on host build-7")
    }

    /// A zombie (finished, never reaped by its parent) passes `kill(pid, 0)` and keeps its
    /// start time; it must still count as finished, or the next apply waits for ever.
    @Test func aZombieHasFinished() throws {
        let child = fork()
        if child == 0 { _exit(0) }
        #expect(child > 0)
        defer { var status: Int32 = 0; waitpid(child, &status, 0) }
        // Wait until it has exited but is not reaped.
        var state: Character?
        for _ in 0..<200 {
            state = ProcessProbe.state(of: child)
            if state == "Z" { break }
            usleep(10_000)
        }
        #expect(state == "Z")
        #expect(ProcessGroup.isAlive(child), "kill(pid, 0) succeeds on a zombie")
        let started = ProcessGroup.startTime(of: child)
        #expect(started != nil)
        #expect(ProcessGroup.liveness(of: ProcessIdentity(host: ProcessProbe.hostName, pid: child, startTime: started)) == .gone)
    }
}
