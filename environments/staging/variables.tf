# Switches for what a given AWS (or an emulator) cannot do. Everything is on by default; the same switches exist in
# every environment. tests/stack/emulator.tfvars turns off what the local emulator (moto) does not support.

variable "enable_nat_gateway" {
  description = "NAT gateway for the private subnets (tasks pull images and read secrets through it)."
  type        = bool
  default     = true
}

variable "enable_container_insights" {
  description = "CloudWatch Container Insights on the ECS cluster."
  type        = bool
  default     = true
}

variable "enable_flow_logs" {
  description = "VPC flow logs (rejected traffic) to CloudWatch Logs."
  type        = bool
  default     = true
}

variable "health_check_grace_period_seconds" {
  description = "Seconds ECS ignores failing load balancer health checks of a new task (public services); 0 = none."
  type        = number
  default     = 60
}
