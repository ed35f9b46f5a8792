output "role_arn" {
  description = "ARN of the gateway role (every fleetform template must output this)."
  value       = aws_iam_role.this.arn
}

output "policy_arn" {
  description = "ARN of the role's policy."
  value       = aws_iam_policy.this.arn
}

output "instance_profile_arn" {
  description = "ARN of the instance profile, or null when create_instance_profile is false."
  value       = one(aws_iam_instance_profile.this[*].arn)
}
