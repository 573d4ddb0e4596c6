variable "project" {
  description = "Project name."
  type        = string
}

variable "environment" {
  description = "Environment name."
  type        = string
}

variable "enable_cdn" {
  description = "A CloudFront distribution in front of the bucket (its *.cloudfront.net name, HTTPS only)."
  type        = bool
  default     = false
}

variable "cdn_price_class" {
  description = "CloudFront price class (which edge locations serve)."
  type        = string
  default     = "PriceClass_100"
}

variable "noncurrent_version_days" {
  description = "Days an overwritten or deleted object's old version is kept."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Extra tags."
  type        = map(string)
  default     = {}
}
