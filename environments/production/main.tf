# Environment production: one Terraform root, one state ("production/terraform.tfstate" in the state bucket).
# Initialise with `terraform init -backend-config=backend.s3.tfbackend` (ecsenv does this for you).
# environments/staging/main.tf makes the same module call with the same arguments; only the locals differ.
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
  # ecsenv: review: what differs between environments lives here; these were set for production.
  project     = "acme"
  environment = "production"
  region      = "us-east-1"
  account_id  = "123456789012"

  availability_zones = ["${local.region}a", "${local.region}b"]
  vpc_cidr           = "10.20.0.0/16"
  certificate_arn    = "" # an ACM certificate ARN turns on HTTPS (and HTTP then redirects to it)
  enable_postgres    = false
  secret_names       = ["APP_SECRET_KEY"]

  # Images come from the account-wide repositories of environments/global_aws. The tag is the one Terraform's
  # first task definition uses; deploys then run the git SHA they are given (Terraform ignores that change).
  registry = "${local.account_id}.dkr.ecr.${local.region}.amazonaws.com"
  services = {
    web = {
      image_repository = "${local.registry}/${local.project}/web"
      image_tag        = "initial"
      desired_count    = 2
      public           = true
      environment      = { APP_ENV = local.environment }
      secrets          = ["APP_SECRET_KEY"]
    }
  }
}

# --- The app stack's options (docs/stack.md), per environment; each stays off until set here. ---------------------
locals {
  alb_ingress_cidrs = ["0.0.0.0/0"] # who may reach the load balancer (80, and 443 with HTTPS)

  # HTTPS for a domain of your own: an ACM certificate with DNS validation. With route53_zone_id the records (and an
  # alias to the load balancer) are written there; without, create the output certificate_validation_records by
  # hand and then set certificate_validation_records_created = true. certificate_arn above takes precedence.
  domain_name                            = ""
  subject_alternative_names              = []
  route53_zone_id                        = ""
  certificate_validation_records_created = false

  postgres             = {}    # settings of the Postgres of enable_postgres (modules/core-services variable postgres)
  enable_cache         = false # ElastiCache Valkey (services opt in with cache_access = true)
  cache                = {}
  enable_assets_bucket = false # private S3 bucket (services opt in with assets_access = true)
  assets               = {}    # { enable_cdn = true } puts CloudFront in front of it

  # Jobs on a schedule: name => { service, schedule_expression = "cron(0 3 * * ? *)", command = [...] }
  scheduled_tasks = {}
}

provider "aws" {
  region              = local.region
  allowed_account_ids = [local.account_id]

  default_tags {
    tags = {
      "ecsenv:project"     = local.project
      "ecsenv:environment" = local.environment
      "managed-by"         = "ecsenv"
    }
  }
}

module "deployment" {
  source = "../../modules/deployment"

  project                   = local.project
  environment               = local.environment
  availability_zones        = local.availability_zones
  vpc_cidr                  = local.vpc_cidr
  certificate_arn           = local.certificate_arn
  enable_postgres           = local.enable_postgres
  postgres                  = local.postgres
  secret_names              = local.secret_names
  services                  = local.services
  alb_ingress_cidrs         = local.alb_ingress_cidrs
  domain_name               = local.domain_name
  subject_alternative_names = local.subject_alternative_names
  route53_zone_id           = local.route53_zone_id
  enable_cache              = local.enable_cache
  cache                     = local.cache
  enable_assets_bucket      = local.enable_assets_bucket
  assets                    = local.assets
  scheduled_tasks           = local.scheduled_tasks
  enable_nat_gateway        = var.enable_nat_gateway
  enable_container_insights = var.enable_container_insights
  enable_flow_logs          = var.enable_flow_logs

  health_check_grace_period_seconds      = var.health_check_grace_period_seconds
  certificate_validation_records_created = local.certificate_validation_records_created
}

output "cluster_name" {
  value = module.deployment.cluster_name
}

output "alb_dns_name" {
  value = module.deployment.alb_dns_name
}

output "secret_arns" {
  value = module.deployment.secret_arns
}

output "services" {
  value = module.deployment.services
}

output "certificate_validation_records" {
  value = module.deployment.certificate_validation_records
}
