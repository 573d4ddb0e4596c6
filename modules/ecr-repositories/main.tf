# Image repositories: immutable tags (a git SHA always means the same image, which is what promotion and rollback
# by SHA rely on), scanned on push, encrypted with a customer-managed KMS key.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  tags = merge(var.tags, { "ecsenv:project" = var.project })
}

resource "aws_kms_key" "ecr" {
  description             = "${var.project}: ECR image repositories"
  deletion_window_in_days = 30
  enable_key_rotation     = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AccountAdministers"
      Effect    = "Allow"
      Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
  tags = local.tags
}

resource "aws_kms_alias" "ecr" {
  name          = "alias/${var.project}-ecr"
  target_key_id = aws_kms_key.ecr.key_id
}

resource "aws_ecr_repository" "this" {
  for_each             = toset(var.names)
  name                 = "${var.project}/${each.value}"
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.ecr.arn
  }

  tags = merge(local.tags, { "ecsenv:image" = each.value })
}

# Expiry never reaches an image an environment runs or could roll back to. Deploys run images tagged with a git
# SHA, and an environment may run (or roll back to) a commit of any age: production can lag staging by hundreds of
# pushes. A count rule over every tag ("keep the newest 200") would eventually expire what production runs, so
# SHA-tagged images are never expired here. What does expire: untagged images (layers of replaced or failed
# pushes; nothing deploys by an untagged digest) after untagged_expire_days, and, beyond keep_images, images
# whose tags match expiring_tag_patterns (throwaway builds such as "pr-*", which no environment runs).
# Lifecycle rules: Amazon ECR User Guide, "Lifecycle policy properties" (tagStatus, tagPatternList, countType).
resource "aws_ecr_lifecycle_policy" "this" {
  for_each   = aws_ecr_repository.this
  repository = each.value.name
  policy = jsonencode({
    rules = concat(
      [{
        rulePriority = 1
        description  = "Untagged images after ${var.untagged_expire_days} days"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = var.untagged_expire_days
        }
        action = { type = "expire" }
      }],
      length(var.expiring_tag_patterns) == 0 ? [] : [{
        rulePriority = 2
        description  = "Throwaway tags (${join(", ", var.expiring_tag_patterns)}) beyond the newest ${var.keep_images}"
        selection = {
          tagStatus      = "tagged"
          tagPatternList = var.expiring_tag_patterns
          countType      = "imageCountMoreThan"
          countNumber    = var.keep_images
        }
        action = { type = "expire" }
      }],
    )
  })
}
