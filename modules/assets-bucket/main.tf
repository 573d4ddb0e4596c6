# An optional assets bucket for the environment: private (no public access, no ACLs), encrypted with its own KMS key,
# versioned, TLS only; optionally served by CloudFront, which reads it through an origin access control (OAC) and no
# one else does. The services that ask get read/write access through their task role (access_statements).

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  name       = "${var.project}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  tags       = merge(var.tags, { "ecsenv:project" = var.project, "ecsenv:environment" = var.environment })
  # Bucket names are global: the account id keeps it ours.
  bucket = local.names.bucket
  # CloudFront's reads are allowed for this one distribution only (the confused deputy guard of OAC):
  # https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html
  cdn_source = var.enable_cdn ? { StringEquals = { "AWS:SourceArn" = aws_cloudfront_distribution.this[0].arn } } : null

  # Names AWS limits in length, [full name, limit]: one that is too long keeps a prefix and ends in 6 hex digits of
  # the SHA-256 of the full name (the one rule of docs/stack.md, "Names"; bootstrap/project/validation.aws_name).
  # Bucket names: 63 (S3 bucket naming rules); origin access control names: 64 (CloudFront API reference,
  # OriginAccessControlConfig).
  limited_names = {
    bucket                = ["${local.name}-assets-${local.account_id}", 63]
    origin_access_control = ["${local.name}-assets", 64]
  }
  names = { for key, spec in local.limited_names : key => length(spec[0]) <= spec[1] ? spec[0] : "${trimsuffix(substr(spec[0], 0, spec[1] - 7), "-")}-${substr(sha256(spec[0]), 0, 6)}" }
}

resource "aws_kms_key" "this" {
  description             = "${local.name}: assets bucket"
  deletion_window_in_days = 30
  enable_key_rotation     = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [{
        Sid       = "AccountAdministers"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      }],
      var.enable_cdn ? [{
        Sid       = "CloudFrontReadsAssets"
        Effect    = "Allow"
        Principal = { Service = "cloudfront.amazonaws.com" }
        Action    = ["kms:Decrypt"]
        Resource  = "*"
        Condition = local.cdn_source
      }] : [],
    )
  })
  tags = local.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${local.name}-assets"
  target_key_id = aws_kms_key.this.key_id
}

resource "aws_s3_bucket" "this" {
  bucket        = local.bucket
  force_destroy = false
  tags          = local.tags
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
    bucket_key_enabled = true
  }
}

# Overwritten and deleted assets stay restorable for a while, then go.
resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "old-versions-and-uploads"
    status = "Enabled"
    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [{
        Sid       = "TlsOnly"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      }],
      var.enable_cdn ? [{
        Sid       = "CloudFrontReads"
        Effect    = "Allow"
        Principal = { Service = "cloudfront.amazonaws.com" }
        Action    = "s3:GetObject"
        Resource  = "${aws_s3_bucket.this.arn}/*"
        Condition = local.cdn_source
      }] : [],
    )
  })

  depends_on = [aws_s3_bucket_public_access_block.this]
}

# --- Optional CDN -----------------------------------------------------------------------------------------------

resource "aws_cloudfront_origin_access_control" "this" {
  count                             = var.enable_cdn ? 1 : 0
  name                              = local.names.origin_access_control
  description                       = "${local.name} assets bucket"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_distribution" "this" {
  count           = var.enable_cdn ? 1 : 0
  enabled         = true
  comment         = "${local.name} assets"
  is_ipv6_enabled = true
  http_version    = "http2and3"
  price_class     = var.cdn_price_class

  origin {
    origin_id                = "assets"
    domain_name              = aws_s3_bucket.this.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.this[0].id
  }

  default_cache_behavior {
    target_origin_id       = "assets"
    viewer_protocol_policy = "redirect-to-https"
    allowed_methods        = ["GET", "HEAD"]
    cached_methods         = ["GET", "HEAD"]
    compress               = true
    # AWS-managed policies, by their documented fixed ids: CachingOptimized and SecurityHeadersPolicy.
    # https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html
    # https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-response-headers-policies.html
    cache_policy_id            = "658327ea-f89d-4fab-a63d-7e88639e58f6"
    response_headers_policy_id = "67f7725c-6f97-4210-82d7-5512b31e9d03"
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }

  tags = local.tags
}
