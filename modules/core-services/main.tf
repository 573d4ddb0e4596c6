# The environment's core services: its secrets (declared here, valued elsewhere) and an optional Postgres.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  name = "${var.project}-${var.environment}"
  tags = merge(var.tags, { "ecsenv:project" = var.project, "ecsenv:environment" = var.environment })

  # Names AWS limits in length, [full name, limit]: one that is too long keeps a prefix and ends in 6 hex digits of
  # the SHA-256 of the full name (the one rule of docs/stack.md, "Names"; bootstrap/project/validation.aws_name).
  # DB instance identifiers: 63 (RDS API reference, CreateDBInstance); IAM role names: 64.
  limited_names = {
    postgres   = ["${local.name}-postgres", 63]
    monitoring = ["${local.name}-postgres-monitoring", 64]
  }
  names = { for key, spec in local.limited_names : key => length(spec[0]) <= spec[1] ? spec[0] : "${trimsuffix(substr(spec[0], 0, spec[1] - 7), "-")}-${substr(sha256(spec[0]), 0, 6)}" }
}

# Secrets are declared WITHOUT a value: there is deliberately no aws_secretsmanager_secret_version, so no secret
# value ever passes through Terraform (plan files, state). The ecsenv:* tags let `ecsenv secret` find them.
resource "aws_secretsmanager_secret" "this" {
  for_each                = toset(var.secret_names)
  name                    = "${var.project}/${var.environment}/${each.value}"
  description             = "${each.value} of ${var.project} ${var.environment}; the value is set out of band (ecsenv secret set)"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.secret_recovery_window_days
  tags                    = merge(local.tags, { "ecsenv:secret" = each.value })
}

# --- Optional Postgres ------------------------------------------------------------------------------------------

resource "aws_security_group" "postgres" {
  count       = var.enable_postgres ? 1 : 0
  name        = "${local.name}-postgres"
  description = "${local.name} Postgres: 5432 from the services"
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = "${local.name}-postgres" })
}

# count over the list, never for_each over its values: the number of client networks is known when planning, their
# values may not be (a for_each over the services' security group id, unknown before the first apply, could not
# plan). The clients are the tasks' private subnets, named by CIDR like the load balancer's rules.
resource "aws_vpc_security_group_ingress_rule" "postgres" {
  count             = var.enable_postgres ? length(var.client_cidr_blocks) : 0
  security_group_id = aws_security_group.postgres[0].id
  description       = "Postgres from the services' subnet ${var.client_cidr_blocks[count.index]}"
  cidr_ipv4         = var.client_cidr_blocks[count.index]
  ip_protocol       = "tcp"
  from_port         = 5432
  to_port           = 5432
}

resource "aws_db_subnet_group" "postgres" {
  count      = var.enable_postgres ? 1 : 0
  name       = "${local.name}-postgres"
  subnet_ids = var.private_subnet_ids
  tags       = local.tags
}

resource "aws_db_parameter_group" "postgres" {
  count  = var.enable_postgres ? 1 : 0
  name   = "${local.name}-postgres${split(".", var.postgres.engine_version)[0]}"
  family = "postgres${split(".", var.postgres.engine_version)[0]}"
  tags   = local.tags

  dynamic "parameter" {
    for_each = var.postgres.parameters
    content {
      name  = parameter.key
      value = parameter.value
    }
  }
}

resource "aws_iam_role" "postgres_monitoring" {
  count = var.enable_postgres ? 1 : 0
  name  = local.names.monitoring
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "monitoring.rds.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  })
  tags = local.tags
}

resource "aws_iam_role_policy_attachment" "postgres_monitoring" {
  count      = var.enable_postgres ? 1 : 0
  role       = aws_iam_role.postgres_monitoring[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

resource "aws_db_instance" "postgres" {
  count                         = var.enable_postgres ? 1 : 0
  identifier                    = local.names.postgres
  engine                        = "postgres"
  engine_version                = var.postgres.engine_version
  instance_class                = var.postgres.instance_class
  allocated_storage             = var.postgres.allocated_storage
  max_allocated_storage         = var.postgres.max_allocated_storage
  db_name                       = var.postgres.database_name
  username                      = var.postgres.username
  manage_master_user_password   = true # AWS creates and rotates the password in Secrets Manager; Terraform never holds it
  master_user_secret_kms_key_id = var.kms_key_arn

  db_subnet_group_name                  = aws_db_subnet_group.postgres[0].name
  vpc_security_group_ids                = [aws_security_group.postgres[0].id]
  parameter_group_name                  = aws_db_parameter_group.postgres[0].name
  publicly_accessible                   = false
  multi_az                              = var.postgres.multi_az
  storage_encrypted                     = true
  kms_key_id                            = var.kms_key_arn
  iam_database_authentication_enabled   = true
  auto_minor_version_upgrade            = true
  backup_retention_period               = var.postgres.backup_retention_days
  copy_tags_to_snapshot                 = true
  deletion_protection                   = var.postgres.deletion_protection
  skip_final_snapshot                   = false
  final_snapshot_identifier             = "${local.names.postgres}-final"
  enabled_cloudwatch_logs_exports       = ["postgresql", "upgrade"]
  performance_insights_enabled          = var.postgres.performance_insights
  performance_insights_kms_key_id       = var.postgres.performance_insights ? var.kms_key_arn : null
  performance_insights_retention_period = var.postgres.performance_insights ? 7 : null
  monitoring_interval                   = 60
  monitoring_role_arn                   = aws_iam_role.postgres_monitoring[0].arn
  tags                                  = local.tags

  depends_on = [aws_iam_role_policy_attachment.postgres_monitoring]
}
