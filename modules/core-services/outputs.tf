output "secret_arns" {
  description = "Secret NAME => ARN, for the services' `secrets` (valueFrom)."
  value       = { for name, secret in aws_secretsmanager_secret.this : name => secret.arn }
}

output "postgres_address" {
  description = "Host name of the Postgres instance (null when disabled)."
  value       = var.enable_postgres ? aws_db_instance.postgres[0].address : null
}

output "postgres_port" {
  value = var.enable_postgres ? aws_db_instance.postgres[0].port : null
}

output "postgres_master_secret_arn" {
  description = "ARN of the AWS-managed secret holding the master credentials, a JSON object with `username` and `password` (null when disabled). A container reads one key with valueFrom `<ARN>:password::`."
  value       = var.enable_postgres ? aws_db_instance.postgres[0].master_user_secret[0].secret_arn : null
}
