variable "project" {
  description = "Project name; prefixes every resource name."
  type        = string
}

variable "environment" {
  description = "Environment name."
  type        = string
}

variable "availability_zones" {
  description = "Two availability zones to pin the environment to; empty = the region's first two (see modules/cluster)."
  type        = list(string)
  default     = []
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
  description = "ACM certificate ARN for HTTPS, made elsewhere; empty = the certificate of domain_name, if any, else HTTP only."
  type        = string
  default     = ""
}

variable "domain_name" {
  description = "Domain of the environment: an ACM certificate with DNS validation for HTTPS (see modules/cluster)."
  type        = string
  default     = ""
}

variable "subject_alternative_names" {
  description = "More names on the certificate."
  type        = list(string)
  default     = []
}

variable "route53_zone_id" {
  description = "Route53 zone of domain_name (validation and alias records); empty = create the output certificate_validation_records by hand."
  type        = string
  default     = ""
}

variable "certificate_validation_records_created" {
  description = "Without route53_zone_id: the validation records exist, so HTTPS can be turned on."
  type        = bool
  default     = false
}

variable "alb_ingress_cidrs" {
  description = "CIDR blocks allowed to reach the load balancer."
  type        = list(string)
  default     = ["0.0.0.0/0"]
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
  description = "The environment's ECS services, by name (also the app container's name). `secrets` lists names from secret_names; each becomes an environment variable of that name read from the secret. See docs/stack.md for every field."
  type = map(object({
    image_repository       = string
    image_tag              = string
    cpu                    = optional(number, 256)
    memory                 = optional(number, 512)
    container_port         = optional(number, 8080)
    command                = optional(list(string))
    desired_count          = optional(number, 1)
    public                 = optional(bool, false)
    path_patterns          = optional(list(string), ["/*"])
    host_headers           = optional(list(string), [])
    listener_rule_priority = optional(number, 100)
    health_check_path      = optional(string, "/")
    environment            = optional(map(string), {})
    secrets                = optional(list(string), [])
    postgres_secrets       = optional(map(string), {})
    cache_access           = optional(bool, false)
    assets_access          = optional(bool, false)
    enable_execute_command = optional(bool, false)
    health_check = optional(object({
      command      = list(string)
      interval     = optional(number, 30)
      timeout      = optional(number, 5)
      retries      = optional(number, 3)
      start_period = optional(number, 0)
    }))
    autoscaling = optional(object({
      min_capacity        = number
      max_capacity        = number
      cpu_target          = optional(number)
      requests_per_target = optional(number)
      scale_in_cooldown   = optional(number, 300)
      scale_out_cooldown  = optional(number, 60)
    }))
    init_containers = optional(map(object({
      image       = optional(string)
      command     = list(string)
      environment = optional(map(string), {})
      secrets     = optional(list(string), [])
    })), {})
    sidecars = optional(map(object({
      image                     = string
      essential                 = optional(bool, true)
      command                   = optional(list(string))
      ports                     = optional(list(number), [])
      environment               = optional(map(string), {})
      secrets                   = optional(list(string), [])
      depends_on                = optional(map(string), {})
      read_only_root_filesystem = optional(bool, true)
      cpu                       = optional(number, 0)
      memory_reservation        = optional(number)
      health_check = optional(object({
        command      = list(string)
        interval     = optional(number, 30)
        timeout      = optional(number, 5)
        retries      = optional(number, 3)
        start_period = optional(number, 0)
      }))
    })), {})
  }))
  default = {}

  # Service names become parts of target group, IAM role and task family names (docs/stack.md, "Names"); the same
  # rule as bootstrap/project/validation.STACK_SERVICE_RE.
  validation {
    condition     = alltrue([for name in keys(var.services) : can(regex("^[a-z](?:[a-z0-9]|-[a-z0-9]){0,63}$", name)) && length(name) <= 64])
    error_message = "Service names: 1 to 64 lowercase letters, digits and single hyphens, starting with a letter, not ending with a hyphen."
  }

  validation {
    condition     = var.enable_postgres || alltrue([for service in values(var.services) : length(service.postgres_secrets) == 0])
    error_message = "postgres_secrets needs enable_postgres = true."
  }

  validation {
    condition     = alltrue(flatten([for service in values(var.services) : [for key in values(service.postgres_secrets) : contains(["username", "password"], key)]]))
    error_message = "postgres_secrets maps an environment variable to a key of the master secret: username or password."
  }
}

variable "scheduled_tasks" {
  description = "Jobs on a schedule, by name: each runs `service`'s task definition (its latest revision, so the image the service runs) with `command` instead of the app container's own, on `schedule_expression` (cron(...) or rate(...), in `timezone`)."
  type = map(object({
    service             = string
    schedule_expression = string
    command             = optional(list(string))
    timezone            = optional(string, "UTC")
    enabled             = optional(bool, true)
  }))
  default = {}

  validation {
    condition     = alltrue([for name in keys(var.scheduled_tasks) : can(regex("^[a-z](?:[a-z0-9]|-[a-z0-9]){0,63}$", name)) && length(name) <= 64])
    error_message = "Scheduled task names: 1 to 64 lowercase letters, digits and single hyphens, starting with a letter, not ending with a hyphen."
  }

  validation {
    condition     = alltrue([for task in values(var.scheduled_tasks) : contains(keys(var.services), task.service)])
    error_message = "Each scheduled task's service must be a key of services."
  }
}

variable "enable_cache" {
  description = "An ElastiCache replication group (Valkey or Redis OSS), encrypted at rest and in transit, reachable from the services (see modules/cache)."
  type        = bool
  default     = false
}

variable "cache" {
  description = "Cache settings (see modules/cache)."
  type = object({
    engine                  = optional(string, "valkey")
    engine_version          = optional(string, "8.0")
    node_type               = optional(string, "cache.t4g.micro")
    num_cache_clusters      = optional(number, 2)
    snapshot_retention_days = optional(number, 1)
  })
  default = {}
}

variable "enable_assets_bucket" {
  description = "A private, encrypted S3 bucket for the app's assets, optionally behind CloudFront (see modules/assets-bucket)."
  type        = bool
  default     = false
}

variable "assets" {
  description = "Assets bucket settings (see modules/assets-bucket)."
  type = object({
    enable_cdn              = optional(bool, false)
    cdn_price_class         = optional(string, "PriceClass_100")
    noncurrent_version_days = optional(number, 30)
  })
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
