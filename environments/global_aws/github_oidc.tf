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

  # Names AWS limits in length never lose their end by truncation: a name over its limit (IAM role names: 64, IAM
  # quotas) keeps a prefix and ends in 6 hex digits of the SHA-256 of the full name (the one rule of docs/stack.md,
  # "Names"). The modules name the environments' roles the same way, so the exact names below are the ones they
  # create: full name => [full name, limit].
  limited_names = {
    for name in flatten([
      "${var.project}-github-image-push",
      "${var.project}-github-plan",
      [for environment in keys(var.environments) : concat(
        ["${var.project}-${environment}-github-terraform", "${var.project}-${environment}-github-deploy", "${var.project}-${environment}-github-plan"],
        [for service in local.services : ["${var.project}-${environment}-${service}-execution", "${var.project}-${environment}-${service}-task"]],
      )],
    ]) : name => [name, 64]
  }
  role_names      = { for key, spec in local.limited_names : key => length(spec[0]) <= spec[1] ? spec[0] : "${trimsuffix(substr(spec[0], 0, spec[1] - 7), "-")}-${substr(sha256(spec[0]), 0, 6)}" }
  image_push_role = local.role_names["${var.project}-github-image-push"]
  # Each environment's assets bucket (modules/assets-bucket) by the same rule: S3 bucket names, 63 characters.
  limited_bucket_names = { for name in keys(var.environments) : name => ["${var.project}-${name}-assets-${var.account_id}", 63] }
  assets_buckets       = { for key, spec in local.limited_bucket_names : key => length(spec[0]) <= spec[1] ? spec[0] : "${trimsuffix(substr(spec[0], 0, spec[1] - 7), "-")}-${substr(sha256(spec[0]), 0, 6)}" }

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
