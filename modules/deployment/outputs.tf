output "cluster_name" {
  value = module.cluster.cluster_name
}

output "cluster_arn" {
  value = module.cluster.cluster_arn
}

output "alb_dns_name" {
  value = module.cluster.alb_dns_name
}

output "log_group_name" {
  value = module.cluster.log_group_name
}

output "secret_arns" {
  value = module.core_services.secret_arns
}

output "postgres_address" {
  value = module.core_services.postgres_address
}

output "postgres_master_secret_arn" {
  value = module.core_services.postgres_master_secret_arn
}

output "services" {
  description = "Per service: the ECS service name, its task definition family and the revision Terraform registered."
  value = {
    for name, service in module.service : name => {
      service_name           = service.service_name
      task_definition_family = service.task_definition_family
      task_definition_arn    = service.task_definition_arn
      task_role_arn          = service.task_role_arn
    }
  }
}
