output "bucket_name" {
  value = aws_s3_bucket.this.id
}

output "bucket_arn" {
  value = aws_s3_bucket.this.arn
}

output "kms_key_arn" {
  value = aws_kms_key.this.arn
}

output "cdn_domain_name" {
  description = "The distribution's *.cloudfront.net name (null without CDN)."
  value       = var.enable_cdn ? aws_cloudfront_distribution.this[0].domain_name : null
}

output "access_statements" {
  description = "IAM statements for a task role: list, read, write and delete the bucket's objects (with its key)."
  value = [
    {
      Sid      = "AssetsList"
      Effect   = "Allow"
      Action   = ["s3:ListBucket"]
      Resource = aws_s3_bucket.this.arn
    },
    {
      Sid      = "AssetsObjects"
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
      Resource = "${aws_s3_bucket.this.arn}/*"
    },
    {
      Sid      = "AssetsKey"
      Effect   = "Allow"
      Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
      Resource = aws_kms_key.this.arn
    },
  ]
}
