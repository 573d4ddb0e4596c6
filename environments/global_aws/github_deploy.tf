# GitHub Actions deploys through OIDC: no long-lived keys. The deploy role may do what a deploy needs for THIS
# project only: push/pull its images, register task definitions and update its services in its clusters, read and
# write its environments' state (bucket key prefixes + lock table items) and ecsenv's deploy locks and history
# (the bucket's ecsenv/ prefix), and pass its services' roles to ECS.

data "aws_partition" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  arn_prefix = "arn:${local.partition}"
  clusters   = [for env in local.environments : "${local.project}-${env}"]
  state_keys = local.environments # not global_aws: the state that defines this role stays out of its reach
}

resource "aws_iam_openid_connect_provider" "github" {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
  # GitHub's published thumbprints (AWS no longer checks them for this provider, but older providers require one).
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"]
}

resource "aws_iam_role" "github_deploy" {
  name                 = "${local.project}-github-deploy"
  description          = "GitHub Actions (${local.github_repository}) deploys ${local.project}"
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = aws_iam_openid_connect_provider.github.arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }
        StringLike   = { "token.actions.githubusercontent.com:sub" = [for ref in var.github_refs : "repo:${local.github_repository}:${ref}"] }
      }
    }]
  })
}

resource "aws_iam_role_policy" "github_deploy" {
  name = "deploy-${local.project}"
  role = aws_iam_role.github_deploy.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "EcrLogin"
          Effect   = "Allow"
          Action   = ["ecr:GetAuthorizationToken"]
          Resource = "*" # no resource-level permissions for this action
        },
        {
          Sid    = "EcrPushPull"
          Effect = "Allow"
          Action = [
            "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
            "ecr:DescribeImages", "ecr:GetDownloadUrlForLayer", "ecr:InitiateLayerUpload", "ecr:PutImage",
            "ecr:UploadLayerPart",
          ]
          Resource = values(module.ecr.repository_arns)
        },
        {
          Sid      = "EcrKey"
          Effect   = "Allow"
          Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
          Resource = module.ecr.kms_key_arn
        },
        {
          # RegisterTaskDefinition and DescribeTaskDefinition have no resource-level permissions; the request tag
          # condition keeps registrations to this project's task definitions (deploys copy the tags).
          Sid       = "TaskDefinitions"
          Effect    = "Allow"
          Action    = ["ecs:RegisterTaskDefinition", "ecs:TagResource"]
          Resource  = "*"
          Condition = { StringEquals = { "aws:RequestTag/ecsenv:project" = local.project } }
        },
        {
          Sid      = "ReadTaskDefinitions"
          Effect   = "Allow"
          Action   = ["ecs:DescribeTaskDefinition", "ecs:ListTaskDefinitions"]
          Resource = "*"
        },
        {
          # Deploys read a task definition's tags (include = TAGS) to copy them into the new revision.
          Sid      = "TaskDefinitionTags"
          Effect   = "Allow"
          Action   = ["ecs:ListTagsForResource"]
          Resource = [for cluster in local.clusters : "${local.arn_prefix}:ecs:${local.region}:${local.account_id}:task-definition/${cluster}-*:*"]
        },
        {
          Sid      = "Services"
          Effect   = "Allow"
          Action   = ["ecs:DescribeServices", "ecs:UpdateService"]
          Resource = [for cluster in local.clusters : "${local.arn_prefix}:ecs:${local.region}:${local.account_id}:service/${cluster}/*"]
        },
        {
          Sid      = "Clusters"
          Effect   = "Allow"
          Action   = ["ecs:DescribeClusters"]
          Resource = [for cluster in local.clusters : "${local.arn_prefix}:ecs:${local.region}:${local.account_id}:cluster/${cluster}"]
        },
        {
          # List calls have no resource type; the cluster condition limits them to this project's clusters.
          Sid       = "ListInClusters"
          Effect    = "Allow"
          Action    = ["ecs:ListServices", "ecs:ListTasks"]
          Resource  = "*"
          Condition = { ArnEquals = { "ecs:cluster" = [for cluster in local.clusters : "${local.arn_prefix}:ecs:${local.region}:${local.account_id}:cluster/${cluster}"] } }
        },
        {
          Sid      = "Tasks"
          Effect   = "Allow"
          Action   = ["ecs:DescribeTasks"]
          Resource = [for cluster in local.clusters : "${local.arn_prefix}:ecs:${local.region}:${local.account_id}:task/${cluster}/*"]
        },
        {
          # A deploy checks that the secrets its task definition names exist (never their values).
          Sid      = "DescribeSecrets"
          Effect   = "Allow"
          Action   = ["secretsmanager:DescribeSecret"]
          Resource = "${local.arn_prefix}:secretsmanager:${local.region}:${local.account_id}:secret:${local.project}/*"
        },
        {
          Sid       = "PassServiceRoles"
          Effect    = "Allow"
          Action    = ["iam:PassRole"]
          Resource  = flatten([for cluster in local.clusters : ["${local.arn_prefix}:iam::${local.account_id}:role/${cluster}-*-execution", "${local.arn_prefix}:iam::${local.account_id}:role/${cluster}-*-task"]])
          Condition = { StringEquals = { "iam:PassedToService" = "ecs-tasks.amazonaws.com" } }
        },
        {
          Sid       = "StateList"
          Effect    = "Allow"
          Action    = ["s3:ListBucket"]
          Resource  = "${local.arn_prefix}:s3:::${var.state_bucket}"
          Condition = { StringLike = { "s3:prefix" = concat([for key in local.state_keys : "${key}/*"], ["ecsenv/*"]) } }
        },
        {
          Sid    = "StateObjects"
          Effect = "Allow"
          Action = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
          # The environments' state and lock files, and ecsenv's deploy locks and deploy history (ecsenv/).
          Resource = concat([for key in local.state_keys : "${local.arn_prefix}:s3:::${var.state_bucket}/${key}/*"], ["${local.arn_prefix}:s3:::${var.state_bucket}/ecsenv/*"])
        },
      ],
      var.lock_table == "" ? [] : [{
        Sid      = "StateLockTable"
        Effect   = "Allow"
        Action   = ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"]
        Resource = "${local.arn_prefix}:dynamodb:${local.region}:${local.account_id}:table/${var.lock_table}"
        Condition = {
          "ForAllValues:StringLike" = {
            "dynamodb:LeadingKeys" = flatten([for key in local.state_keys : ["${var.state_bucket}/${key}/*"]])
          }
        }
      }],
      var.state_kms_key_arn == "" ? [] : [{
        Sid      = "StateKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
        Resource = var.state_kms_key_arn
      }],
    )
  })
}
