import FleetformBasics
import Testing
@testable import Terraform

@Suite struct OutputReaderTests {
    private func read(_ lines: [String]) -> TerraformReport {
        var reader = TerraformOutputReader()
        for line in lines { reader.consume(line: Substring(line)) }
        reader.finish()
        return reader.report
    }

    @Test func readsDiagnosticsChangesAndOutputsFromJSONEvents() {
        let report = read([
            #"{"@level":"info","@message":"Terraform 1.11.4","terraform":"1.11.4","type":"version","ui":"1.2"}"#,
            #"{"@level":"info","@message":"Apply complete!","changes":{"add":4,"change":1,"import":0,"remove":2,"operation":"apply"},"type":"change_summary"}"#,
            #"{"@level":"info","@message":"Outputs: 3","outputs":{"role_arn":{"sensitive":false,"type":"string","value":"arn:aws:iam::012345678901:role/r"},"policy_arn":{"sensitive":false,"type":"string","value":"arn:aws:iam::012345678901:policy/r-policy"},"count":{"sensitive":false,"type":"number","value":3}},"type":"outputs"}"#,
            #"{"@level":"error","@message":"Error: assume role","diagnostic":{"severity":"error","summary":"Cannot assume IAM Role","detail":"IAM Role (arn:aws:iam::1:role/x) cannot be assumed.\n\nAccessDenied: not authorized"},"type":"diagnostic"}"#,
            #"{"@level":"warn","@message":"Warning: x","diagnostic":{"severity":"warning","summary":"Deprecated","detail":""},"type":"diagnostic"}"#,
            "not json at all",
        ])
        #expect(report.terraformVersion == "1.11.4")
        #expect(report.changes == PlanChanges(add: 4, change: 1, destroy: 2))
        #expect(report.outputs == ["role_arn": "arn:aws:iam::012345678901:role/r", "policy_arn": "arn:aws:iam::012345678901:policy/r-policy"])
        #expect(report.diagnostics.count == 2)
        #expect(report.firstError?.oneLine
            == "Cannot assume IAM Role: IAM Role (arn:aws:iam::1:role/x) cannot be assumed. AccessDenied: not authorized")
    }

    @Test func readsErrorBlocksFromInitText() {
        let report = read([
            "Initializing provider plugins...",
            "╷",
            "│ Error: Failed to query available provider packages",
            "│ ",
            "│ Could not retrieve the list of available versions for provider",
            "│ hashicorp/aws: no available releases match",
            "╵",
        ])
        #expect(report.firstError?.summary == "Failed to query available provider packages")
        #expect(report.firstError?.detail
            == "Could not retrieve the list of available versions for provider hashicorp/aws: no available releases match")
    }

    @Test func keepsOnlyTheOutputOfAFailedLocalExec() {
        let diagnostic = TerraformReport.Diagnostic(
            severity: "error", summary: "local-exec provisioner error",
            detail: "Error running command 'long script': exit status 1. Output: Throttling: Rate exceeded\n")
        #expect(diagnostic.oneLine == "local-exec provisioner error: Throttling: Rate exceeded")
    }

    @Test func keepsTheAWSErrorBehindTheProvidersAdvice() {
        let diagnostic = TerraformReport.Diagnostic(
            severity: "error", summary: "Cannot assume IAM Role",
            detail: """
                IAM Role (arn:aws:iam::847477221229:role/OrganizationAccountAccessRole) cannot be assumed.

                There are a number of possible causes of this - the most common are:
                  * The credentials used in order to assume the role are invalid
                  * The credentials do not have appropriate permission to assume the role
                  * The role ARN is not valid

                Error: operation error STS: AssumeRole, https response error StatusCode: 403, RequestID: e3bd, api error AccessDenied: User: arn:aws:iam::123456789012:user/ci is not authorized to perform: sts:AssumeRole
                """)
        #expect(diagnostic.oneLine
            == "Cannot assume IAM Role: AccessDenied: User: arn:aws:iam::123456789012:user/ci is not authorized to perform: sts:AssumeRole")
    }

    @Test func boundsTheNumberOfDiagnostics() {
        let line = #"{"type":"diagnostic","diagnostic":{"severity":"error","summary":"s","detail":"d"}}"#
        let report = read(Array(repeating: line, count: 500))
        #expect(report.diagnostics.count == TerraformReport.maximumDiagnostics)
    }
}
