# --- Identity: set by ecsenv.auto.tfvars, which `ecsenv render` generates from ecsenv.yaml -----------------------

variable "project" {
  description = "Project name (ecsenv.yaml: project); prefixes every resource name."
  type        = string
}

variable "environment" {
  description = "This environment's name (ecsenv.yaml: a key of environments)."
  type        = string
}

variable "account_id" {
  description = "The AWS account this environment lives in; the provider refuses any other."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id: 12 digits."
  }
}

variable "region" {
  description = "The AWS region this environment lives in."
  type        = string
}

# --- Settings: set by env.auto.tfvars, this environment's own file -----------------------------------------------

variable "vpc_cidr" {
  description = "CIDR block of the environment's VPC (distinct per environment, so they can be peered later)."
  type        = string
}

variable "certificate_arn" {
  description = "An ACM certificate ARN turns on HTTPS (and HTTP then redirects to it); empty = HTTP only."
  type        = string
  default     = ""
}

variable "enable_postgres" {
  description = "An RDS Postgres for the environment (see modules/core-services)."
  type        = bool
  default     = false
}

variable "secret_names" {
  description = "The environment's secrets, declared without values (set them with `ecsenv secret set`)."
  type        = list(string)
  default     = []
}

variable "postgres" {
  description = "Settings of the Postgres of enable_postgres (modules/core-services variable postgres)."
  type        = any
  default     = {}
}

variable "alb_ingress_cidrs" {
  description = "Who may reach the load balancer (80, and 443 with HTTPS)."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

# HTTPS for a domain of your own: an ACM certificate with DNS validation. With route53_zone_id the records (and an
# alias to the load balancer) are written there; without, create the output certificate_validation_records by hand
# and then set certificate_validation_records_created = true. certificate_arn takes precedence.
variable "domain_name" {
  description = "A domain of your own for HTTPS (an ACM certificate with DNS validation); empty = none."
  type        = string
  default     = ""
}

variable "subject_alternative_names" {
  description = "More names on the certificate of domain_name."
  type        = list(string)
  default     = []
}

variable "route53_zone_id" {
  description = "The Route53 zone for the certificate's validation records and the alias to the load balancer."
  type        = string
  default     = ""
}

variable "certificate_validation_records_created" {
  description = "Set once the certificate_validation_records output was created by hand (no route53_zone_id)."
  type        = bool
  default     = false
}

variable "enable_cache" {
  description = "ElastiCache Valkey (services opt in with cache_access = true)."
  type        = bool
  default     = false
}

variable "cache" {
  description = "Settings of the cache (modules/deployment variable cache)."
  type        = any
  default     = {}
}

variable "enable_assets_bucket" {
  description = "A private S3 bucket (services opt in with assets_access = true)."
  type        = bool
  default     = false
}

variable "assets" {
  description = "Settings of the assets bucket; { enable_cdn = true } puts CloudFront in front of it."
  type        = any
  default     = {}
}

variable "scheduled_tasks" {
  description = "Jobs on a schedule: name => { service, schedule_expression = \"cron(0 3 * * ? *)\", command = [...] }."
  type        = any
  default     = {}
}

variable "services" {
  description = "The environment's ECS services by name, as modules/deployment takes them, without image_repository and image_tag: the image is <registry>/<project>/<image> (image defaults to the service's name), first tagged `initial`."
  type        = any
  default     = {}
}

# --- Switches for what a given AWS (or an emulator) cannot do. Everything is on by default. ----------------------
# tests/stack/emulator.tfvars turns off what the local emulator (moto) does not support.

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
