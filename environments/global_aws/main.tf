# global_aws: what is account-wide rather than per environment: the image repositories, and the role GitHub
# Actions assumes (OIDC, no stored keys) to deploy. Its state is "global_aws/terraform.tfstate" in the state bucket.
# `ecsenv init --adopt` may add state_backend.tf here (the state bucket and lock table, adopted by import blocks);
# it declares only resources, import blocks and a required_version, so this file keeps the provider requirements.
terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0, < 7.0"
    }
  }

  backend "s3" {}
}

locals {
  # ecsenv: review
  project           = "acme"
  region            = "us-east-1"
  account_id        = "123456789012"
  github_repository = "acme/acme" # owner/name of the repository whose workflows deploy
  environments      = ["staging", "production"]
  repositories      = ["web"]
}

provider "aws" {
  region              = local.region
  allowed_account_ids = [local.account_id]

  default_tags {
    tags = {
      "ecsenv:project" = local.project
      "managed-by"     = "ecsenv"
    }
  }
}

module "ecr" {
  source = "../../modules/ecr-repositories"

  project = local.project
  names   = local.repositories
}

output "repository_urls" {
  value = module.ecr.repository_urls
}

output "deploy_role_arn" {
  description = "The role for aws-actions/configure-aws-credentials (role-to-assume)."
  value       = aws_iam_role.github_deploy.arn
}
