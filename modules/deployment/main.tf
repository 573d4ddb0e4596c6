# One environment: the cluster, its core services, one container-generic per entry of var.services, and the
# optional cache, assets bucket and scheduled tasks.

locals {
  public_ports = distinct([for service in values(var.services) : service.container_port if service.public])

  # What a service asks for from the environment turns into its environment variables, secrets and task role.
  service_environment = { for name, service in var.services : name => merge(
    service.cache_access && var.enable_cache ? {
      CACHE_HOST = module.cache[0].primary_endpoint
      CACHE_PORT = tostring(module.cache[0].port)
      CACHE_TLS  = "true"
    } : {},
    service.assets_access && var.enable_assets_bucket ? merge(
      { ASSETS_BUCKET = module.assets_bucket[0].bucket_name },
      var.assets.enable_cdn ? { ASSETS_CDN_DOMAIN = module.assets_bucket[0].cdn_domain_name } : {},
    ) : {},
    length(service.postgres_secrets) > 0 ? {
      DATABASE_HOST = module.core_services.postgres_address
      DATABASE_PORT = tostring(module.core_services.postgres_port)
      DATABASE_NAME = try(var.postgres.database_name, "app")
    } : {},
    service.environment,
  ) }

  # valueFrom of the environment's secrets by name, and of single keys of the RDS-managed master secret (a JSON
  # object with username and password): `<ARN>:<json-key>::` (the ECS syntax for one key of a JSON secret,
  # https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html).
  service_secrets = { for name, service in var.services : name => merge(
    { for secret in service.secrets : secret => module.core_services.secret_arns[secret] },
    { for variable, key in service.postgres_secrets : variable => "${module.core_services.postgres_master_secret_arn}:${key}::" },
  ) }

  service_task_role_statements = { for name, service in var.services : name => concat(
    service.assets_access && var.enable_assets_bucket ? module.assets_bucket[0].access_statements : [],
  ) }
}

module "cluster" {
  source = "../cluster"

  project                                = var.project
  environment                            = var.environment
  availability_zones                     = var.availability_zones
  vpc_cidr                               = var.vpc_cidr
  enable_nat_gateway                     = var.enable_nat_gateway
  certificate_arn                        = var.certificate_arn
  domain_name                            = var.domain_name
  subject_alternative_names              = var.subject_alternative_names
  route53_zone_id                        = var.route53_zone_id
  certificate_validation_records_created = var.certificate_validation_records_created
  alb_ingress_cidrs                      = var.alb_ingress_cidrs
  service_ports                          = local.public_ports
  enable_container_insights              = var.enable_container_insights
  enable_flow_logs                       = var.enable_flow_logs
  log_retention_days                     = var.log_retention_days
  alb_deletion_protection                = var.alb_deletion_protection
  tags                                   = var.tags
}

module "core_services" {
  source = "../core-services"

  project                     = var.project
  environment                 = var.environment
  secret_names                = var.secret_names
  kms_key_arn                 = module.cluster.kms_key_arn
  secret_recovery_window_days = var.secret_recovery_window_days
  enable_postgres             = var.enable_postgres
  postgres                    = var.postgres
  vpc_id                      = module.cluster.vpc_id
  private_subnet_ids          = module.cluster.private_subnet_ids
  client_cidr_blocks          = module.cluster.private_subnet_cidr_blocks
  tags                        = var.tags
}

module "cache" {
  source = "../cache"
  count  = var.enable_cache ? 1 : 0

  project                 = var.project
  environment             = var.environment
  vpc_id                  = module.cluster.vpc_id
  subnet_ids              = module.cluster.private_subnet_ids
  client_cidr_blocks      = module.cluster.private_subnet_cidr_blocks
  kms_key_arn             = module.cluster.kms_key_arn
  engine                  = var.cache.engine
  engine_version          = var.cache.engine_version
  node_type               = var.cache.node_type
  num_cache_clusters      = var.cache.num_cache_clusters
  snapshot_retention_days = var.cache.snapshot_retention_days
  tags                    = var.tags
}

module "assets_bucket" {
  source = "../assets-bucket"
  count  = var.enable_assets_bucket ? 1 : 0

  project                 = var.project
  environment             = var.environment
  enable_cdn              = var.assets.enable_cdn
  cdn_price_class         = var.assets.cdn_price_class
  noncurrent_version_days = var.assets.noncurrent_version_days
  tags                    = var.tags
}

module "service" {
  source   = "../container-generic"
  for_each = var.services

  project                = var.project
  environment            = var.environment
  name                   = each.key
  cluster_arn            = module.cluster.cluster_arn
  image_repository       = each.value.image_repository
  image_tag              = each.value.image_tag
  cpu                    = each.value.cpu
  memory                 = each.value.memory
  container_port         = each.value.container_port
  command                = each.value.command
  health_check           = each.value.health_check
  desired_count          = each.value.desired_count
  autoscaling            = each.value.autoscaling
  enable_execute_command = each.value.enable_execute_command
  environment_variables  = local.service_environment[each.key]
  secrets                = local.service_secrets[each.key]
  task_role_statements   = local.service_task_role_statements[each.key]
  sidecars = { for name, sidecar in each.value.sidecars : name => merge(sidecar, {
    secrets = { for secret in sidecar.secrets : secret => module.core_services.secret_arns[secret] }
  }) }
  # Init containers (migrations) run the app's code: they get the app's environment and secrets, plus their own.
  init_containers = { for name, init in each.value.init_containers : name => merge(init, {
    environment = merge(local.service_environment[each.key], init.environment)
    secrets = merge(local.service_secrets[each.key],
    { for secret in init.secrets : secret => module.core_services.secret_arns[secret] })
  }) }
  kms_key_arn            = module.cluster.kms_key_arn
  subnet_ids             = module.cluster.private_subnet_ids
  security_group_ids     = [module.cluster.services_security_group_id]
  log_group_name         = module.cluster.log_group_name
  public                 = each.value.public
  vpc_id                 = module.cluster.vpc_id
  listener_arn           = module.cluster.listener_arn
  alb_arn_suffix         = module.cluster.alb_arn_suffix
  listener_rule_priority = each.value.listener_rule_priority
  path_patterns          = each.value.path_patterns
  host_headers           = each.value.host_headers
  health_check_path      = each.value.health_check_path

  health_check_grace_period_seconds = var.health_check_grace_period_seconds
  tags                              = var.tags
}

module "scheduled_task" {
  source   = "../scheduled-task"
  for_each = var.scheduled_tasks

  project                    = var.project
  environment                = var.environment
  name                       = each.key
  schedule_expression        = each.value.schedule_expression
  timezone                   = each.value.timezone
  enabled                    = each.value.enabled
  cluster_arn                = module.cluster.cluster_arn
  task_definition_family_arn = module.service[each.value.service].task_definition_family_arn
  container_name             = each.value.service
  command                    = each.value.command
  kms_key_arn                = module.cluster.kms_key_arn
  pass_role_arns             = [module.service[each.value.service].execution_role_arn, module.service[each.value.service].task_role_arn]
  subnet_ids                 = module.cluster.private_subnet_ids
  security_group_ids         = [module.cluster.services_security_group_id]
  tags                       = var.tags
}
