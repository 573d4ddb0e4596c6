variable "state_bucket" {
  description = "The Terraform state bucket (ecsenv.yaml: state.bucket)."
  type        = string
}

variable "lock_table" {
  description = "The DynamoDB lock table (ecsenv.yaml: state.lock_table); empty when locking is lockfile only."
  type        = string
  default     = ""
}

variable "state_kms_key_arn" {
  description = "ARN of the KMS key encrypting the state (ecsenv.yaml: state.kms_key_id); empty for SSE-S3."
  type        = string
  default     = ""
}

variable "github_refs" {
  description = "OIDC subject patterns (after repo:<owner>/<name>:) allowed to assume the deploy role: the main branch and the deployment environments."
  type        = list(string)
  default     = ["ref:refs/heads/main", "environment:staging", "environment:production"]
}
