output "repository_urls" {
  description = "Name => repository URL (what the services' image_repository takes)."
  value       = { for name, repository in aws_ecr_repository.this : name => repository.repository_url }
}

output "repository_arns" {
  description = "Name => repository ARN."
  value       = { for name, repository in aws_ecr_repository.this : name => repository.arn }
}

output "kms_key_arn" {
  value = aws_kms_key.ecr.arn
}
