variable "project" {
  description = "Project name; repositories are named <project>/<name>."
  type        = string
}

variable "names" {
  description = "Repository names (one per service image)."
  type        = list(string)
}

variable "keep_images" {
  description = "How many images each repository keeps (the oldest beyond that expire)."
  type        = number
  default     = 200
}

variable "tags" {
  description = "Extra tags."
  type        = map(string)
  default     = {}
}
