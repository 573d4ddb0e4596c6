# global_aws: what is account-wide rather than per environment: the image repositories, and the roles GitHub
# Actions assumes (OIDC, no stored keys). Its state is "global_aws/terraform.tfstate" in the state bucket.
# The identity (project, account, region, GitHub repository, environments, state backend) comes from
# ecsenv.auto.tfvars, which `ecsenv render` generates from ecsenv.yaml; nothing here names a project.
# `ecsenv init --adopt` may add state_backend.tf here (the state bucket and lock table, adopted by import blocks);
# it declares only resources, import blocks and a required_version, so this file keeps the provider requirements.
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
  # One image repository (<project>/<name>) per image the services run.
  repositories = ["web"]
  # The ECS services every environment runs (the keys of `services` in environments/*/env.auto.tfvars): a
  # deploy role may register task definitions of exactly these families and pass exactly their roles.
  services = ["web"]
}

provider "aws" {
  region              = var.region
  allowed_account_ids = [var.account_id]

  default_tags {
    tags = {
      "ecsenv:project" = var.project
      "managed-by"     = "ecsenv"
    }
  }
}

module "ecr" {
  source = "../../modules/ecr-repositories"

  project = var.project
  names   = local.repositories
}

output "repository_urls" {
  value = module.ecr.repository_urls
}

output "github_roles" {
  description = "Per environment, the roles for aws-actions/configure-aws-credentials (role-to-assume): `terraform` for `ecsenv plan/apply <env>`, `deploy` for `ecsenv deploy/rollback/promote/status/run/logs`, `plan` (read only) for the pull request plans and the drift check. Empty without github_repository."
  value       = { for name, roles in local.github_roles : name => { terraform = aws_iam_role.terraform[name].arn, deploy = aws_iam_role.deploy[name].arn, plan = aws_iam_role.plan[name].arn } }
}

output "plan_role_arns" {
  description = "The read-only plan roles by environment, as JSON: the repository variable AWS_PLAN_ROLE_ARNS of the pull request and drift workflows (`terraform output -json plan_role_arns`)."
  value       = jsonencode(merge({ for name in keys(local.github_roles) : name => aws_iam_role.plan[name].arn }, { for role in aws_iam_role.plan_global : "global_aws" => role.arn }))
}

output "image_push_role_arn" {
  description = "The role the image build job assumes to push to the repositories (trusted on the trunk branch only); empty without github_repository."
  value       = try(aws_iam_role.image_push[0].arn, "")
}
