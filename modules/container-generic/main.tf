# One ECS service on Fargate: task definition, service, IAM roles, and (when public) a target group and listener
# rule on the environment's load balancer.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  name       = "${var.project}-${var.environment}-${var.name}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  tags       = merge(var.tags, { "ecsenv:project" = var.project, "ecsenv:environment" = var.environment, "ecsenv:service" = var.name })
  # <account>.dkr.ecr.<region>.amazonaws.com/<repository name>
  repository_name = join("/", slice(split("/", var.image_repository), 1, length(split("/", var.image_repository))))
  is_ecr          = can(regex("^[0-9]{12}\\.dkr\\.ecr\\.", var.image_repository))
}

# --- IAM --------------------------------------------------------------------------------------------------------

locals {
  ecs_tasks_trust = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })
}

# The execution role is what ECS uses to start the task: pull the image, write logs, and fetch THIS service's
# secrets (only the ARNs passed in `secrets`, nothing else).
resource "aws_iam_role" "execution" {
  name               = "${local.name}-execution"
  assume_role_policy = local.ecs_tasks_trust
  tags               = local.tags
}

resource "aws_iam_role_policy" "execution" {
  name = "start-task"
  role = aws_iam_role.execution.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "EcrLogin"
          Effect   = "Allow"
          Action   = ["ecr:GetAuthorizationToken"]
          Resource = "*" # GetAuthorizationToken has no resource-level permissions
        },
        {
          Sid      = "Logs"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${var.log_group_name}:*"
        },
      ],
      local.is_ecr ? [{
        Sid      = "PullImage"
        Effect   = "Allow"
        Action   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
        Resource = "arn:${local.partition}:ecr:${local.region}:${local.account_id}:repository/${local.repository_name}"
      }] : [],
      [for statement in [
        {
          Sid      = "OwnSecretsOnly"
          Effect   = "Allow"
          Action   = ["secretsmanager:GetSecretValue"]
          Resource = sort(distinct(values(var.secrets)))
        },
        {
          Sid      = "DecryptSecrets"
          Effect   = "Allow"
          Action   = ["kms:Decrypt"]
          Resource = var.kms_key_arn
          Condition = {
            StringEquals = { "kms:ViaService" = "secretsmanager.${local.region}.amazonaws.com" }
          }
        },
      ] : statement if length(var.secrets) > 0],
    )
  })
}

# The task role is what the application's own code runs as. It has no permissions here; grant what the service
# needs with aws_iam_role_policy resources on `task_role_name`.
resource "aws_iam_role" "task" {
  name               = "${local.name}-task"
  assume_role_policy = local.ecs_tasks_trust
  tags               = local.tags
}

# --- Task definition and service --------------------------------------------------------------------------------

resource "aws_ecs_task_definition" "this" {
  family                   = local.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  container_definitions = jsonencode([{
    name                   = var.name
    image                  = "${var.image_repository}:${var.image_tag}"
    essential              = true
    readonlyRootFilesystem = var.read_only_root_filesystem
    portMappings           = [{ containerPort = var.container_port, protocol = "tcp" }]
    environment            = [for key in sort(keys(var.environment_variables)) : { name = key, value = var.environment_variables[key] }]
    secrets                = [for key in sort(keys(var.secrets)) : { name = key, valueFrom = var.secrets[key] }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        "awslogs-group"         = var.log_group_name
        "awslogs-region"        = local.region
        "awslogs-stream-prefix" = var.name
      }
    }
  }])

  tags = local.tags
}

resource "aws_ecs_service" "this" {
  name                               = var.name
  cluster                            = var.cluster_arn
  task_definition                    = aws_ecs_task_definition.this.arn
  desired_count                      = var.desired_count
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  health_check_grace_period_seconds  = var.public ? var.health_check_grace_period_seconds : null
  propagate_tags                     = "SERVICE"

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = var.security_group_ids
    assign_public_ip = false
  }

  # A deployment whose tasks do not become healthy is stopped and rolled back to the last good one.
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  dynamic "load_balancer" {
    for_each = var.public ? [1] : []
    content {
      target_group_arn = aws_lb_target_group.this[0].arn
      container_name   = var.name
      container_port   = var.container_port
    }
  }

  # Terraform registers the first task definition; after that, deploys (CI, `ecsenv deploy`) own which revision
  # runs: they register a new revision with the image SHA and point the service at it. Ignoring task_definition
  # keeps `terraform apply` from rolling the service back to Terraform's older revision. Changes to the task
  # definition made here take effect on the next deploy (which starts from the latest revision's settings).
  #
  # availability_zone_rebalancing: the API does not always report it (older API versions, the local emulator), and
  # AWS has changed its default over time, so comparing it would show a change on every plan. It is set on create.
  lifecycle {
    ignore_changes = [task_definition, availability_zone_rebalancing]
  }

  tags = local.tags

  depends_on = [aws_iam_role_policy.execution, aws_lb_listener_rule.this]
}

# --- Load balancer (public services) ----------------------------------------------------------------------------

resource "aws_lb_target_group" "this" {
  count                = var.public ? 1 : 0
  name                 = trimsuffix(substr(local.name, 0, 32), "-")
  port                 = var.container_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 30

  health_check {
    path                = var.health_check_path
    matcher             = "200-399"
    healthy_threshold   = 2
    unhealthy_threshold = 3
    interval            = 15
    timeout             = 5
  }

  tags = local.tags
}

resource "aws_lb_listener_rule" "this" {
  count        = var.public ? 1 : 0
  listener_arn = var.listener_arn
  priority     = var.listener_rule_priority

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this[0].arn
  }

  condition {
    path_pattern {
      values = var.path_patterns
    }
  }

  dynamic "condition" {
    for_each = length(var.host_headers) > 0 ? [1] : []
    content {
      host_header {
        values = var.host_headers
      }
    }
  }

  tags = local.tags
}
