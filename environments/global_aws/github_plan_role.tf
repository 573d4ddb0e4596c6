# Per environment, the read-only role that plans it in pull requests (.github/workflows/pull_request.yml) and
# checks it for drift (.github/workflows/drift.yml): `ecsenv plan <env>` / `ecsenv drift <env>`. It reads what
# `terraform plan` refreshes (Describe/Get/List of the environment's resources, never a secret's value) and its state
# object, and takes the state's lock the way the backend does; it can change nothing else. Nothing here can apply.
#
# Trusted by the subjects those jobs present, which name no GitHub environment: a job that names one would wait for
# (or be refused by) that environment's protection rules (required reviewers, deployment branches = the trunk), and
# would get that environment's secrets. So the plan jobs run without `environment:`, and their tokens carry:
# - `repo:<owner>/<name>:pull_request` (any pull request of this repository; GitHub gives no OIDC token to the
#   workflows of pull requests from forks);
# - `repo:<owner>/<name>:ref:refs/heads/<trunk>` (the scheduled drift check runs on the default branch).
# (GitHub docs, "About security hardening with OpenID Connect", example subject claims.)

locals {
  plan_trust = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = local.oidc_provider }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
          "token.actions.githubusercontent.com:sub" = ["repo:${var.github_repository}:pull_request", "repo:${var.github_repository}:ref:refs/heads/${var.trunk_branch}"]
        }
      }
    }]
  })

  plan_statements = {
    for name, env in local.github_environments : name => concat(
      [
        {
          # Reads of these services have no resource-level permissions (Service Authorization Reference); they
          # stay in the environment's region.
          Sid    = "Describe"
          Effect = "Allow"
          Action = [
            "ec2:Describe*", "elasticloadbalancing:Describe*", "ecs:Describe*", "ecs:List*", "logs:Describe*",
            "logs:ListTagsForResource", "logs:ListTagsLogGroup", "kms:ListAliases", "rds:Describe*",
            "rds:ListTagsForResource", "elasticache:Describe*", "elasticache:ListTagsForResource",
            "application-autoscaling:Describe*", "secretsmanager:ListSecrets",
          ]
          Resource  = "*"
          Condition = { StringEquals = { "aws:RequestedRegion" = env.region } }
        },
        {
          # The environment's keys (the cluster's and the assets bucket's): reached by the environment's tag.
          Sid       = "Keys"
          Effect    = "Allow"
          Action    = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"]
          Resource  = "*"
          Condition = { StringEquals = { "aws:ResourceTag/ecsenv:environment" = name, "aws:RequestedRegion" = env.region } }
        },
        {
          Sid    = "OwnRoles"
          Effect = "Allow"
          Action = [
            "iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
            "iam:ListRoleTags",
          ]
          Resource = "${env.arn_prefix}:iam::${var.account_id}:role/${env.cluster}-*"
        },
        {
          # The secrets' declarations, never their values: no secretsmanager:GetSecretValue.
          Sid      = "SecretDeclarations"
          Effect   = "Allow"
          Action   = ["secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy"]
          Resource = "${env.arn_prefix}:secretsmanager:${env.region}:${var.account_id}:secret:${var.project}/${name}/*"
        },
        {
          # The assets bucket's configuration (s3:Get* on the bucket's ARN reaches no object).
          Sid      = "AssetsBucket"
          Effect   = "Allow"
          Action   = ["s3:ListBucket", "s3:Get*"]
          Resource = "${env.arn_prefix}:s3:::${local.assets_buckets[name]}"
        },
        {
          Sid       = "Cdn"
          Effect    = "Allow"
          Action    = ["cloudfront:GetDistribution", "cloudfront:GetDistributionConfig", "cloudfront:ListTagsForResource"]
          Resource  = "${env.arn_prefix}:cloudfront::${var.account_id}:distribution/*"
          Condition = { StringEquals = { "aws:ResourceTag/ecsenv:environment" = name } }
        },
        {
          Sid      = "CdnOriginAccess"
          Effect   = "Allow"
          Action   = ["cloudfront:GetOriginAccessControl"]
          Resource = "${env.arn_prefix}:cloudfront::${var.account_id}:origin-access-control/*"
        },
        {
          Sid       = "Certificates"
          Effect    = "Allow"
          Action    = ["acm:DescribeCertificate", "acm:ListTagsForCertificate"]
          Resource  = "${env.arn_prefix}:acm:${env.region}:${var.account_id}:certificate/*"
          Condition = { StringEquals = { "aws:ResourceTag/ecsenv:environment" = name } }
        },
        {
          Sid      = "DnsRecords"
          Effect   = "Allow"
          Action   = ["route53:ListResourceRecordSets", "route53:GetHostedZone"]
          Resource = "${env.arn_prefix}:route53:::hostedzone/*"
        },
        {
          Sid       = "Autoscaling"
          Effect    = "Allow"
          Action    = ["application-autoscaling:ListTagsForResource"]
          Resource  = "${env.arn_prefix}:application-autoscaling:${env.region}:${var.account_id}:scalable-target/*"
          Condition = { StringEquals = { "aws:ResourceTag/ecsenv:environment" = name } }
        },
        {
          Sid      = "Schedules"
          Effect   = "Allow"
          Action   = ["scheduler:GetSchedule"]
          Resource = "${env.arn_prefix}:scheduler:${env.region}:${var.account_id}:schedule/default/${env.cluster}-*"
        },
        {
          Sid      = "StateList"
          Effect   = "Allow"
          Action   = ["s3:ListBucket"]
          Resource = "${env.arn_prefix}:s3:::${var.state_bucket}"
          # The backend lists its key and the workspaces' prefix (env:/).
          Condition = { StringLike = { "s3:prefix" = [env.state_key, "${env.state_key}*", "env:/*"] } }
        },
        {
          Sid      = "StateObject"
          Effect   = "Allow"
          Action   = ["s3:GetObject"]
          Resource = "${env.arn_prefix}:s3:::${var.state_bucket}/${env.state_key}"
        },
      ],
      # A plan takes the state's lock like an apply: the lockfile (written, then deleted) and/or the lock table's
      # items, exactly as the terraform role.
      var.state_lockfile ? [local.state_lockfile_statement[name]] : [],
      var.lock_table == "" ? [] : [local.state_lock_table_statement[name]],
      var.state_kms_key_arn == "" ? [] : [{
        # The state is read; the lockfile is written (S3 encrypts it with the bucket's key).
        Sid      = "StateKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = var.state_kms_key_arn
      }],
    )
  }
}

resource "aws_iam_role" "plan" {
  for_each = local.github_environments

  name                 = local.role_names["${var.project}-${each.key}-github-plan"]
  description          = "GitHub Actions (${var.github_repository}, pull requests and ${var.trunk_branch}): ecsenv plan/drift ${each.key}, read only"
  max_session_duration = 3600
  assume_role_policy   = local.plan_trust
  tags                 = { "ecsenv:environment" = each.key, "ecsenv:job" = "plan" }
}

resource "aws_iam_role_policy" "plan" {
  for_each = local.github_environments

  name   = "plan-${each.key}"
  role   = aws_iam_role.plan[each.key].id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.plan_statements[each.key] })
}

# global_aws itself is planned (and checked for drift) by the pull request and drift workflows too: one more
# read-only role, `<project>-github-plan`, for its state and what it manages (the image repositories and their key,
# the GitHub roles, the OIDC provider; the state bucket and lock table when `ecsenv init --adopt` added them).
resource "aws_iam_role" "plan_global" {
  count = local.github_enabled ? 1 : 0

  name                 = local.role_names["${var.project}-github-plan"]
  description          = "GitHub Actions (${var.github_repository}, pull requests and ${var.trunk_branch}): ecsenv plan/drift global_aws, read only"
  max_session_duration = 3600
  assume_role_policy   = local.plan_trust
  tags                 = { "ecsenv:job" = "plan" }
}

resource "aws_iam_role_policy" "plan_global" {
  count = local.github_enabled ? 1 : 0

  name = "plan-global-aws"
  role = aws_iam_role.plan_global[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "Repositories"
          Effect   = "Allow"
          Action   = ["ecr:DescribeRepositories", "ecr:GetLifecyclePolicy", "ecr:GetRepositoryPolicy", "ecr:ListTagsForResource"]
          Resource = values(module.ecr.repository_arns)
        },
        {
          Sid      = "RepositoryKey"
          Effect   = "Allow"
          Action   = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"]
          Resource = module.ecr.kms_key_arn
        },
        {
          Sid       = "Aliases"
          Effect    = "Allow"
          Action    = ["kms:ListAliases"]
          Resource  = "*" # no resource-level permissions
          Condition = { StringEquals = { "aws:RequestedRegion" = var.region } }
        },
        {
          Sid    = "GitHubRoles"
          Effect = "Allow"
          Action = [
            "iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
            "iam:ListRoleTags",
          ]
          Resource = [for name in values(local.role_names) : "arn:${local.partition}:iam::${var.account_id}:role/${name}"]
        },
        {
          Sid      = "OidcProvider"
          Effect   = "Allow"
          Action   = ["iam:GetOpenIDConnectProvider"]
          Resource = local.oidc_provider
        },
        {
          # The state bucket's configuration (an adopted state_backend.tf), not its objects; and global_aws's state.
          Sid      = "StateBucket"
          Effect   = "Allow"
          Action   = ["s3:Get*"]
          Resource = "arn:${local.partition}:s3:::${var.state_bucket}"
        },
        {
          Sid       = "StateList"
          Effect    = "Allow"
          Action    = ["s3:ListBucket"]
          Resource  = "arn:${local.partition}:s3:::${var.state_bucket}"
          Condition = { StringLike = { "s3:prefix" = [var.global_state_key, "${var.global_state_key}*", "env:/*"] } }
        },
        {
          Sid      = "StateObject"
          Effect   = "Allow"
          Action   = ["s3:GetObject"]
          Resource = "arn:${local.partition}:s3:::${var.state_bucket}/${var.global_state_key}"
        },
      ],
      var.state_lockfile ? [{
        Sid      = "StateLockfile"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        Resource = "arn:${local.partition}:s3:::${var.state_bucket}/${var.global_state_key}.tflock"
      }] : [],
      var.lock_table == "" ? [] : [{
        Sid    = "StateLockTable"
        Effect = "Allow"
        Action = [
          "dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTimeToLive",
          "dynamodb:ListTagsOfResource", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem",
        ]
        Resource = "arn:${local.partition}:dynamodb:${var.region}:${var.account_id}:table/${var.lock_table}"
      }],
      var.state_kms_key_arn == "" ? [] : [{
        Sid      = "StateKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
        Resource = var.state_kms_key_arn
      }],
    )
  })
}
