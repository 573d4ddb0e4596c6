# One ECS service on Fargate: task definition (the app container, optional sidecars and init containers), service,
# IAM roles, optional autoscaling, and (when public) a target group and listener rule on the environment's load
# balancer.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  name         = "${var.project}-${var.environment}-${var.name}"
  cluster_name = element(split("/", var.cluster_arn), 1)
  account_id   = data.aws_caller_identity.current.account_id
  partition    = data.aws_partition.current.partition
  region       = data.aws_region.current.name
  tags         = merge(var.tags, { "ecsenv:project" = var.project, "ecsenv:environment" = var.environment, "ecsenv:service" = var.name })
  # The count the first deploy starts (the service is created with none): see aws_ecs_service.this.
  first_deploy_count = var.autoscaling == null ? var.desired_count : max(var.desired_count, var.autoscaling.min_capacity)
  app_image          = "${var.image_repository}:${var.image_tag}"
  # <account>.dkr.ecr.<region>.amazonaws.com/<repository name>
  repository_name = join("/", slice(split("/", var.image_repository), 1, length(split("/", var.image_repository))))
  is_ecr          = can(regex("^[0-9]{12}\\.dkr\\.ecr\\.", var.image_repository))

  # Names AWS limits in length, [full name, limit]: one that is too long keeps a prefix and ends in 6 hex digits of
  # the SHA-256 of the full name (the one rule of docs/stack.md, "Names"; bootstrap/project/validation.aws_name).
  # IAM role names: 64 (IAM quotas); target group names: 32 (ELB API reference, CreateTargetGroup).
  limited_names = {
    execution    = ["${local.name}-execution", 64]
    task         = ["${local.name}-task", 64]
    target_group = [local.name, 32]
  }
  names = { for key, spec in local.limited_names : key => length(spec[0]) <= spec[1] ? spec[0] : "${trimsuffix(substr(spec[0], 0, spec[1] - 7), "-")}-${substr(sha256(spec[0]), 0, 6)}" }
}

# --- Containers -------------------------------------------------------------------------------------------------
#
# The app container is named like the service and comes first; deploys retag its image and the images of the init
# containers that run the app's own image. Every container carries the docker label `ecsenv.role` (app, init or
# sidecar) so tools need not guess.

locals {
  init_containers = {
    for name, init in var.init_containers : name => merge(init, { image = coalesce(init.image, local.app_image) })
  }

  # valueFrom of every container: `<secret ARN>` or `<secret ARN>:<json-key>:<version-stage>:<version-id>`.
  all_secret_value_froms = concat(
    values(var.secrets),
    flatten([for sidecar in values(var.sidecars) : values(sidecar.secrets)]),
    flatten([for init in values(var.init_containers) : values(init.secrets)]),
  )
  # The IAM resource is the secret's own ARN: its first seven colon-separated fields.
  secret_arns = sort(distinct([for value_from in local.all_secret_value_froms : join(":", slice(split(":", value_from), 0, 7))]))

  app_depends_on = [for name in sort(keys(var.init_containers)) : { containerName = name, condition = "SUCCESS" }]

  app_container = merge(
    {
      name                   = var.name
      image                  = local.app_image
      essential              = true
      readonlyRootFilesystem = var.read_only_root_filesystem
      portMappings           = [{ containerPort = var.container_port, protocol = "tcp" }]
      environment            = [for key in sort(keys(var.environment_variables)) : { name = key, value = var.environment_variables[key] }]
      secrets                = [for key in sort(keys(var.secrets)) : { name = key, valueFrom = var.secrets[key] }]
      dockerLabels           = { "ecsenv.role" = "app" }
      logConfiguration       = local.log_configuration[var.name]
    },
    var.command == null ? {} : { command = var.command },
    var.health_check == null ? {} : { healthCheck = local.health_checks[var.name] },
    length(local.app_depends_on) == 0 ? {} : { dependsOn = local.app_depends_on },
  )

  sidecar_containers = [for name in sort(keys(var.sidecars)) : merge(
    {
      name                   = name
      image                  = var.sidecars[name].image
      essential              = var.sidecars[name].essential
      cpu                    = var.sidecars[name].cpu
      readonlyRootFilesystem = var.sidecars[name].read_only_root_filesystem
      portMappings           = [for port in var.sidecars[name].ports : { containerPort = port, protocol = "tcp" }]
      environment            = [for key in sort(keys(var.sidecars[name].environment)) : { name = key, value = var.sidecars[name].environment[key] }]
      secrets                = [for key in sort(keys(var.sidecars[name].secrets)) : { name = key, valueFrom = var.sidecars[name].secrets[key] }]
      dockerLabels           = { "ecsenv.role" = "sidecar" }
      logConfiguration       = local.log_configuration[name]
    },
    var.sidecars[name].command == null ? {} : { command = var.sidecars[name].command },
    var.sidecars[name].memory_reservation == null ? {} : { memoryReservation = var.sidecars[name].memory_reservation },
    var.sidecars[name].health_check == null ? {} : { healthCheck = local.health_checks[name] },
    length(var.sidecars[name].depends_on) == 0 ? {} : {
      dependsOn = [for container in sort(keys(var.sidecars[name].depends_on)) : { containerName = container, condition = var.sidecars[name].depends_on[container] }]
    },
  )]

  # Init containers write to the root filesystem as little as the app does: read-only like it.
  init_container_definitions = [for name in sort(keys(local.init_containers)) : {
    name                   = name
    image                  = local.init_containers[name].image
    essential              = false
    command                = local.init_containers[name].command
    readonlyRootFilesystem = var.read_only_root_filesystem
    environment            = [for key in sort(keys(local.init_containers[name].environment)) : { name = key, value = local.init_containers[name].environment[key] }]
    secrets                = [for key in sort(keys(local.init_containers[name].secrets)) : { name = key, valueFrom = local.init_containers[name].secrets[key] }]
    dockerLabels           = { "ecsenv.role" = "init" }
    logConfiguration       = local.log_configuration[name]
  }]

  log_configuration = { for name in concat([var.name], keys(var.sidecars), keys(var.init_containers)) : name => {
    logDriver = "awslogs"
    options = {
      "awslogs-group"         = var.log_group_name
      "awslogs-region"        = local.region
      "awslogs-stream-prefix" = var.name # streams: <service>/<container>/<task id>
    }
  } }

  health_checks = { for name, check in merge(
    var.health_check == null ? {} : { (var.name) = var.health_check },
    { for name, sidecar in var.sidecars : name => sidecar.health_check if sidecar.health_check != null },
    ) : name => {
    command     = check.command
    interval    = check.interval
    timeout     = check.timeout
    retries     = check.retries
    startPeriod = check.start_period
  } }
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
# secrets (only the ARNs passed in `secrets` of its containers, nothing else).
resource "aws_iam_role" "execution" {
  name               = local.names.execution
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
          Resource = local.secret_arns
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
      ] : statement if length(local.all_secret_value_froms) > 0],
    )
  })
}

# The task role is what the application's own code runs as: nothing by default; `task_role_statements` (the
# environment's cache and assets bucket, when the service asks for them) and ECS exec add to it. Grant more with
# aws_iam_role_policy resources on `task_role_name`.
resource "aws_iam_role" "task" {
  name               = local.names.task
  assume_role_policy = local.ecs_tasks_trust
  tags               = local.tags
}

locals {
  # ECS exec runs the SSM agent inside the task: it opens its channels with the task role, encrypts the session with
  # the cluster's KMS key and logs it to the cluster's log group (modules/cluster execute_command_configuration).
  # https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html#ecs-exec-required-iam-permissions
  execute_command_statements = var.enable_execute_command ? [
    {
      Sid      = "EcsExecChannels"
      Effect   = "Allow"
      Action   = ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"]
      Resource = "*" # the SSM messages actions have no resource-level permissions
    },
    {
      Sid      = "EcsExecSessionKey"
      Effect   = "Allow"
      Action   = ["kms:Decrypt"]
      Resource = var.kms_key_arn
    },
    {
      Sid      = "EcsExecSessionLogs"
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
      Resource = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${var.log_group_name}:*"
    },
    {
      Sid      = "EcsExecFindLogGroup"
      Effect   = "Allow"
      Action   = ["logs:DescribeLogGroups"]
      Resource = "*" # DescribeLogGroups has no resource-level permissions
    },
  ] : []
  task_role_statements = concat(local.execute_command_statements, var.task_role_statements)
  has_task_policy      = var.enable_execute_command || length(var.task_role_statements) > 0
}

resource "aws_iam_role_policy" "task" {
  count  = local.has_task_policy ? 1 : 0
  name   = "app"
  role   = aws_iam_role.task.id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.task_role_statements })
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

  container_definitions = jsonencode(concat([local.app_container], local.init_container_definitions, local.sidecar_containers))

  tags = local.tags
}

resource "aws_ecs_service" "this" {
  name            = var.name
  cluster         = var.cluster_arn
  task_definition = aws_ecs_task_definition.this.arn
  # A safe first apply: the service starts with no task, since its image tag (`initial`) and its secrets' values do
  # not exist yet. The first deploy starts the count in the `ecsenv:desired-count` tag; from then on deploys and
  # autoscaling own the count (ignored below). See docs/stack.md, "The first apply".
  desired_count                      = 0
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  health_check_grace_period_seconds  = var.public ? var.health_check_grace_period_seconds : null
  enable_execute_command             = var.enable_execute_command
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
  # desired_count: set by the first deploy, then by autoscaling or by hand; Terraform only creates it at 0.
  #
  # availability_zone_rebalancing: the API does not always report it (older API versions, the local emulator), and
  # AWS has changed its default over time, so comparing it would show a change on every plan. It is set on create.
  lifecycle {
    ignore_changes = [task_definition, desired_count, availability_zone_rebalancing]
  }

  tags = merge(local.tags, { "ecsenv:desired-count" = tostring(local.first_deploy_count) })

  depends_on = [aws_iam_role_policy.execution, aws_lb_listener_rule.this]
}

# --- Autoscaling ------------------------------------------------------------------------------------------------

# Registering a scalable target moves the service's count into [min, max] at once
# (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html). So while the
# service has never been deployed (0 tasks) the minimum stays 0, and the first apply after the first deploy raises
# it to min_capacity. The service's desired_count read here is the live one (it is in ignore_changes).
resource "aws_appautoscaling_target" "this" {
  count              = var.autoscaling == null ? 0 : 1
  service_namespace  = "ecs"
  resource_id        = "service/${local.cluster_name}/${aws_ecs_service.this.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = aws_ecs_service.this.desired_count > 0 ? var.autoscaling.min_capacity : 0
  max_capacity       = var.autoscaling.max_capacity
  tags               = local.tags
}

resource "aws_appautoscaling_policy" "cpu" {
  count              = try(var.autoscaling.cpu_target, null) == null ? 0 : 1
  name               = "${local.name}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  resource_id        = aws_appautoscaling_target.this[0].resource_id
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.autoscaling.cpu_target
    scale_in_cooldown  = var.autoscaling.scale_in_cooldown
    scale_out_cooldown = var.autoscaling.scale_out_cooldown

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "requests" {
  count              = var.public && try(var.autoscaling.requests_per_target, null) != null ? 1 : 0
  name               = "${local.name}-requests"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  resource_id        = aws_appautoscaling_target.this[0].resource_id
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.autoscaling.requests_per_target
    scale_in_cooldown  = var.autoscaling.scale_in_cooldown
    scale_out_cooldown = var.autoscaling.scale_out_cooldown

    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = "${var.alb_arn_suffix}/${aws_lb_target_group.this[0].arn_suffix}"
    }
  }
}

# --- Load balancer (public services) ----------------------------------------------------------------------------

resource "aws_lb_target_group" "this" {
  count                = var.public ? 1 : 0
  name                 = local.names.target_group
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
