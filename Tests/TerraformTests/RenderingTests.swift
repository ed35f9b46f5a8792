import FleetformBasics
import Foundation
import Testing
import TestSupport
@testable import Terraform

@Suite struct RenderingTests {
    private let layout = HomeLayout(home: URL(fileURLWithPath: "/home/ops/.fleetform"))

    private func variables(tags: [String: String] = ["team": "payments"]) -> [String: JSONValue] {
        [
            "account_id": .string("012345678901"),
            "region": .string("eu-west-1"),
            "role_name": .string("terraform-akeyless-role"),
            "access_role_name": .string("OrganizationAccountAccessRole"),
            "management_account_id": .string("123456789012"),
            "tags": .object(JSONObject(sorted: tags.mapValues { .string($0) })),
            "not_declared": .string("dropped"),
        ]
    }

    /// Compares with a file under Tests/Fixtures/golden; FLEETFORM_RECORD_GOLDEN=1 rewrites it
    /// and fails all the same, so a recording run can never pass for a checked one.
    private func expectGolden(_ text: String, _ name: String) throws {
        let url = RepositoryFiles.url("Tests/Fixtures/golden/\(name)")
        if ProcessInfo.processInfo.environment["FLEETFORM_RECORD_GOLDEN"] == "1" {
            try Data(text.utf8).write(to: url)
            Issue.record("re-recorded the golden file \(name): review the diff and commit it, then run without FLEETFORM_RECORD_GOLDEN")
            return
        }
        let golden = try String(contentsOf: url, encoding: .utf8)
        #expect(text == golden, "\(name) differs from its golden file (FLEETFORM_RECORD_GOLDEN=1 to re-record)")
    }

    @Test func builtInTemplateRendersGoldenJSON() throws {
        let renderer = WorkspaceRenderer(layout: layout, terraformVersion: "1.11.4")
        let rendering = renderer.rendering(accountID: "012345678901", template: .builtIn, variables: variables())
        try expectGolden(rendering.variablesJSON, "akeyless-gateway-role.auto.tfvars.json")
        try expectGolden(rendering.backendJSON, "akeyless-gateway-role.backend.tf.json")
        #expect(!rendering.variablesJSON.contains("not_declared"))
        #expect(rendering.configHash.count == 64)
    }

    @Test func inventoryTextCannotInjectConfiguration() throws {
        let hostile = "x\"}\nresource \"aws_iam_user\" \"evil\" {\n name = \"${file(\"/etc/passwd\")}\"\n}"
        let renderer = WorkspaceRenderer(layout: layout, terraformVersion: "1.11.4")
        let rendering = renderer.rendering(accountID: "012345678901", template: .builtIn, variables: variables(tags: ["note": hostile]))
        // The value stays one JSON string: the file parses, and the tag reads back unchanged.
        guard case .object(let root) = try JSONParser.parse(Array(rendering.variablesJSON.utf8)),
              case .object(let tags)? = root["tags"] else {
            Issue.record("variables file is not a JSON object with tags")
            return
        }
        #expect(tags["note"] == .string(hostile))
    }

    @Test func configHashChangesWithEachInputAndOnlyThen() {
        let renderer = WorkspaceRenderer(layout: layout, terraformVersion: "1.11.4")
        let base = renderer.rendering(accountID: "012345678901", template: .builtIn, variables: variables()).configHash
        #expect(renderer.rendering(accountID: "012345678901", template: .builtIn, variables: variables()).configHash == base)
        #expect(renderer.rendering(accountID: "012345678901", template: .builtIn,
                                   variables: variables(tags: ["team": "other"])).configHash != base)
        var edited = TerraformTemplate.builtIn
        edited.files[0].contents += Array("\n# comment\n".utf8)
        #expect(renderer.rendering(accountID: "012345678901", template: edited, variables: variables()).configHash != base)
        let newer = WorkspaceRenderer(layout: layout, terraformVersion: "1.12.0")
        #expect(newer.rendering(accountID: "012345678901", template: .builtIn, variables: variables()).configHash != base)
        // Another account has another backend (state path), so another hash.
        #expect(renderer.rendering(accountID: "012345678902", template: .builtIn, variables: variables()).configHash != base)
    }

    @Test func builtInTemplateDeclaresTheContract() throws {
        let template = TerraformTemplate.builtIn
        #expect(template.declaredOutputs == ["role_arn", "policy_arn", "instance_profile_arn"])
        #expect(template.declaredVariables.isSuperset(of: [
            "account_id", "region", "role_name", "access_role_name", "management_account_id", "tags",
            "create_instance_profile", "least_privilege",
        ]))
        try template.validate()
    }

    @Test func embeddedTemplateEqualsTheFiles() throws {
        let folder = RepositoryFiles.url("templates/akeyless-gateway-role")
        let onDisk = try TerraformTemplate.load(directory: folder)
        #expect(onDisk.files == TerraformTemplate.builtIn.files, "templates/ and the embedded copy differ: run scripts/embed-resources")
        #expect(onDisk.adoptionFile == TerraformTemplate.builtIn.adoptionFile, "run scripts/embed-resources")
    }

    @Test func templateWithoutRoleARNOutputIsRefused() {
        let folder = RepositoryFiles.url("Tests/Fixtures/templates/no-role-arn")
        #expect(throws: TemplateError.missingRoleARNOutput(folder.standardizedFileURL.path)) {
            try TerraformTemplate.load(directory: folder)
        }
        #expect(throws: TemplateError.notADirectory("/nonexistent/template")) {
            try TerraformTemplate.load(directory: URL(fileURLWithPath: "/nonexistent/template"))
        }
    }

    @Test func writingAWorkspaceReplacesOnlyWhatFleetformWrote() throws {
        let home = try TemporaryDirectory()
        let renderer = WorkspaceRenderer(layout: HomeLayout(home: home.url), terraformVersion: "1.11.4")
        // First an earlier template with one more file, then the built-in one.
        var earlier = TerraformTemplate.builtIn
        earlier.files.append(.init(path: "extra.tf", contents: Array("# from the earlier template\n".utf8)))
        let workspace = try renderer.write(renderer.rendering(accountID: "012345678901", template: earlier, variables: variables()))
        #expect(workspace.path == home.url.appendingPathComponent("workspaces/012345678901").path)
        #expect(FileManager.default.fileExists(atPath: workspace.appendingPathComponent("extra.tf").path))
        try home.write("workspaces/012345678901/crash.log", "terraform crashed")
        try home.write("workspaces/012345678901/.terraform/providers/keep", "x")
        try home.write("workspaces/012345678901/.terraform.lock.hcl", "# lock")
        let rendering = renderer.rendering(accountID: "012345678901", template: .builtIn, variables: variables())
        _ = try renderer.write(rendering)
        let files = try FileManager.default.contentsOfDirectory(atPath: workspace.path).sorted()
        #expect(files == [".fleetform-files", ".terraform", ".terraform.lock.hcl", "crash.log", "fleetform.auto.tfvars.json",
                          "fleetform_backend.tf.json", "main.tf", "outputs.tf", "variables.tf", "versions.tf"])
        #expect(FileManager.default.fileExists(atPath: workspace.appendingPathComponent(".terraform/providers/keep").path))
        #expect(FileManager.default.fileExists(atPath: home.url.appendingPathComponent("state/012345678901").path))
        let written = try String(contentsOf: workspace.appendingPathComponent("fleetform.auto.tfvars.json"), encoding: .utf8)
        #expect(written == rendering.variablesJSON)

        // State terraform could not save stops the account instead of being lost.
        try home.write("workspaces/012345678901/errored.tfstate", "{}")
        #expect(throws: WorkspaceError.self) { try renderer.write(rendering) }
        #expect(FileManager.default.fileExists(atPath: workspace.appendingPathComponent("errored.tfstate").path))
    }
}
