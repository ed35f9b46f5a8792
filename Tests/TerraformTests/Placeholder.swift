import Testing
@testable import Terraform
