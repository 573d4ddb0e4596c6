# One environment: the cluster, its core services, and one container-generic per entry of var.services.

module "cluster" {
  source = "../cluster"

  project                   = var.project
  environment               = var.environment
  availability_zones        = var.availability_zones
  vpc_cidr                  = var.vpc_cidr
  enable_nat_gateway        = var.enable_nat_gateway
  certificate_arn           = var.certificate_arn
  enable_container_insights = var.enable_container_insights
  enable_flow_logs          = var.enable_flow_logs
  log_retention_days        = var.log_retention_days
  alb_deletion_protection   = var.alb_deletion_protection
  tags                      = var.tags
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
  client_security_group_ids   = [module.cluster.services_security_group_id]
  tags                        = var.tags
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
  desired_count          = each.value.desired_count
  environment_variables  = each.value.environment
  secrets                = { for name in each.value.secrets : name => module.core_services.secret_arns[name] }
  kms_key_arn            = module.cluster.kms_key_arn
  subnet_ids             = module.cluster.private_subnet_ids
  security_group_ids     = [module.cluster.services_security_group_id]
  log_group_name         = module.cluster.log_group_name
  public                 = each.value.public
  vpc_id                 = module.cluster.vpc_id
  listener_arn           = module.cluster.listener_arn
  listener_rule_priority = each.value.listener_rule_priority
  path_patterns          = each.value.path_patterns
  host_headers           = each.value.host_headers
  health_check_path      = each.value.health_check_path

  health_check_grace_period_seconds = var.health_check_grace_period_seconds
  tags                              = var.tags
}
