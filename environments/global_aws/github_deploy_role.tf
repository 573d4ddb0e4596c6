# Per environment, the role that runs `ecsenv deploy/rollback/promote/status/run/logs` in GitHub Actions. Writes reach only
# this environment: registering revisions of its task families (exact names), updating its services, passing its
# services' roles (exact names) to ECS, its deploy lock and history. Reads reach every environment of the project
# (`status` reports them all; `promote` reads the environment it promotes from): services, task definitions,
# image digests, apply records. Where the Python reads and writes: docs/stack.md, "What ecsenv keeps in the state
# bucket".

locals {
  deploy_statements = {
    for name, env in local.github_environments : name => concat(
      [
        {
          # The digests of the images to deploy (and, for promote, of the images the source runs).
          Sid      = "ImageDigests"
          Effect   = "Allow"
          Action   = ["ecr:DescribeImages"]
          Resource = values(module.ecr.repository_arns)
        },
        {
          # The project's services in every environment, read only.
          Sid      = "ReadServices"
          Effect   = "Allow"
          Action   = ["ecs:DescribeServices"]
          Resource = [for other, settings in var.environments : "${env.arn_prefix}:ecs:${settings.region}:${var.account_id}:service/${var.project}-${other}/*"]
        },
        {
          # ListServices has no resource type; the cluster condition key limits it (Service Authorization
          # Reference, Amazon ECS).
          Sid       = "ListServices"
          Effect    = "Allow"
          Action    = ["ecs:ListServices"]
          Resource  = "*"
          Condition = { ArnEquals = { "ecs:cluster" = [for other, settings in var.environments : "${env.arn_prefix}:ecs:${settings.region}:${var.account_id}:cluster/${var.project}-${other}"] } }
        },
        {
          # No resource-level permissions for DescribeTaskDefinition and RegisterTaskDefinition.
          Sid       = "ReadTaskDefinitions"
          Effect    = "Allow"
          Action    = ["ecs:DescribeTaskDefinition"]
          Resource  = "*"
          Condition = { StringEquals = { "aws:RequestedRegion" = [for settings in values(var.environments) : settings.region] } }
        },
        {
          # A deploy copies the running revision's tags into the new one, so a registration carries this
          # environment's tags; tagging the new revision is allowed for this environment's families only, which
          # makes registering (always with tags) possible for those families only.
          Sid      = "RegisterTaskDefinitions"
          Effect   = "Allow"
          Action   = ["ecs:RegisterTaskDefinition"]
          Resource = "*"
          Condition = {
            StringEquals = { "aws:RequestTag/ecsenv:environment" = name, "aws:RequestTag/ecsenv:project" = var.project, "aws:RequestedRegion" = env.region }
          }
        },
        {
          Sid    = "TagNewRevisions"
          Effect = "Allow"
          Action = ["ecs:TagResource"]
          # <family>_oneoff: the revisions `ecsenv run` and pre-deploy steps register to run another image
          # (bootstrap/ecs/run.py).
          Resource  = flatten([for service in local.services : ["${env.arn_prefix}:ecs:${env.region}:${var.account_id}:task-definition/${env.cluster}-${service}:*", "${env.arn_prefix}:ecs:${env.region}:${var.account_id}:task-definition/${env.cluster}-${service}_oneoff:*"]])
          Condition = { StringEquals = { "ecs:CreateAction" = "RegisterTaskDefinition", "aws:RequestTag/ecsenv:environment" = name } }
        },
        {
          # The first deploy starts the count the stack recorded in the service's `ecsenv:desired-count` tag.
          Sid      = "ReadServiceTags"
          Effect   = "Allow"
          Action   = ["ecs:ListTagsForResource"]
          Resource = [for service in local.services : "${env.arn_prefix}:ecs:${env.region}:${var.account_id}:service/${env.cluster}/${service}"]
        },
        {
          # `ecsenv run` and pre-deploy steps: one-off tasks of this environment's families, on its cluster only
          # (RunTask's resource is the task definition, with the ecs:cluster condition key: Service Authorization
          # Reference, Amazon ECS, https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html).
          Sid       = "RunOneOffTasks"
          Effect    = "Allow"
          Action    = ["ecs:RunTask"]
          Resource  = flatten([for service in local.services : ["${env.arn_prefix}:ecs:${env.region}:${var.account_id}:task-definition/${env.cluster}-${service}:*", "${env.arn_prefix}:ecs:${env.region}:${var.account_id}:task-definition/${env.cluster}-${service}_oneoff:*"]])
          Condition = { ArnEquals = { "ecs:cluster" = "${env.arn_prefix}:ecs:${env.region}:${var.account_id}:cluster/${env.cluster}" } }
        },
        {
          # Following a one-off task to its end (and stopping it on timeout or Ctrl-C); a failed deploy's stopped
          # tasks (diagnosis); the tasks of a commit (`ecsenv logs --sha`).
          Sid       = "FollowTasks"
          Effect    = "Allow"
          Action    = ["ecs:DescribeTasks", "ecs:StopTask"]
          Resource  = "${env.arn_prefix}:ecs:${env.region}:${var.account_id}:task/${env.cluster}/*"
          Condition = { ArnEquals = { "ecs:cluster" = "${env.arn_prefix}:ecs:${env.region}:${var.account_id}:cluster/${env.cluster}" } }
        },
        {
          # ListTasks names a container instance as its resource type; the cluster condition key limits it.
          Sid       = "ListTasks"
          Effect    = "Allow"
          Action    = ["ecs:ListTasks"]
          Resource  = "*"
          Condition = { ArnEquals = { "ecs:cluster" = "${env.arn_prefix}:ecs:${env.region}:${var.account_id}:cluster/${env.cluster}" } }
        },
        {
          # `ecsenv logs`, a one-off task's output, and the last lines of a failed deploy's tasks: the
          # environment's log group (modules/cluster), its events only (Service Authorization Reference, Amazon
          # CloudWatch Logs: FilterLogEvents on log-group, GetLogEvents on log-stream).
          Sid    = "ReadLogs"
          Effect = "Allow"
          Action = ["logs:FilterLogEvents", "logs:GetLogEvents"]
          Resource = [
            "${env.arn_prefix}:logs:${env.region}:${var.account_id}:log-group:/ecs/${env.cluster}",
            "${env.arn_prefix}:logs:${env.region}:${var.account_id}:log-group:/ecs/${env.cluster}:*",
          ]
        },
        {
          # A failed deploy's diagnosis reads the health of its target group's targets; DescribeTargetHealth has
          # no resource-level permissions (Service Authorization Reference, Elastic Load Balancing V2).
          Sid       = "TargetHealth"
          Effect    = "Allow"
          Action    = ["elasticloadbalancing:DescribeTargetHealth"]
          Resource  = "*"
          Condition = { StringEquals = { "aws:RequestedRegion" = env.region } }
        },
        {
          Sid      = "UpdateServices"
          Effect   = "Allow"
          Action   = ["ecs:UpdateService"]
          Resource = [for service in local.services : "${env.arn_prefix}:ecs:${env.region}:${var.account_id}:service/${env.cluster}/${service}"]
        },
        {
          Sid    = "PassServiceRoles"
          Effect = "Allow"
          Action = ["iam:PassRole"]
          Resource = flatten([for service in local.services : [
            "${env.arn_prefix}:iam::${var.account_id}:role/${local.role_names["${env.cluster}-${service}-execution"]}",
            "${env.arn_prefix}:iam::${var.account_id}:role/${local.role_names["${env.cluster}-${service}-task"]}",
          ]])
          Condition = { StringEquals = { "iam:PassedToService" = "ecs-tasks.amazonaws.com" } }
        },
        {
          # A deploy checks that the secrets its task definitions name have a value (never reads the value).
          Sid      = "DescribeSecrets"
          Effect   = "Allow"
          Action   = ["secretsmanager:DescribeSecret"]
          Resource = "${env.arn_prefix}:secretsmanager:${env.region}:${var.account_id}:secret:${var.project}/${name}/*"
        },
        {
          Sid      = "ListRecords"
          Effect   = "Allow"
          Action   = ["s3:ListBucket"]
          Resource = "${env.arn_prefix}:s3:::${var.state_bucket}"
          # Listing answers "not found" (404) instead of "access denied" for a record that does not exist.
          Condition = { StringLike = { "s3:prefix" = ["ecsenv/deployed/${name}/*", "ecsenv/applied/*", env.state_key] } }
        },
        {
          Sid      = "ReadApplyRecords"
          Effect   = "Allow"
          Action   = ["s3:GetObject"]
          Resource = "${env.arn_prefix}:s3:::${var.state_bucket}/ecsenv/applied/*"
        },
        {
          # ecsenv finds the cluster and services from the environment's Terraform outputs (docs/stack.md, the
          # contract): read-only, this environment's state object only.
          Sid      = "ReadOwnOutputs"
          Effect   = "Allow"
          Action   = ["s3:GetObject"]
          Resource = "${env.arn_prefix}:s3:::${var.state_bucket}/${env.state_key}"
        },
        {
          Sid      = "DeployLock"
          Effect   = "Allow"
          Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
          Resource = "${env.arn_prefix}:s3:::${var.state_bucket}/ecsenv/deploy-locks/${name}.json"
        },
        {
          Sid      = "DeployHistory"
          Effect   = "Allow"
          Action   = ["s3:GetObject", "s3:PutObject"]
          Resource = "${env.arn_prefix}:s3:::${var.state_bucket}/ecsenv/deployed/${name}/*"
        },
      ],
      var.state_kms_key_arn == "" ? [] : [{
        Sid      = "StateKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = var.state_kms_key_arn
      }],
    )
  }
}

resource "aws_iam_role" "deploy" {
  for_each = local.github_environments

  name                 = local.role_names["${var.project}-${each.key}-github-deploy"]
  description          = "GitHub Actions (${var.github_repository}, environment ${each.key}): ecsenv deploy/rollback/promote/status"
  max_session_duration = 3600 # a deploy's wait is at most its --timeout (the workflows use 1200 s)
  assume_role_policy   = local.github_trust[each.key]
  tags                 = { "ecsenv:environment" = each.key, "ecsenv:job" = "deploy" }
}

resource "aws_iam_role_policy" "deploy" {
  for_each = local.github_environments

  name   = "deploy-${each.key}"
  role   = aws_iam_role.deploy[each.key].id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.deploy_statements[each.key] })
}

# The image build job: pushes images tagged with the commit, from the trunk branch only (no GitHub environment:
# it runs before any environment is chosen). It can push and pull, nothing else.
resource "aws_iam_role" "image_push" {
  count = local.github_enabled ? 1 : 0

  name                 = local.image_push_role
  description          = "GitHub Actions (${var.github_repository}, branch ${var.trunk_branch}): push images"
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = local.oidc_provider }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
          "token.actions.githubusercontent.com:sub" = "repo:${var.github_repository}:ref:refs/heads/${var.trunk_branch}"
        }
      }
    }]
  })
  tags = { "ecsenv:job" = "image-push" }
}

resource "aws_iam_role_policy" "image_push" {
  count = local.github_enabled ? 1 : 0

  name = "push-images"
  role = aws_iam_role.image_push[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
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
          "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload", "ecr:DescribeImages",
          "ecr:GetDownloadUrlForLayer", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart",
        ]
        Resource = values(module.ecr.repository_arns)
      },
      {
        Sid      = "EcrKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = module.ecr.kms_key_arn
      },
    ]
  })
}
