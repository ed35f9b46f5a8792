# The benchmark template: the shape of the real one (variables in, a role ARN out) with
# Terraform's built-in terraform_data instead of the aws provider, so the benchmark
# measures orchestration, not AWS.

variable "account_id" {
  type = string
}

variable "role_name" {
  type = string
}

variable "region" {
  type = string
}

variable "tags" {
  type    = map(string)
  default = {}
}

resource "terraform_data" "role" {
  input = {
    arn  = "arn:aws:iam::${var.account_id}:role/${var.role_name}"
    tags = var.tags
  }
}

output "role_arn" {
  value = terraform_data.role.output.arn
}
