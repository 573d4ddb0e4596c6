variable "project" {
  description = "Project name."
  type        = string
}

variable "environment" {
  description = "Environment name."
  type        = string
}

variable "name" {
  description = "Name of the job (unique in the environment)."
  type        = string
}

variable "schedule_expression" {
  description = "When: cron(minutes hours day-of-month month day-of-week year), rate(value unit) or at(...), as EventBridge Scheduler takes it."
  type        = string
}

variable "timezone" {
  description = "Time zone of the cron expression (IANA name)."
  type        = string
  default     = "UTC"
}

variable "enabled" {
  description = "false keeps the schedule but runs nothing."
  type        = bool
  default     = true
}

variable "cluster_arn" {
  description = "Cluster the task runs in."
  type        = string
}

variable "task_definition_family_arn" {
  description = "The task definition family's ARN without a revision (the latest revision runs)."
  type        = string
}

variable "container_name" {
  description = "Container whose command `command` replaces (the service's app container)."
  type        = string
}

variable "command" {
  description = "Command of the job's run; null = the task definition's own."
  type        = list(string)
  default     = null
}

variable "kms_key_arn" {
  description = "The environment's KMS key: the schedule (its target's input) is encrypted with it."
  type        = string
}

variable "pass_role_arns" {
  description = "The task definition's execution and task roles (the schedule passes them to ECS)."
  type        = list(string)
}

variable "subnet_ids" {
  description = "Subnets of the task (private)."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups of the task."
  type        = list(string)
}

variable "retry_attempts" {
  description = "How often Scheduler retries a failed RunTask call (not a failed task)."
  type        = number
  default     = 2
}

variable "tags" {
  description = "Extra tags."
  type        = map(string)
  default     = {}
}
