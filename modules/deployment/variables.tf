variable "project" {
  description = "Project name; prefixes every resource name."
  type        = string
}

variable "environment" {
  description = "Environment name."
  type        = string
}

variable "availability_zones" {
  description = "The environment's two availability zones."
  type        = list(string)
}

variable "vpc_cidr" {
  description = "CIDR block of the environment's VPC."
  type        = string
}

variable "enable_nat_gateway" {
  description = "NAT gateway for the private subnets (see modules/cluster)."
  type        = bool
  default     = true
}

variable "certificate_arn" {
  description = "ACM certificate ARN for HTTPS; empty = HTTP only."
  type        = string
  default     = ""
}

variable "enable_container_insights" {
  description = "Container Insights on the ECS cluster."
  type        = bool
  default     = true
}

variable "enable_flow_logs" {
  description = "VPC flow logs."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of the environment's log groups."
  type        = number
  default     = 365
}

variable "alb_deletion_protection" {
  description = "Deletion protection on the load balancer."
  type        = bool
  default     = true
}

variable "secret_names" {
  description = "The environment's secrets (declared without values; see modules/core-services)."
  type        = list(string)
  default     = []
}

variable "secret_recovery_window_days" {
  description = "Days a deleted secret can be restored."
  type        = number
  default     = 30
}

variable "enable_postgres" {
  description = "An RDS Postgres with an AWS-managed master password."
  type        = bool
  default     = false
}

variable "postgres" {
  description = "Postgres settings (see modules/core-services)."
  type        = any
  default     = {}
}

variable "services" {
  description = "The environment's ECS services, by name. `secrets` lists names from secret_names; each becomes an environment variable of that name read from the secret."
  type = map(object({
    image_repository       = string
    image_tag              = string
    cpu                    = optional(number, 256)
    memory                 = optional(number, 512)
    container_port         = optional(number, 8080)
    desired_count          = optional(number, 1)
    public                 = optional(bool, false)
    path_patterns          = optional(list(string), ["/*"])
    host_headers           = optional(list(string), [])
    listener_rule_priority = optional(number, 100)
    health_check_path      = optional(string, "/")
    environment            = optional(map(string), {})
    secrets                = optional(list(string), [])
  }))
  default = {}
}

variable "health_check_grace_period_seconds" {
  description = "Seconds ECS ignores failing load balancer health checks of a new task (public services)."
  type        = number
  default     = 60
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
