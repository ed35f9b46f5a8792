import Foundation
import Testing
import TestSupport
@testable import Terraform

/// A user template must not move the state: `backend` and `cloud` blocks in the root
/// module's `terraform` blocks are refused, in `.tf` and `.tf.json` files, override
/// files included; mentions of the words in comments, strings and heredocs are not.
@Suite struct TemplateStateLocationTests {
    /// A template directory holding the valid `outputs.tf` plus `files`.
    private func template(_ files: [String: String]) throws -> (TemporaryDirectory, URL) {
        let directory = try TemporaryDirectory("fleetform-template")
        try directory.write("outputs.tf", """
            resource "terraform_data" "role" {
              input = "arn:aws:iam::000000000001:role/r"
            }

            output "role_arn" {
              value = terraform_data.role.output
            }

            """)
        for (name, contents) in files {
            try directory.write(name, contents)
        }
        return (directory, directory.url.standardizedFileURL)
    }

    /// The error `load` throws for a template of `files`, as the user sees it; nil when accepted.
    private func refusal(_ files: [String: String]) throws -> String? {
        let (directory, url) = try template(files)
        defer { withExtendedLifetime(directory) {} }
        do {
            _ = try TerraformTemplate.load(directory: url)
            return nil
        } catch {
            return error.description.replacingOccurrences(of: url.path, with: "TPL")
        }
    }

    @Test(arguments: [
        // HCL, formatted as terraform fmt writes it.
        (["main.tf": """
            terraform {
              required_version = ">= 1.5"
              backend "s3" {
                bucket = "shared-state"
                key    = "gateway.tfstate"
              }
            }
            """],
         #"template TPL: main.tf declares a backend block ("s3") at line 3; fleetform keeps each account's state itself, remove it"#),
        // An override file replaces fleetform's generated backend silently.
        (["main_override.tf": "terraform {\n  backend \"s3\" {}\n}\n"],
         #"template TPL: main_override.tf declares a backend block ("s3") at line 2; fleetform keeps each account's state itself, remove it"#),
        (["override.tf": "# moves the state\nterraform { backend \"http\" { address = \"https://x\" } }\n"],
         #"template TPL: override.tf declares a backend block ("http") at line 2; fleetform keeps each account's state itself, remove it"#),
        (["versions.tf": "terraform {\n  cloud {\n    organization = \"acme\"\n    workspaces { name = \"gw\" }\n  }\n}\n"],
         "template TPL: versions.tf declares a cloud block at line 2; fleetform keeps each account's state itself, remove it"),
        // A second terraform block, after other blocks with nested braces and a heredoc.
        (["main.tf": """
            terraform {
              required_providers {
                aws = { source = "hashicorp/aws", version = "~> 5.0" }
              }
            }
            locals {
              doc = <<-EOT
                }
              EOT
            }
            terraform {
              backend "local" {
                path = "/tmp/everyone.tfstate"
              }
            }
            """],
         #"template TPL: main.tf declares a backend block ("local") at line 12; fleetform keeps each account's state itself, remove it"#),
        // JSON: terraform as an object, and as an array of objects.
        (["main.tf.json": #"{"terraform": {"backend": {"s3": {"bucket": "b"}}}}"#],
         #"template TPL: main.tf.json declares a backend block ("s3") at terraform.backend; fleetform keeps each account's state itself, remove it"#),
        (["state_override.tf.json": #"{"terraform": [{"required_version": ">= 1.5"}, {"backend": [{"//": "x", "gcs": {}}]}]}"#],
         #"template TPL: state_override.tf.json declares a backend block ("gcs") at terraform[1].backend; fleetform keeps each account's state itself, remove it"#),
        (["override.tf.json": #"{"terraform": {"cloud": {"organization": "acme"}}}"#],
         "template TPL: override.tf.json declares a cloud block at terraform.cloud; fleetform keeps each account's state itself, remove it"),
        // A .tf.json fleetform cannot read cannot be checked.
        (["main.tf.json": #"{"terraform": {"backend": "#],
         "template TPL: main.tf.json is not valid JSON: line 1, column 27: unexpected end of file; expected a value"),
    ])
    func refusesTemplatesThatMoveTheState(files: [String: String], expected: String) throws {
        let refused = try refusal(files)
        #expect(refused == expected)
    }

    @Test func acceptsMentionsThatAreNotBlocks() throws {
        let accepted = try refusal([
            "main.tf": #"""
                # terraform { backend "s3" {} }
                // terraform { backend "s3" {} }
                /* terraform {
                     backend "s3" {}
                   } */
                terraform {
                  # backend "s3" {}
                  /* cloud {} */
                  required_version = ">= 1.5" // backend "s3" {
                  required_providers {
                    backend = { source = "example/backend" }
                  }
                }
                locals {
                  a = "terraform { backend \"s3\" {} }"
                  b = "${jsonencode({ backend = "s3", x = "}" })} backend \"s3\" {"
                  c = <<EOT
                }
                terraform {
                  backend "s3" {}
                }
                EOT
                  d = <<-EOT
                    cloud {
                    %{ if true }${"}"}%{ endif }
                    EOT
                  e = "$${literal} backend"
                }
                resource "terraform_data" "backend" {
                  input = { backend = "s3" }
                }
                """#,
            "more.tf.json": #"{"variable": {"backend": {"default": "s3"}}, "locals": {"terraform": {"backend": {"s3": {}}}}}"#,
            // Terraform ignores backends in child modules.
            "modules/child/main.tf": "terraform {\n  backend \"s3\" {}\n}\n",
        ])
        #expect(accepted == nil)
    }

    @Test func scannerFindsOnlyDepthOneBlocksOfTopLevelTerraformBlocks() {
        let text = """
            resource "x" "y" {
              terraform {
                backend "s3" {}
              }
            }
            terraform{backend s3{} cloud{}}
            """
        #expect(HCLBlockScanner.terraformSubblocks(in: Array(text.utf8)) == [
            .init(type: "backend", labels: ["s3"], line: 6),
            .init(type: "cloud", labels: [], line: 6),
        ])
    }
}
