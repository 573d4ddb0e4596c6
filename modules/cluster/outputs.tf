output "vpc_id" {
  value = aws_vpc.this.id
}

output "public_subnet_ids" {
  value = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  value = aws_subnet.private[*].id
}

output "private_subnet_cidr_blocks" {
  description = "CIDR blocks of the private subnets (the tasks'), for the rules of what the tasks reach."
  value       = aws_subnet.private[*].cidr_block
}

output "alb_arn" {
  value = aws_lb.this.arn
}

output "alb_dns_name" {
  value = aws_lb.this.dns_name
}

output "alb_security_group_id" {
  value = aws_security_group.alb.id
}

output "services_security_group_id" {
  description = "Security group of every service's tasks (reachable from the load balancer)."
  value       = aws_security_group.services.id
}

output "listener_arn" {
  description = "The listener services attach their rules to: HTTPS when a certificate is configured, else HTTP."
  value       = local.https ? aws_lb_listener.https[0].arn : aws_lb_listener.http.arn
}

output "cluster_arn" {
  value = aws_ecs_cluster.this.arn
}

output "cluster_name" {
  value = aws_ecs_cluster.this.name
}

output "log_group_name" {
  value = aws_cloudwatch_log_group.this.name
}

output "log_group_arn" {
  value = aws_cloudwatch_log_group.this.arn
}

output "kms_key_arn" {
  description = "The environment's KMS key (logs, secrets, ECS exec)."
  value       = aws_kms_key.this.arn
}

output "alb_arn_suffix" {
  description = "app/<name>/<id>: the load balancer's CloudWatch dimension (autoscaling on requests per target)."
  value       = aws_lb.this.arn_suffix
}

output "alb_zone_id" {
  description = "Hosted zone id of the load balancer (for alias records made elsewhere)."
  value       = aws_lb.this.zone_id
}

output "certificate_arn" {
  description = "The HTTPS listener's certificate (null without HTTPS)."
  value       = local.https ? local.certificate_arn : null
}

output "certificate_validation_records" {
  description = "Domain => the DNS record (name, type, value) ACM validates it with; create them by hand when the DNS is not in route53_zone_id."
  value       = local.validation_records
}
