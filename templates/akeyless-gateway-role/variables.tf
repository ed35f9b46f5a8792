# Every value arrives from the generated fleetform.auto.tfvars.json; nothing
# from the inventory is ever written into HCL.

variable "account_id" {
  description = "Member account in which the role is created (12 digits, kept as a string: IDs may start with 0)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "The account_id must be exactly 12 digits."
  }
}

variable "region" {
  description = "AWS region for the provider and for the Secrets Manager ARNs in the policy."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.region))
    error_message = "The region must look like an AWS region, e.g. eu-west-1."
  }
}

variable "role_name" {
  description = "Name of the IAM role (and of its instance profile) the account's gateway runs as."
  type        = string
  default     = "terraform-akeyless-role"

  validation {
    # IAM's limit for role names; "<role_name>-policy" (limit 128) and the
    # instance profile name (limit 128) then fit too.
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.role_name))
    error_message = "The role_name must be 1-64 characters of letters, digits and +=,.@_-."
  }
}

variable "access_role_name" {
  description = "Role that the management account's credentials assume in the member account to run this template."
  type        = string
  default     = "OrganizationAccountAccessRole"

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.access_role_name))
    error_message = "The access_role_name must be 1-64 characters of letters, digits and +=,.@_-."
  }
}

variable "management_account_id" {
  description = "The organization's management account. Recorded for reference only: no policy in this template trusts it."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.management_account_id))
    error_message = "The management_account_id must be exactly 12 digits."
  }
}

variable "tags" {
  description = "Tags put on every resource (through the provider's default_tags)."
  type        = map(string)
  default     = {}
}

variable "create_instance_profile" {
  description = "Create an EC2 instance profile for the role (an EC2-hosted gateway needs one)."
  type        = bool
  default     = true
}

variable "least_privilege" {
  description = "false: the seed's statements exactly. true: the AkeylessUSC statement on \"*\" keeps only secretsmanager:ListSecrets (the other actions are already granted on this account's secrets by AkeylessUSCAccess)."
  type        = bool
  default     = false
}
