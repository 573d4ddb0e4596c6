output "service_name" {
  value = aws_ecs_service.this.name
}

output "task_definition_family" {
  value = aws_ecs_task_definition.this.family
}

output "task_definition_arn" {
  description = "The revision Terraform registered (deploys register newer ones)."
  value       = aws_ecs_task_definition.this.arn
}

output "execution_role_arn" {
  value = aws_iam_role.execution.arn
}

output "task_role_arn" {
  value = aws_iam_role.task.arn
}

output "task_role_name" {
  value = aws_iam_role.task.name
}

output "target_group_arn" {
  value = var.public ? aws_lb_target_group.this[0].arn : null
}
