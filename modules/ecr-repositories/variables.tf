variable "project" {
  description = "Project name; repositories are named <project>/<name>."
  type        = string
}

variable "names" {
  description = "Repository names (one per service image)."
  type        = list(string)
}

variable "untagged_expire_days" {
  description = "Days after which untagged images (left by replaced or failed pushes) expire."
  type        = number
  default     = 14
}

variable "expiring_tag_patterns" {
  description = "Tag patterns of throwaway images (e.g. \"pr-*\") of which only the newest keep_images are kept. Never a pattern that matches the git SHAs environments run: those never expire."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for pattern in var.expiring_tag_patterns : !can(regex("^[*?0-9a-f]*$", pattern))])
    error_message = "expiring_tag_patterns: a pattern of only wildcards and hex digits could match the git SHAs that environments run."
  }
}

variable "keep_images" {
  description = "How many images matching expiring_tag_patterns each repository keeps."
  type        = number
  default     = 200
}

variable "tags" {
  description = "Extra tags."
  type        = map(string)
  default     = {}
}
