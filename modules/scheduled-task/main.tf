# One scheduled task: an EventBridge Scheduler schedule that runs a service's task definition on the cluster (a
# cron job), with its own role allowed to run that task definition family and pass its roles, and nothing else.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  name       = "${var.project}-${var.environment}-${var.name}"
  account_id = data.aws_caller_identity.current.account_id
  tags       = merge(var.tags, { "ecsenv:project" = var.project, "ecsenv:environment" = var.environment, "ecsenv:scheduled-task" = var.name })
  # RunTask with the family's ARN without a revision runs its latest ACTIVE revision: the one the last deploy
  # registered, so the job runs the image the service runs.
  family_arn = var.task_definition_family_arn

  # Names AWS limits in length, [full name, limit]: one that is too long keeps a prefix and ends in 6 hex digits of
  # the SHA-256 of the full name (the one rule of docs/stack.md, "Names"; bootstrap/project/validation.aws_name).
  # IAM role names: 64; schedule names: 64 (EventBridge Scheduler API reference, CreateSchedule).
  limited_names = {
    role     = ["${local.name}-schedule", 64]
    schedule = [local.name, 64]
  }
  names = { for key, spec in local.limited_names : key => length(spec[0]) <= spec[1] ? spec[0] : "${trimsuffix(substr(spec[0], 0, spec[1] - 7), "-")}-${substr(sha256(spec[0]), 0, 6)}" }
}

resource "aws_iam_role" "this" {
  name = local.names.role
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "scheduler.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })
  tags = local.tags
}

# https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role (ECS target)
resource "aws_iam_role_policy" "this" {
  name = "run-task"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "RunTheTask"
        Effect    = "Allow"
        Action    = ["ecs:RunTask"]
        Resource  = ["${local.family_arn}:*", local.family_arn]
        Condition = { ArnEquals = { "ecs:cluster" = var.cluster_arn } }
      },
      {
        Sid       = "TagTheTask"
        Effect    = "Allow"
        Action    = ["ecs:TagResource"]
        Resource  = "arn:${data.aws_partition.current.partition}:ecs:*:${local.account_id}:task/*"
        Condition = { StringEquals = { "ecs:CreateAction" = "RunTask" } }
      },
      {
        # The schedule is encrypted with the environment's key; Scheduler decrypts it as this role to run it.
        # https://docs.aws.amazon.com/scheduler/latest/UserGuide/encryption-rest.html
        Sid      = "ReadTheSchedule"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = var.kms_key_arn
      },
      {
        Sid       = "PassTheTaskRoles"
        Effect    = "Allow"
        Action    = ["iam:PassRole"]
        Resource  = var.pass_role_arns
        Condition = { StringEquals = { "iam:PassedToService" = "ecs-tasks.amazonaws.com" } }
      },
    ]
  })
}

resource "aws_scheduler_schedule" "this" {
  name                         = local.names.schedule
  description                  = "${var.name} of ${var.project} ${var.environment}: runs ${var.container_name} of ${var.task_definition_family_arn}"
  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = var.timezone
  state                        = var.enabled ? "ENABLED" : "DISABLED"
  kms_key_arn                  = var.kms_key_arn

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = var.cluster_arn
    role_arn = aws_iam_role.this.arn
    # The RunTask overrides: the container's command for this job (none = the task definition's own).
    input = var.command == null ? null : jsonencode({
      containerOverrides = [{ name = var.container_name, command = var.command }]
    })

    ecs_parameters {
      task_definition_arn     = local.family_arn
      launch_type             = "FARGATE"
      platform_version        = "LATEST"
      task_count              = 1
      enable_ecs_managed_tags = true
      propagate_tags          = "TASK_DEFINITION"

      network_configuration {
        subnets          = var.subnet_ids
        security_groups  = var.security_group_ids
        assign_public_ip = false
      }
    }

    retry_policy {
      maximum_retry_attempts       = var.retry_attempts
      maximum_event_age_in_seconds = 3600
    }
  }

  depends_on = [aws_iam_role_policy.this]
}
