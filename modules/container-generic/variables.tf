variable "project" {
  description = "Project name."
  type        = string
}

variable "environment" {
  description = "Environment name."
  type        = string
}

variable "name" {
  description = "Service name. It is also the name of the app container: the container the load balancer targets and whose image deploys retag."
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
  description = "Fargate CPU units (of the whole task: every container shares them)."
  type        = number
  default     = 256
}

variable "memory" {
  description = "Fargate memory (MiB) of the whole task."
  type        = number
  default     = 512
}

variable "container_port" {
  description = "Port the app container listens on."
  type        = number
  default     = 8080
}

variable "command" {
  description = "Command of the app container (overrides the image's CMD); null = the image's own."
  type        = list(string)
  default     = null
}

variable "health_check" {
  description = "Container health check of the app container (ECS `healthCheck`); null = none (the load balancer's health check still applies to public services)."
  type = object({
    command      = list(string)
    interval     = optional(number, 30)
    timeout      = optional(number, 5)
    retries      = optional(number, 3)
    start_period = optional(number, 0)
  })
  default = null
}

variable "desired_count" {
  description = "Number of tasks the service runs once it has been deployed. Terraform creates the service with 0 tasks (see the service's lifecycle) and records this number in the service's `ecsenv:desired-count` tag; the first deploy starts that many."
  type        = number
  default     = 1
}

variable "environment_variables" {
  description = "Plain environment variables of the app container."
  type        = map(string)
  default     = {}
}

variable "secrets" {
  description = "Environment variable NAME => Secrets Manager `valueFrom` of the app container: a secret ARN, or `<ARN>:<json-key>::` for one key of a JSON secret. The execution role may read these secrets and no others."
  type        = map(string)
  default     = {}
}

variable "sidecars" {
  description = "Extra containers of the task, by name, each with its own image (deploys leave it as it is). `depends_on` maps a container name to START, COMPLETE, SUCCESS or HEALTHY; `secrets` are `valueFrom`s like the app's."
  type = map(object({
    image                     = string
    essential                 = optional(bool, true)
    command                   = optional(list(string))
    ports                     = optional(list(number), [])
    environment               = optional(map(string), {})
    secrets                   = optional(map(string), {})
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
  }))
  default = {}

  validation {
    condition     = alltrue([for sidecar in values(var.sidecars) : alltrue([for condition in values(sidecar.depends_on) : contains(["START", "COMPLETE", "SUCCESS", "HEALTHY"], condition)])])
    error_message = "depends_on conditions are START, COMPLETE, SUCCESS or HEALTHY."
  }
}

variable "init_containers" {
  description = "Containers that run to completion before the app container starts (migrations, warm-up), by name: essential = false, and the app container depends on each with condition SUCCESS, so a failing one stops the task. `image` null = the app's own image (deploys retag it with the app's)."
  type = map(object({
    image       = optional(string)
    command     = list(string)
    environment = optional(map(string), {})
    secrets     = optional(map(string), {})
  }))
  default = {}
}

variable "autoscaling" {
  description = "Target tracking on the service's task count, null = a fixed count. `cpu_target` (average CPU %) and `requests_per_target` (ALB requests per task per minute, public services) each add a policy when set."
  type = object({
    min_capacity        = number
    max_capacity        = number
    cpu_target          = optional(number)
    requests_per_target = optional(number)
    scale_in_cooldown   = optional(number, 300)
    scale_out_cooldown  = optional(number, 60)
  })
  default = null

  validation {
    condition     = var.autoscaling == null || try(var.autoscaling.min_capacity >= 1 && var.autoscaling.max_capacity >= var.autoscaling.min_capacity, false)
    error_message = "autoscaling: 1 <= min_capacity <= max_capacity."
  }
}

variable "enable_execute_command" {
  description = "ECS exec into the service's tasks (`aws ecs execute-command`); gives the task role the SSM messages permissions it needs."
  type        = bool
  default     = false
}

variable "task_role_statements" {
  description = "IAM policy statements for the task role (what the application's own code may do), e.g. from the cache and assets modules."
  type        = any
  default     = []
}

variable "kms_key_arn" {
  description = "The environment's KMS key: secrets are encrypted with it (the execution role may decrypt them) and so are ECS exec sessions and their logs."
  type        = string
}

variable "read_only_root_filesystem" {
  description = "Mount the app container's root filesystem read-only."
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
  description = "CloudWatch log group of the container logs (and of ECS exec sessions)."
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

variable "alb_arn_suffix" {
  description = "ARN suffix of the load balancer (app/<name>/<id>), for the requests-per-target autoscaling metric."
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
