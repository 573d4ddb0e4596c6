# --- Identity: set by ecsenv.auto.tfvars, which `ecsenv render` generates from ecsenv.yaml -----------------------

variable "project" {
  description = "Project name (ecsenv.yaml: project)."
  type        = string

  validation {
    condition     = can(regex("^[a-z](?:[a-z0-9]|-[a-z0-9]){1,39}$", var.project)) && length(var.project) <= 40
    error_message = "project: 2 to 40 lowercase letters, digits and single hyphens, starting with a letter, not ending with a hyphen."
  }
}

variable "account_id" {
  description = "The account of the state bucket and of these account-wide resources (ecsenv.yaml: state.account_id)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id: 12 digits."
  }
}

variable "region" {
  description = "The region of the state bucket and the image repositories (ecsenv.yaml: state.region)."
  type        = string
}

variable "github_repository" {
  description = "owner/name of the GitHub repository whose workflows plan, apply and deploy (ecsenv.yaml: github_repository). Empty: no GitHub roles."
  type        = string
  default     = ""

  validation {
    condition     = var.github_repository == "" || can(regex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$", var.github_repository))
    error_message = "github_repository: owner/name, as in https://github.com/owner/name."
  }
}

variable "environments" {
  description = "The environments (ecsenv.yaml: environments), in promotion order: account, region, state key and the environment each promotes from."
  type = map(object({
    account_id    = string
    region        = string
    state_key     = string
    promotes_from = optional(string)
  }))
  default = {}
}

variable "state_bucket" {
  description = "The Terraform state bucket (ecsenv.yaml: state.bucket)."
  type        = string
}

variable "lock_table" {
  description = "The DynamoDB lock table (ecsenv.yaml: state.lock_table); empty when locking is lockfile only."
  type        = string
  default     = ""
}

variable "global_state_key" {
  description = "This root's own state key (ecsenv.yaml: state.global_state_key, by default global_aws/terraform.tfstate)."
  type        = string
  default     = "global_aws/terraform.tfstate"
}

variable "state_lockfile" {
  description = "Whether the state backend locks with an S3 lockfile, <key>.tflock (ecsenv.yaml: state.locking both or lockfile)."
  type        = bool
  default     = true
}

variable "state_kms_key_arn" {
  description = "ARN of the KMS key encrypting the state (ecsenv.yaml: state.kms_key_id); empty for SSE-S3."
  type        = string
  default     = ""
}

# --- Settings of this root (not from ecsenv.yaml) ------------------------------------------------------------------

variable "github_oidc_provider_arn" {
  description = "ARN of the account's existing GitHub Actions OIDC provider (an account has at most one per URL); empty = create it here."
  type        = string
  default     = ""
}

variable "trunk_branch" {
  description = "The branch whose pushes build and push images (the image push role trusts only it)."
  type        = string
  default     = "main"
}
