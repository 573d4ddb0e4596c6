variable "project" {
  description = "Project name; prefixes every resource name."
  type        = string
}

variable "environment" {
  description = "Environment name (staging, production, ...)."
  type        = string
}

variable "availability_zones" {
  description = "The two availability zones (names) of the VPC, pinned so the network does not move when AWS adds a zone."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) == 2
    error_message = "Exactly two availability zones."
  }
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC; each of the two AZs gets a public and a private /24 (for a /16) out of it."
  type        = string
  default     = "10.0.0.0/16"
}

variable "enable_nat_gateway" {
  description = "One NAT gateway (in the first public subnet) so tasks in the private subnets reach ECR, Secrets Manager and the internet. Without it they need VPC endpoints."
  type        = bool
  default     = true
}

variable "certificate_arn" {
  description = "ACM certificate ARN for the HTTPS listener. Empty = no HTTPS listener; the HTTP listener then serves the services (otherwise it redirects to HTTPS)."
  type        = string
  default     = ""
}

variable "enable_container_insights" {
  description = "CloudWatch Container Insights on the ECS cluster."
  type        = bool
  default     = true
}

variable "enable_flow_logs" {
  description = "VPC flow logs (rejected traffic) into a CloudWatch log group."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of the CloudWatch log groups (service logs, flow logs, ECS exec)."
  type        = number
  default     = 365
}

variable "alb_deletion_protection" {
  description = "Deletion protection on the load balancer (turn off before destroying an environment)."
  type        = bool
  default     = true
}

variable "alb_ingress_cidrs" {
  description = "CIDR blocks allowed to reach the load balancer."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "tags" {
  description = "Extra tags for every resource of the module."
  type        = map(string)
  default     = {}
}
