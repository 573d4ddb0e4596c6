variable "project" {
  description = "Project name; prefixes every resource name."
  type        = string

  # The rules `ecsenv init` applies (bootstrap/validation.py): names that fit every AWS name derived from them.
  validation {
    condition     = can(regex("^[a-z](?:[a-z0-9]|-[a-z0-9]){1,39}$", var.project)) && length(var.project) <= 40
    error_message = "project: 2 to 40 lowercase letters, digits and single hyphens, starting with a letter, not ending with a hyphen."
  }
}

variable "environment" {
  description = "Environment name (staging, production, ...)."
  type        = string

  validation {
    condition     = can(regex("^[a-z](?:[a-z0-9]|-[a-z0-9]){0,31}$", var.environment)) && length(var.environment) <= 32
    error_message = "environment: 1 to 32 lowercase letters, digits and single hyphens, starting with a letter, not ending with a hyphen."
  }
}

variable "availability_zones" {
  description = "Two availability zone names to pin the VPC to; empty = the region's first two standard zones (by name)."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.availability_zones) == 0 || length(var.availability_zones) == 2
    error_message = "Exactly two availability zones, or none to take the region's first two."
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
  description = "ACM certificate ARN (ISSUED, in this region) for the HTTPS listener, made elsewhere. Empty = none given: the certificate of domain_name when set, else no HTTPS listener and the HTTP listener serves the services (otherwise it redirects to HTTPS)."
  type        = string
  default     = ""
}

variable "domain_name" {
  description = "Domain of the environment (app.example.com): an ACM certificate for it (and subject_alternative_names) with DNS validation, used by the HTTPS listener. Ignored when certificate_arn is given."
  type        = string
  default     = ""
}

variable "subject_alternative_names" {
  description = "More names on the certificate (*.example.com, www.example.com)."
  type        = list(string)
  default     = []
}

variable "route53_zone_id" {
  description = "Route53 hosted zone of domain_name: Terraform writes the validation records and an alias A record per (non-wildcard) name to the load balancer. Empty = the DNS is elsewhere: create the records of the output certificate_validation_records by hand, then set certificate_validation_records_created."
  type        = string
  default     = ""
}

variable "certificate_validation_records_created" {
  description = "Without route53_zone_id: the validation records exist in your DNS, so Terraform may wait for the certificate and turn HTTPS on."
  type        = bool
  default     = false
}

variable "service_ports" {
  description = "Container ports of the public services: the only ports the load balancer may reach the tasks on."
  type        = list(number)
  default     = []
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
  description = "CIDR blocks (IPv4) allowed to reach the load balancer on 80 (and 443 with HTTPS)."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "tags" {
  description = "Extra tags for every resource of the module."
  type        = map(string)
  default     = {}
}
