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

output "container_names" {
  description = "The task's containers by role: app (named like the service), init and sidecar names."
  value = {
    app     = var.name
    init    = sort(keys(var.init_containers))
    sidecar = sort(keys(var.sidecars))
  }
}

output "task_definition_family_arn" {
  description = "The task definition family's ARN without a revision: RunTask with it runs the latest ACTIVE revision (the one the last deploy registered)."
  value       = "arn:${local.partition}:ecs:${local.region}:${local.account_id}:task-definition/${aws_ecs_task_definition.this.family}"
}

output "execution_role_name" {
  value = aws_iam_role.execution.name
}
