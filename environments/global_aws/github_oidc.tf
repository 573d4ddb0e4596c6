# GitHub Actions reaches AWS through OIDC: no long-lived keys. An account has at most one OIDC provider per URL, and
# most accounts that use GitHub (or a second ecsenv project) already have it: pass its ARN as
# github_oidc_provider_arn to reuse it; it is created here only when that is empty.

data "aws_partition" "current" {}

resource "aws_iam_openid_connect_provider" "github" {
  count = local.github_enabled && var.github_oidc_provider_arn == "" ? 1 : 0

  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
  # GitHub's published thumbprints (AWS no longer checks them for this provider, but older providers require one).
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"]
}

locals {
  partition      = data.aws_partition.current.partition
  github_enabled = var.github_repository != ""
  oidc_provider  = var.github_oidc_provider_arn != "" ? var.github_oidc_provider_arn : one(aws_iam_openid_connect_provider.github[*].arn)

  # Names AWS limits in length never lose their end by truncation: an IAM role name over 64 characters (IAM
  # quotas) keeps a prefix and ends in 6 hex digits of the hash of the full name. modules/container-generic names
  # the services' roles the same way, so the exact names below are the ones it creates.
  role_names = {
    for name in flatten([
      for environment in keys(var.environments) : concat(
        ["${var.project}-${environment}-github-terraform", "${var.project}-${environment}-github-deploy"],
        [for service in local.services : ["${var.project}-${environment}-${service}-execution", "${var.project}-${environment}-${service}-task"]],
      )
    ]) : name => length(name) <= 64 ? name : "${trimsuffix(substr(name, 0, 57), "-")}-${substr(sha256(name), 0, 6)}"
  }
  image_push_role = length("${var.project}-github-image-push") <= 64 ? "${var.project}-github-image-push" : "${trimsuffix(substr("${var.project}-github-image-push", 0, 57), "-")}-${substr(sha256("${var.project}-github-image-push"), 0, 6)}"

  # One terraform role and one deploy role per environment of this account (another account's environments get
  # theirs from a root applied in that account). A staging job can assume staging's roles only.
  github_environments = {
    for name, environment in var.environments : name => merge(environment, {
      cluster    = "${var.project}-${name}"
      arn_prefix = "arn:${local.partition}"
      # An environment whose name continues this one's ("staging-eu" for "staging") shares its name prefix: the
      # roles deny what belongs to such environments explicitly.
      longer_names = [for other in keys(var.environments) : "${var.project}-${other}" if startswith(other, "${name}-")]
    }) if local.github_enabled && environment.account_id == var.account_id
  }
}

# Only this repository's jobs that run in the named GitHub environment: `repo:<owner>/<name>:environment:<env>` is
# the subject GitHub puts in the token of such a job (GitHub docs, "About security hardening with OpenID Connect").
# StringEquals, not StringLike: no other repository, branch or environment matches.
locals {
  github_trust = {
    for name in keys(local.github_environments) : name => jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Effect    = "Allow"
        Principal = { Federated = local.oidc_provider }
        Action    = "sts:AssumeRoleWithWebIdentity"
        Condition = {
          StringEquals = {
            "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
            "token.actions.githubusercontent.com:sub" = "repo:${var.github_repository}:environment:${name}"
          }
        }
      }]
    })
  }
  github_roles = local.github_environments
}
