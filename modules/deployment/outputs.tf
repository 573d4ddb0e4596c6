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
  description = "Per service: the ECS service name, its task definition family, the revision Terraform registered, its task role and its containers by role (app, init, sidecar)."
  value = {
    for name, service in module.service : name => {
      service_name           = service.service_name
      task_definition_family = service.task_definition_family
      task_definition_arn    = service.task_definition_arn
      task_role_arn          = service.task_role_arn
      containers             = service.container_names
    }
  }
}

output "certificate_validation_records" {
  description = "DNS records ACM validates the domain's certificate with (create them by hand without route53_zone_id)."
  value       = module.cluster.certificate_validation_records
}

output "cache_endpoint" {
  description = "Primary endpoint of the cache (TLS), null without cache."
  value       = var.enable_cache ? module.cache[0].primary_endpoint : null
}

output "assets_bucket" {
  description = "Name of the assets bucket, null without one."
  value       = var.enable_assets_bucket ? module.assets_bucket[0].bucket_name : null
}

output "assets_cdn_domain_name" {
  description = "CloudFront domain of the assets, null without CDN."
  value       = var.enable_assets_bucket ? module.assets_bucket[0].cdn_domain_name : null
}

output "scheduled_tasks" {
  description = "Scheduled task name => its EventBridge Scheduler schedule name."
  value       = { for name, task in module.scheduled_task : name => task.schedule_name }
}
