# An environment: one Terraform root, one state ("<environment>/terraform.tfstate" in the state bucket).
# Initialise with `terraform init -backend-config=backend.s3.tfbackend` (ecsenv does this for you).
#
# Every environment's root is this same code, byte for byte (`ecsenv check` enforces it). What differs is data:
# - ecsenv.auto.tfvars: the identity (project, environment, account, region), generated from ecsenv.yaml by
#   `ecsenv render`; never edited here;
# - env.auto.tfvars: this environment's settings (network, certificate, secrets, services and their counts).
terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100.0"
    }
  }

  backend "s3" {}
}

locals {
  # Images come from the account-wide repositories of environments/global_aws (<project>/<image>). The tag is the
  # one Terraform's first task definition uses; deploys then run the git SHA they are given (Terraform ignores
  # that change).
  registry = "${var.account_id}.dkr.ecr.${var.region}.amazonaws.com"
  services = {
    for name, service in var.services : name => merge(
      { for key, value in service : key => value if key != "image" },
      {
        image_repository = "${local.registry}/${var.project}/${try(service.image, name)}"
        image_tag        = "initial"
      },
    )
  }
}

provider "aws" {
  region              = var.region
  allowed_account_ids = [var.account_id]

  default_tags {
    tags = {
      "ecsenv:project"     = var.project
      "ecsenv:environment" = var.environment
      "managed-by"         = "ecsenv"
    }
  }
}

module "deployment" {
  source = "../../modules/deployment"

  project                   = var.project
  environment               = var.environment
  vpc_cidr                  = var.vpc_cidr
  certificate_arn           = var.certificate_arn
  enable_postgres           = var.enable_postgres
  postgres                  = var.postgres
  secret_names              = var.secret_names
  services                  = local.services
  alb_ingress_cidrs         = var.alb_ingress_cidrs
  domain_name               = var.domain_name
  subject_alternative_names = var.subject_alternative_names
  route53_zone_id           = var.route53_zone_id
  enable_cache              = var.enable_cache
  cache                     = var.cache
  enable_assets_bucket      = var.enable_assets_bucket
  assets                    = var.assets
  scheduled_tasks           = var.scheduled_tasks
  enable_nat_gateway        = var.enable_nat_gateway
  enable_container_insights = var.enable_container_insights
  enable_flow_logs          = var.enable_flow_logs

  health_check_grace_period_seconds      = var.health_check_grace_period_seconds
  certificate_validation_records_created = var.certificate_validation_records_created
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

output "log_group_name" {
  description = "The services' CloudWatch log group (ecsenv logs reads it; docs/stack.md, the contract)."
  value       = module.deployment.log_group_name
}

output "certificate_validation_records" {
  value = module.deployment.certificate_validation_records
}
