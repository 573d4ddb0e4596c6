# Per environment, the role that runs `ecsenv plan <env>` and `ecsenv apply <env>` in GitHub Actions: what that
# environment's Terraform creates, reads, changes and deletes, and that environment's state only.
#
# How far each grant reaches (resources and conditions follow the Service Authorization Reference of each service;
# the emulator checks actions only, see docs/stack.md):
# - names: IAM roles, secrets, log groups, ECS, RDS and KMS aliases carry the environment's name
#   (<project>-<environment>..., <project>/<environment>/...); names of a longer environment ("staging-eu" next
#   to "staging") are denied explicitly;
# - tags: EC2, load balancers and KMS keys carry the default tag ecsenv:environment (provider default_tags):
#   changes need it on the resource (aws:ResourceTag), creations in the request (aws:RequestTag);
# - reads (Describe/List) of those services have no resource-level permissions and stay in the region.

locals {
  terraform_statements = {
    for name, env in local.github_environments : name => concat(
      [
        {
          Sid    = "Reads"
          Effect = "Allow"
          Action = [
            "ec2:Describe*", "elasticloadbalancing:Describe*", "ecs:Describe*", "ecs:List*", "logs:Describe*",
            "logs:ListTagsForResource", "logs:ListTagsLogGroup", "kms:ListAliases", "rds:Describe*",
            "rds:ListTagsForResource", "elasticache:Describe*", "elasticache:ListTagsForResource",
            "secretsmanager:ListSecrets",
          ]
          Resource  = "*"
          Condition = { StringEquals = { "aws:RequestedRegion" = env.region } }
        },
        {
          # New resources must carry the environment's tag (the provider's default_tags send it on create).
          Sid    = "CreateTagged"
          Effect = "Allow"
          Action = [
            "ec2:CreateVpc", "ec2:CreateSubnet", "ec2:CreateInternetGateway", "ec2:CreateRouteTable",
            "ec2:CreateNatGateway", "ec2:AllocateAddress", "ec2:CreateSecurityGroup", "ec2:CreateFlowLogs",
            "ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress", "ec2:CreateVpcEndpoint",
            "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup",
            "elasticloadbalancing:CreateListener", "elasticloadbalancing:CreateRule", "kms:CreateKey",
            "ecs:RegisterTaskDefinition", "elasticache:Create*",
          ]
          Resource = "*"
          Condition = {
            StringEquals = { "aws:RequestTag/ecsenv:environment" = name, "aws:RequestedRegion" = env.region }
          }
        },
        {
          # Tags are written with the create call; EC2, ELB and ECS name the creating action in a condition key.
          Sid       = "Ec2TagOnCreate"
          Effect    = "Allow"
          Action    = ["ec2:CreateTags"]
          Resource  = "*"
          Condition = { StringLike = { "ec2:CreateAction" = "*" }, StringEquals = { "aws:RequestTag/ecsenv:environment" = name } }
        },
        {
          Sid       = "ElbTagOnCreate"
          Effect    = "Allow"
          Action    = ["elasticloadbalancing:AddTags"]
          Resource  = "*"
          Condition = { StringLike = { "elasticloadbalancing:CreateAction" = "*" }, StringEquals = { "aws:RequestTag/ecsenv:environment" = name } }
        },
        {
          Sid       = "EcsTagOnCreate"
          Effect    = "Allow"
          Action    = ["ecs:TagResource"]
          Resource  = "*"
          Condition = { StringLike = { "ecs:CreateAction" = "*" }, StringEquals = { "aws:RequestTag/ecsenv:environment" = name } }
        },
        {
          # Resources AWS creates untagged (the VPC's default security group, which Terraform adopts) may be given
          # the environment's tag; a resource tagged for another environment may not.
          Sid       = "TagUntagged"
          Effect    = "Allow"
          Action    = ["ec2:CreateTags"]
          Resource  = "*"
          Condition = { Null = { "aws:ResourceTag/ecsenv:environment" = "true" }, StringEquals = { "aws:RequestTag/ecsenv:environment" = name } }
        },
        {
          Sid    = "ChangeOwnTagged"
          Effect = "Allow"
          Action = [
            "ec2:*", "elasticloadbalancing:*", "kms:*", "elasticache:*",
          ]
          Resource  = "*"
          Condition = { StringEquals = { "aws:ResourceTag/ecsenv:environment" = name, "aws:RequestedRegion" = env.region } }
        },
        {
          Sid      = "KeyAliases"
          Effect   = "Allow"
          Action   = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
          Resource = "${env.arn_prefix}:kms:${env.region}:${var.account_id}:alias/${env.cluster}*"
        },
        {
          Sid      = "Ecs"
          Effect   = "Allow"
          Action   = ["ecs:*"]
          Resource = ["${env.arn_prefix}:ecs:${env.region}:${var.account_id}:cluster/${env.cluster}", "${env.arn_prefix}:ecs:${env.region}:${var.account_id}:service/${env.cluster}/*", "${env.arn_prefix}:ecs:${env.region}:${var.account_id}:task-definition/${env.cluster}-*:*", "${env.arn_prefix}:ecs:${env.region}:${var.account_id}:task/${env.cluster}/*"]
        },
        {
          # No resource-level permissions for these (Service Authorization Reference, Amazon ECS).
          Sid       = "EcsTaskDefinitions"
          Effect    = "Allow"
          Action    = ["ecs:DescribeTaskDefinition", "ecs:DeregisterTaskDefinition"]
          Resource  = "*"
          Condition = { StringEquals = { "aws:RequestedRegion" = env.region } }
        },
        {
          Sid    = "Logs"
          Effect = "Allow"
          Action = ["logs:*"]
          Resource = [
            "${env.arn_prefix}:logs:${env.region}:${var.account_id}:log-group:/ecs/${env.cluster}",
            "${env.arn_prefix}:logs:${env.region}:${var.account_id}:log-group:/ecs/${env.cluster}:*",
            "${env.arn_prefix}:logs:${env.region}:${var.account_id}:log-group:/ecs/${env.cluster}/*",
            "${env.arn_prefix}:logs:${env.region}:${var.account_id}:log-group:/vpc/${env.cluster}/*",
            "${env.arn_prefix}:logs:${env.region}:${var.account_id}:log-group:/aws/rds/instance/${env.cluster}-*",
          ]
        },
        {
          # Declarations only: values are set by people (`ecsenv secret set`), never by Terraform.
          Sid    = "Secrets"
          Effect = "Allow"
          Action = [
            "secretsmanager:CreateSecret", "secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret",
            "secretsmanager:GetResourcePolicy", "secretsmanager:PutResourcePolicy", "secretsmanager:DeleteResourcePolicy",
            "secretsmanager:TagResource", "secretsmanager:UntagResource", "secretsmanager:UpdateSecret",
            "secretsmanager:RestoreSecret",
          ]
          Resource = "${env.arn_prefix}:secretsmanager:${env.region}:${var.account_id}:secret:${var.project}/${name}/*"
        },
        {
          Sid    = "Rds"
          Effect = "Allow"
          Action = ["rds:*"]
          Resource = [
            "${env.arn_prefix}:rds:${env.region}:${var.account_id}:db:${env.cluster}-*",
            "${env.arn_prefix}:rds:${env.region}:${var.account_id}:subgrp:${env.cluster}-*",
            "${env.arn_prefix}:rds:${env.region}:${var.account_id}:pg:${env.cluster}-*",
            "${env.arn_prefix}:rds:${env.region}:${var.account_id}:snapshot:${env.cluster}-*",
          ]
        },
        {
          # The environment's own roles (services, flow logs, database monitoring), and passing them to the
          # services that use them.
          Sid    = "OwnRoles"
          Effect = "Allow"
          Action = [
            "iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy",
            "iam:TagRole", "iam:UntagRole", "iam:ListRoleTags", "iam:PutRolePolicy", "iam:GetRolePolicy",
            "iam:DeleteRolePolicy", "iam:ListRolePolicies", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
            "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole", "iam:PassRole",
          ]
          Resource = "${env.arn_prefix}:iam::${var.account_id}:role/${env.cluster}-*"
        },
        {
          Sid      = "ServiceLinkedRoles"
          Effect   = "Allow"
          Action   = ["iam:CreateServiceLinkedRole"]
          Resource = "*"
          Condition = {
            StringEquals = { "iam:AWSServiceName" = ["ecs.amazonaws.com", "elasticloadbalancing.amazonaws.com", "rds.amazonaws.com", "elasticache.amazonaws.com"] }
          }
        },
        {
          Sid      = "StateList"
          Effect   = "Allow"
          Action   = ["s3:ListBucket"]
          Resource = "${env.arn_prefix}:s3:::${var.state_bucket}"
          # The backend lists its key and the workspaces' prefix (env:/); ecsenv reads the records below.
          Condition = { StringLike = { "s3:prefix" = [env.state_key, "${env.state_key}*", "env:/*", "ecsenv/applied/*"] } }
        },
        {
          Sid      = "StateObject"
          Effect   = "Allow"
          Action   = ["s3:GetObject", "s3:PutObject"]
          Resource = "${env.arn_prefix}:s3:::${var.state_bucket}/${env.state_key}"
        },
        {
          Sid      = "StateLockfile"
          Effect   = "Allow"
          Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
          Resource = "${env.arn_prefix}:s3:::${var.state_bucket}/${env.state_key}.tflock"
        },
        {
          # `ecsenv apply` records what it applied (ecsenv/applied/<env>/); an environment that promotes from
          # another checks that one's records (read only).
          Sid      = "WriteOwnRecords"
          Effect   = "Allow"
          Action   = ["s3:GetObject", "s3:PutObject"]
          Resource = "${env.arn_prefix}:s3:::${var.state_bucket}/ecsenv/applied/${name}/*"
        },
      ],
      env.promotes_from == null ? [] : [{
        Sid      = "ReadSourceRecords"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = "${env.arn_prefix}:s3:::${var.state_bucket}/ecsenv/applied/${env.promotes_from}/*"
      }],
      var.lock_table == "" ? [] : [{
        Sid      = "StateLockTable"
        Effect   = "Allow"
        Action   = ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"]
        Resource = "${env.arn_prefix}:dynamodb:${var.region}:${var.account_id}:table/${var.lock_table}"
        Condition = {
          # Terraform's lock item and its state digest item (LockID <bucket>/<key> and <bucket>/<key>-md5).
          "ForAllValues:StringEquals" = { "dynamodb:LeadingKeys" = ["${var.state_bucket}/${env.state_key}", "${var.state_bucket}/${env.state_key}-md5"] }
        }
      }],
      var.state_kms_key_arn == "" ? [] : [{
        Sid      = "StateKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
        Resource = var.state_kms_key_arn
      }],
      length(env.longer_names) == 0 ? [] : [{
        Sid    = "NotLongerEnvironments"
        Effect = "Deny"
        Action = ["iam:*", "ecs:*", "logs:*", "rds:*", "kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
        Resource = flatten([for other in env.longer_names : [
          "${env.arn_prefix}:iam::${var.account_id}:role/${other}-*",
          "${env.arn_prefix}:ecs:${env.region}:${var.account_id}:cluster/${other}",
          "${env.arn_prefix}:ecs:${env.region}:${var.account_id}:service/${other}/*",
          "${env.arn_prefix}:ecs:${env.region}:${var.account_id}:task-definition/${other}-*:*",
          "${env.arn_prefix}:logs:${env.region}:${var.account_id}:log-group:/ecs/${other}*",
          "${env.arn_prefix}:logs:${env.region}:${var.account_id}:log-group:/vpc/${other}/*",
          "${env.arn_prefix}:rds:${env.region}:${var.account_id}:*:${other}-*",
          "${env.arn_prefix}:kms:${env.region}:${var.account_id}:alias/${other}*",
        ]])
      }],
    )
  }
}

resource "aws_iam_role" "terraform" {
  for_each = local.github_environments

  name                 = local.role_names["${var.project}-${each.key}-github-terraform"]
  description          = "GitHub Actions (${var.github_repository}, environment ${each.key}): ecsenv plan/apply ${each.key}"
  max_session_duration = 7200 # plan, apply and the wait for a database fit in it
  assume_role_policy   = local.github_trust[each.key]
  tags                 = { "ecsenv:environment" = each.key, "ecsenv:job" = "terraform" }
}

resource "aws_iam_role_policy" "terraform" {
  for_each = local.github_environments

  name   = "terraform-${each.key}"
  role   = aws_iam_role.terraform[each.key].id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.terraform_statements[each.key] })
}
