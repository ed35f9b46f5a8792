# The seed's main.tf made correct for a member account: it runs with the
# management account's credentials, assumes access_role_name in the member
# account, and every ARN below names the member account, not the management
# account.

locals {
  # Derived from the region rather than read from data.aws_partition, because
  # the provider block below needs it and cannot depend on its own data source.
  partition = (
    startswith(var.region, "cn-") ? "aws-cn" :
    startswith(var.region, "us-gov-") ? "aws-us-gov" :
    "aws"
  )

  role_arn = "arn:${local.partition}:iam::${var.account_id}:role/${var.role_name}"
}

provider "aws" {
  region = var.region

  assume_role {
    role_arn     = "arn:${local.partition}:iam::${var.account_id}:role/${var.access_role_name}"
    session_name = "fleetform"
  }

  # Tags every IAM resource below (role, policy, instance profile).
  default_tags {
    tags = var.tags
  }
}

data "aws_iam_policy_document" "trust" {
  # The account's root principal, limited by the condition to the role
  # itself: the role may assume itself (pairs with SelfAssume below).
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${var.account_id}:root"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalArn"
      values   = [local.role_arn]
    }
  }

  # The gateway's EC2 instance, through the instance profile.
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = var.role_name
  assume_role_policy = data.aws_iam_policy_document.trust.json
}

data "aws_iam_policy_document" "unified" {
  # Dynamic and rotated secrets: IAM users of this account.
  statement {
    sid    = "AkeylessSecrets"
    effect = "Allow"
    actions = [
      "iam:CreateUser", "iam:DeleteUser", "iam:TagUser", "iam:UntagUser",
      "iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:ListAccessKeys",
      "iam:CreateLoginProfile", "iam:GetLoginProfile", "iam:DeleteLoginProfile",
      "iam:AttachUserPolicy", "iam:DetachUserPolicy",
      "iam:ListUserPolicies", "iam:ListAttachedUserPolicies",
      "iam:AddUserToGroup", "iam:RemoveUserFromGroup", "iam:ListGroupsForUser",
      "iam:ListUserTags", "iam:ListUsers"
    ]
    resources = ["arn:${local.partition}:iam::${var.account_id}:user/*"]
  }

  # USC on "*". The seed grants every secret action here, which makes
  # AkeylessUSCAccess redundant; least_privilege keeps only ListSecrets
  # (it cannot be scoped to a secret ARN).
  statement {
    sid    = "AkeylessUSC"
    effect = "Allow"
    actions = var.least_privilege ? ["secretsmanager:ListSecrets"] : [
      "secretsmanager:ListSecrets",
      "secretsmanager:GetSecretValue",
      "secretsmanager:DescribeSecret",
      "secretsmanager:CreateSecret",
      "secretsmanager:UpdateSecret",
      "secretsmanager:DeleteSecret",
      "secretsmanager:PutSecretValue",
      "secretsmanager:UntagResource",
      "secretsmanager:TagResource"
    ]
    resources = ["*"]
  }

  # USC on this account's secrets in this region.
  statement {
    sid    = "AkeylessUSCAccess"
    effect = "Allow"
    actions = [
      "secretsmanager:UntagResource", "secretsmanager:DescribeSecret",
      "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue",
      "secretsmanager:CreateSecret", "secretsmanager:UpdateSecret",
      "secretsmanager:DeleteSecret", "secretsmanager:TagResource"
    ]
    resources = [
      "arn:${local.partition}:secretsmanager:${var.region}:${var.account_id}:secret:*"
    ]
  }

  # The role may assume itself.
  statement {
    sid       = "SelfAssume"
    effect    = "Allow"
    actions   = ["sts:AssumeRole"]
    resources = [local.role_arn]
  }
}

resource "aws_iam_policy" "this" {
  name   = "${var.role_name}-policy"
  policy = data.aws_iam_policy_document.unified.json
}

resource "aws_iam_role_policy_attachment" "this" {
  role       = aws_iam_role.this.name
  policy_arn = aws_iam_policy.this.arn
}

# The seed forgot this; a gateway on EC2 gets the role through it.
resource "aws_iam_instance_profile" "this" {
  count = var.create_instance_profile ? 1 : 0

  name = var.role_name
  role = aws_iam_role.this.name
}
