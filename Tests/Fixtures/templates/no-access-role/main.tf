# A template that never enters the account through an access role (no access_role_name
# variable): preflight has nothing to check for it and is skipped.

variable "account_id" {
  type = string
}

resource "terraform_data" "role" {
  input = "arn:aws:iam::${var.account_id}:role/plain"
}

output "role_arn" {
  value = terraform_data.role.output
}
