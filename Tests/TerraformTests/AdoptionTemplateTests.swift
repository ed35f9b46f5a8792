import FleetformBasics
import Foundation
import Testing
import TestSupport
@testable import Terraform

/// The adoption manifest, the import blocks it leads to, and reading what a state holds.
@Suite struct AdoptionTemplateTests {
    private let declared: Set<String> = ["role_name", "account_id"]

    private func parse(_ text: String) throws(AdoptionManifestError) -> AdoptionManifest {
        try AdoptionManifest.parse(Array(text.utf8), file: "m.json", declaredVariables: declared)
    }

    private func reason(_ text: String) -> String? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error.reason
        }
    }

    @Test func builtInTemplateDeclaresEveryObject() throws {
        let manifest = try #require(TerraformTemplate.builtIn.adoption)
        #expect(manifest.objects.map(\.kind) == [.role, .policy, .attachment, .instanceProfile])
        #expect(manifest.objects.map(\.address) == [
            "aws_iam_role.this", "aws_iam_policy.this", "aws_iam_role_policy_attachment.this",
            "aws_iam_instance_profile.this[0]",
        ])
        let variables: [String: JSONValue] = ["role_name": .string("gw")]
        #expect(manifest.object(.role)?.name?.resolve(variables) == "gw")
        #expect(manifest.object(.policy)?.name?.resolve(variables) == "gw-policy")
        #expect(manifest.object(.instanceProfile)?.name?.resolve(variables) == "gw")
        #expect(manifest.objects.allSatisfy { $0.path == "/" })
        // Terraform never sees it, and it is no part of what the configuration hash covers.
        #expect(!TerraformTemplate.builtIn.files.contains { $0.path == AdoptionManifest.fileName })
    }

    @Test func malformedManifestsSayWhatIsWrong() {
        let role = #"{"kind": "role", "address": "aws_iam_role.this", "name": "${role_name}"}"#
        #expect(reason("not json")?.hasPrefix("not valid JSON") == true)
        #expect(reason(#"{"format": 2, "objects": [\#(role)]}"#) == "\"format\" must be 1")
        #expect(reason(#"{"format": 1, "objects": []}"#) == "\"objects\" must be a non-empty array")
        #expect(reason(#"{"format": 1, "objects": [\#(role)], "extra": 1}"#) == "the top level has an unknown key \"extra\"")
        #expect(reason(#"{"format": 1, "objects": [{"kind": "user", "address": "a.b", "name": "x"}]}"#)
            == "objects[0].kind must be one of role, policy, attachment, instance_profile")
        #expect(reason(#"{"format": 1, "objects": [{"kind": "role", "address": "aws_iam_role", "name": "x"}]}"#)?
            .hasPrefix("objects[0].address must be a resource address") == true)
        #expect(reason(#"{"format": 1, "objects": [{"kind": "role", "address": "aws_iam_role.this", "name": "${nope}"}]}"#)
            == "objects[0].name: ${nope} is not a variable of the template")
        #expect(reason(#"{"format": 1, "objects": [{"kind": "role", "address": "aws_iam_role.this"}]}"#)
            == "objects[0].name must be a string such as \"${role_name}\"")
        #expect(reason(#"{"format": 1, "objects": [\#(role), \#(role)]}"#) == "objects[1]: a second role")
        #expect(reason(#"{"format": 1, "objects": [{"kind": "role", "address": "aws_iam_role.this", "name": "x", "path": "gw"}]}"#)
            == "objects[0].path must start and end with / (IAM paths look like /gateways/)")
        #expect(reason(#"{"format": 1, "objects": [\#(role), {"kind": "attachment", "address": "aws_iam_role_policy_attachment.this"}]}"#)
            == "an attachment needs the role and the policy it joins in the manifest too")
        #expect(reason(#"{"format": 1, "objects": [{"kind": "instance_profile", "address": "aws_iam_instance_profile.this", "name": "x"}]}"#)
            == "an instance_profile needs the role it holds in the manifest too")
        #expect(reason(#"{"format": 1, "objects": [\#(role), {"kind": "policy", "address": "aws_iam_role.this", "name": "p"}]}"#)
            == "two objects have the same address")
        #expect(reason(#"{"format": 1, "objects": [{"kind": "role", "address": "module.gw[\"a\"].aws_iam_role.this[0]", "name": "r-${account_id}", "path": "/gw/"}]}"#) == nil)
    }

    @Test func aTemplateDirectoryWithABrokenManifestIsRefused() throws {
        let directory = try TemporaryDirectory()
        try directory.write("main.tf", "output \"role_arn\" {\n  value = \"x\"\n}\n")
        try directory.write(AdoptionManifest.fileName, #"{"format": 1, "objects": "all"}"#)
        #expect {
            try TerraformTemplate.load(directory: directory.url)
        } throws: { error in
            "\(error)" == "template \(directory.url.standardizedFileURL.path): \(AdoptionManifest.fileName): \"objects\" must be a non-empty array"
        }
        // A good one is read, kept out of the files, and exported with them.
        try directory.write(AdoptionManifest.fileName, """
            {"format": 1, "objects": [{"kind": "role", "address": "aws_iam_role.this", "name": "fixed"}]}
            """)
        let template = try TerraformTemplate.load(directory: directory.url)
        #expect(template.adoption?.objects.map(\.kind) == [.role])
        #expect(template.files.map(\.path) == ["main.tf"])
        let exported = try TemporaryDirectory()
        try template.export(to: exported.url)
        #expect(FileManager.default.fileExists(atPath: exported.url.appendingPathComponent(AdoptionManifest.fileName).path))
    }

    @Test func importsAreWrittenAsJSONOnlyWhileAdoptingAndLeaveTheHashAlone() throws {
        let home = try TemporaryDirectory()
        let renderer = WorkspaceRenderer(layout: HomeLayout(home: home.url), terraformVersion: "1.11.4")
        let variables: [String: JSONValue] = ["account_id": .string("012345678901"), "region": .string("eu-west-1"),
                                              "role_name": .string("gw")]
        let plain = renderer.rendering(accountID: "012345678901", template: .builtIn, variables: variables)
        var adopting = plain
        adopting.imports = [
            ImportBlock(address: "aws_iam_role.this", id: "gw"),
            ImportBlock(address: "aws_iam_instance_profile.this[0]", id: "gw\"quoted"),
        ]
        #expect(adopting.configHash == plain.configHash, "imports must not make an adopted account look out of date")
        let workspace = try renderer.write(adopting)
        let imports = workspace.appendingPathComponent(WorkspaceRenderer.importsFileName)
        let written = try String(contentsOf: imports, encoding: .utf8)
        #expect(written == """
            {
              "import": [
                {
                  "to": "aws_iam_role.this",
                  "id": "gw"
                },
                {
                  "to": "aws_iam_instance_profile.this[0]",
                  "id": "gw\\"quoted"
                }
              ]
            }

            """)
        _ = try renderer.write(plain)
        #expect(!FileManager.default.fileExists(atPath: imports.path), "the next rendering without imports removes the file")
    }

    @Test func stateAddressesNameEveryManagedInstance() throws {
        let directory = try TemporaryDirectory()
        let missing = directory.url.appendingPathComponent("none.tfstate")
        #expect(try StateAddresses.read(stateFile: missing) == [])
        try directory.write("terraform.tfstate", """
            {"version": 4, "resources": [
              {"mode": "data", "type": "aws_iam_policy_document", "name": "trust", "instances": [{}]},
              {"mode": "managed", "type": "aws_iam_role", "name": "this", "instances": [{"attributes": {}}]},
              {"mode": "managed", "type": "aws_iam_instance_profile", "name": "this", "instances": [{"index_key": 0}]},
              {"module": "module.gw", "mode": "managed", "type": "aws_iam_policy", "name": "p", "instances": [{"index_key": "a"}]}
            ]}
            """)
        #expect(try StateAddresses.read(stateFile: directory.url.appendingPathComponent("terraform.tfstate")) == [
            "aws_iam_role.this", "aws_iam_instance_profile.this[0]", "module.gw.aws_iam_policy.p[\"a\"]",
        ])
        try directory.write("broken.tfstate", "{")
        #expect(throws: StateReadError.self) {
            try StateAddresses.read(stateFile: directory.url.appendingPathComponent("broken.tfstate"))
        }
    }

    @Test func planChangesCountImportsAsChanges() {
        let imports = PlanChanges(add: 0, change: 2, destroy: 0, imports: 3)
        #expect(imports.summary == "+0 ~2 -0 ⇣3")
        #expect(PlanChanges(add: 1, change: 0, destroy: 0).summary == "+1 ~0 -0")
        #expect(PlanChanges(add: 0, change: 0, destroy: 0, imports: 1).hasChanges)
        #expect((imports + imports).imports == 6)
        var reader = TerraformOutputReader()
        reader.consume(line: #"{"type":"change_summary","changes":{"add":1,"change":2,"import":4,"remove":0,"operation":"plan"}}"#)
        #expect(reader.report.changes == PlanChanges(add: 1, change: 2, destroy: 0, imports: 4))
    }
}
