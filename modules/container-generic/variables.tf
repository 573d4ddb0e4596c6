variable "project" {
  description = "Project name."
  type        = string
}

variable "environment" {
  description = "Environment name."
  type        = string
}

variable "name" {
  description = "Service name (also the container's name)."
  type        = string
}

variable "cluster_arn" {
  description = "ECS cluster the service runs in."
  type        = string
}

variable "image_repository" {
  description = "Image repository URL (<account>.dkr.ecr.<region>.amazonaws.com/<name>)."
  type        = string
}

variable "image_tag" {
  description = "Image tag of the task definition Terraform registers. CI deploys register new revisions with the git SHA; Terraform does not undo them (see the service's lifecycle)."
  type        = string
}

variable "cpu" {
  description = "Fargate CPU units."
  type        = number
  default     = 256
}

variable "memory" {
  description = "Fargate memory (MiB)."
  type        = number
  default     = 512
}

variable "container_port" {
  description = "Port the container listens on."
  type        = number
  default     = 8080
}

variable "desired_count" {
  description = "Number of tasks."
  type        = number
  default     = 1
}

variable "environment_variables" {
  description = "Plain environment variables of the container."
  type        = map(string)
  default     = {}
}

variable "secrets" {
  description = "Environment variable NAME => Secrets Manager secret ARN, injected by ECS (valueFrom). The execution role may read these secrets and no others."
  type        = map(string)
  default     = {}
}

variable "kms_key_arn" {
  description = "KMS key the secrets are encrypted with (the execution role may decrypt with it)."
  type        = string
}

variable "read_only_root_filesystem" {
  description = "Mount the container's root filesystem read-only."
  type        = bool
  default     = true
}

variable "subnet_ids" {
  description = "Subnets of the tasks (private)."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups of the tasks."
  type        = list(string)
}

variable "log_group_name" {
  description = "CloudWatch log group of the container logs."
  type        = string
}

variable "public" {
  description = "Serve the service through the load balancer (target group + listener rule)."
  type        = bool
  default     = false
}

variable "vpc_id" {
  description = "VPC of the target group (when public)."
  type        = string
  default     = ""
}

variable "listener_arn" {
  description = "Listener the rule is attached to (when public)."
  type        = string
  default     = ""
}

variable "listener_rule_priority" {
  description = "Priority of the listener rule (unique per listener)."
  type        = number
  default     = 100
}

variable "path_patterns" {
  description = "Path patterns routed to the service (when public)."
  type        = list(string)
  default     = ["/*"]
}

variable "host_headers" {
  description = "Host names routed to the service (when public); empty = any host."
  type        = list(string)
  default     = []
}

variable "health_check_grace_period_seconds" {
  description = "Seconds ECS ignores failing load balancer health checks of a new task (when public)."
  type        = number
  default     = 60
}

variable "health_check_path" {
  description = "Target group health check path (when public)."
  type        = string
  default     = "/"
}

variable "tags" {
  description = "Extra tags."
  type        = map(string)
  default     = {}
}
