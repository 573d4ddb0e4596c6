variable "project" {
  description = "Project name."
  type        = string
}

variable "environment" {
  description = "Environment name."
  type        = string
}

variable "secret_names" {
  description = "Names of the environment's secrets. Each becomes the Secrets Manager secret <project>/<environment>/<NAME>, declared WITHOUT a value: set it out of band (`ecsenv secret set`, or the console)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for name in var.secret_names : can(regex("^[A-Za-z0-9_]+$", name))])
    error_message = "Secret names are environment variable names: letters, digits and underscores."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the secrets (and the database, when enabled)."
  type        = string
}

variable "secret_recovery_window_days" {
  description = "Days a deleted secret can still be restored (0 = delete at once)."
  type        = number
  default     = 30
}

variable "enable_postgres" {
  description = "An RDS Postgres instance whose master password AWS manages (in its own Secrets Manager secret); Terraform never sees it."
  type        = bool
  default     = false
}

variable "vpc_id" {
  description = "VPC of the database (needed when enable_postgres)."
  type        = string
  default     = ""
}

variable "private_subnet_ids" {
  description = "Subnets of the database (needed when enable_postgres)."
  type        = list(string)
  default     = []
}

variable "client_cidr_blocks" {
  description = "CIDR blocks allowed to reach the database on 5432 (the services' private subnets)."
  type        = list(string)
  default     = []
}

variable "postgres" {
  description = "Postgres settings."
  type = object({
    engine_version        = optional(string, "16")
    instance_class        = optional(string, "db.t4g.micro")
    allocated_storage     = optional(number, 20)
    max_allocated_storage = optional(number, 100)
    multi_az              = optional(bool, true)
    backup_retention_days = optional(number, 7)
    deletion_protection   = optional(bool, true)
    database_name         = optional(string, "app")
    username              = optional(string, "app")
    performance_insights  = optional(bool, true)
    # The instance's parameter group: TLS forced, statements slower than a second logged.
    parameters = optional(map(string), { "rds.force_ssl" = "1", "log_min_duration_statement" = "1000" })
  })
  default = {}
}

variable "tags" {
  description = "Extra tags."
  type        = map(string)
  default     = {}
}
