variable "project" {
  description = "Project name."
  type        = string
}

variable "environment" {
  description = "Environment name."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the cache."
  type        = string
}

variable "subnet_ids" {
  description = "Subnets of the cache nodes (private)."
  type        = list(string)
}

variable "client_cidr_blocks" {
  description = "CIDR blocks allowed to reach the cache (the services' private subnets)."
  type        = list(string)
  default     = []
}

variable "kms_key_arn" {
  description = "KMS key the cache's data at rest (and snapshots) are encrypted with."
  type        = string
}

variable "engine" {
  description = "valkey or redis."
  type        = string
  default     = "valkey"

  validation {
    condition     = contains(["valkey", "redis"], var.engine)
    error_message = "engine is valkey or redis."
  }
}

variable "engine_version" {
  description = "Engine version (major.minor, e.g. 8.0 for Valkey, 7.1 for Redis OSS)."
  type        = string
  default     = "8.0"
}

variable "node_type" {
  description = "Node type."
  type        = string
  default     = "cache.t4g.micro"
}

variable "num_cache_clusters" {
  description = "Nodes: one primary plus replicas. Two or more turn on automatic failover and Multi-AZ."
  type        = number
  default     = 2
}

variable "port" {
  description = "Port of the cache."
  type        = number
  default     = 6379
}

variable "snapshot_retention_days" {
  description = "Days of daily snapshots kept (0 = none)."
  type        = number
  default     = 1
}

variable "tags" {
  description = "Extra tags."
  type        = map(string)
  default     = {}
}
