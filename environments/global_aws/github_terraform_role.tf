# Per environment, the role that runs `ecsenv plan <env>` and `ecsenv apply <env>` in GitHub Actions: what that
# environment's Terraform creates, reads, changes and deletes, and that environment's state only.
#
# How far each grant reaches (resources and conditions follow the Service Authorization Reference of each service;
# the emulator checks actions only, see docs/stack.md):
# - names: IAM roles, secrets, log groups, ECS, RDS and KMS aliases carry the environment's name
#   (<project>-<environment>..., <project>/<environment>/...); names of a longer environment ("staging-eu" next
#   to "staging") are denied explicitly;
# - tags: EC2, load balancers and KMS keys carry the default tag ecsenv:environment (provider default_tags):
#   changes need it on the resource (aws:ResourceTag), creations in the request (aws:RequestTag);
# - reads (Describe/List) of those services have no resource-level permissions and stay in the region.

locals {
  # The state's locks, as the backend takes them (backend.s3.tfbackend, rendered from ecsenv.yaml's state.locking):
  # the S3 lockfile <key>.tflock (use_lockfile) and/or the lock table's items; the plan role takes the same locks.
  state_lockfile_statement = { for name, env in local.github_environments : name => {
    Sid      = "StateLockfile"
    Effect   = "Allow"
    Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    Resource = "${env.arn_prefix}:s3:::${var.state_bucket}/${env.state_key}.tflock"
  } }
  state_lock_table_statement = { for name, env in local.github_environments : name => {
    Sid      = "StateLockTable"
    Effect   = "Allow"
    Action   = ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"]
    Resource = "${env.arn_prefix}:dynamodb:${var.region}:${var.account_id}:table/${var.lock_table}"
    Condition = {
      # Terraform's lock item and its state digest item (LockID <bucket>/<key> and <bucket>/<key>-md5).
      "ForAllValues:StringEquals" = { "dynamodb:LeadingKeys" = ["${var.state_bucket}/${env.state_key}", "${var.state_bucket}/${env.state_key}-md5"] }
    }
  } }

  terraform_statements = {
    for name, env in local.github_environments : name => concat(
      [
        {
          Sid    = "Reads"
          Effect = "Allow"
          Action = [
            "ec2:Describe*", "elasticloadbalancing:Describe*", "ecs:Describe*", "ecs:List*", "logs:Describe*",
            "logs:ListTagsForResource", "logs:ListTagsLogGroup", "kms:ListAliases", "rds:Describe*",
            "rds:ListTagsForResource", "elasticache:Describe*", "elasticache:ListTagsForResource",
            "secretsmanager:ListSecrets",
          ]
          Resource  = "*"
          Condition = { StringEquals = { "aws:RequestedRegion" = env.region } }
        },
        {
          # New resources must carry the environment's tag (the provider's default_tags send it on create).
          Sid    = "CreateTagged"
          Effect = "Allow"
          Action = [
            "ec2:CreateVpc", "ec2:CreateSubnet", "ec2:CreateInternetGateway", "ec2:CreateRouteTable",
            "ec2:CreateNatGateway", "ec2:AllocateAddress", "ec2:CreateSecurityGroup", "ec2:CreateFlowLogs",
            "ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress", "ec2:CreateVpcEndpoint",
            "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup",
            "elasticloadbalancing:CreateListener", "elasticloadbalancing:CreateRule", "kms:CreateKey",
            "ecs:RegisterTaskDefinition", "elasticache:Create*",
          ]
          Resource = "*"
          Condition = {
            StringEquals = { "aws:RequestTag/ecsenv:environment" = name, "aws:RequestedRegion" = env.region }
          }
        },
        {
          # Tags are written with the create call; EC2, ELB and ECS name the creating action in a condition key.
          Sid       = "Ec2TagOnCreate"
          Effect    = "Allow"
          Action    = ["ec2:CreateTags"]
          Resource  = "*"
          Condition = { StringLike = { "ec2:CreateAction" = "*" }, StringEquals = { "aws:RequestTag/ecsenv:environment" = name } }
        },
        {
          Sid       = "ElbTagOnCreate"
          Effect    = "Allow"
          Action    = ["elasticloadbalancing:AddTags"]
          Resource  = "*"
          Condition = { StringLike = { "elasticloadbalancing:CreateAction" = "*" }, StringEquals = { "aws:RequestTag/ecsenv:environment" = name } }
        },
        {
          Sid       = "EcsTagOnCreate"
          Effect    = "Allow"
          Action    = ["ecs:TagResource"]
          Resource  = "*"
          Condition = { StringLike = { "ecs:CreateAction" = "*" }, StringEquals = { "aws:RequestTag/ecsenv:environment" = name } }
        },
        {
          # Resources AWS creates untagged (the VPC's default security group, which Terraform adopts) may be given
          # the environment's tag; a resource tagged for another environment may not.
          Sid       = "TagUntagged"
          Effect    = "Allow"
          Action    = ["ec2:CreateTags"]
          Resource  = "*"
          Condition = { Null = { "aws:ResourceTag/ecsenv:environment" = "true" }, StringEquals = { "aws:RequestTag/ecsenv:environment" = name } }
        },
        {
          Sid    = "ChangeOwnTagged"
          Effect = "Allow"
          Action = [
            "ec2:*", "elasticloadbalancing:*", "kms:*", "elasticache:*",
          ]
          Resource  = "*"
          Condition = { StringEquals = { "aws:ResourceTag/ecsenv:environment" = name, "aws:RequestedRegion" = env.region } }
        },
        {
          Sid      = "KeyAliases"
          Effect   = "Allow"
          Action   = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
          Resource = "${env.arn_prefix}:kms:${env.region}:${var.account_id}:alias/${env.cluster}*"
        },
        {
          Sid      = "Ecs"
          Effect   = "Allow"
          Action   = ["ecs:*"]
          Resource = ["${env.arn_prefix}:ecs:${env.region}:${var.account_id}:cluster/${env.cluster}", "${env.arn_prefix}:ecs:${env.region}:${var.account_id}:service/${env.cluster}/*", "${env.arn_prefix}:ecs:${env.region}:${var.account_id}:task-definition/${env.cluster}-*:*", "${env.arn_prefix}:ecs:${env.region}:${var.account_id}:task/${env.cluster}/*"]
        },
        {
          # No resource-level permissions for these (Service Authorization Reference, Amazon ECS).
          Sid       = "EcsTaskDefinitions"
          Effect    = "Allow"
          Action    = ["ecs:DescribeTaskDefinition", "ecs:DeregisterTaskDefinition"]
          Resource  = "*"
          Condition = { StringEquals = { "aws:RequestedRegion" = env.region } }
        },
        {
          Sid    = "Logs"
          Effect = "Allow"
          Action = ["logs:*"]
          Resource = [
            "${env.arn_prefix}:logs:${env.region}:${var.account_id}:log-group:/ecs/${env.cluster}",
            "${env.arn_prefix}:logs:${env.region}:${var.account_id}:log-group:/ecs/${env.cluster}:*",
            "${env.arn_prefix}:logs:${env.region}:${var.account_id}:log-group:/ecs/${env.cluster}/*",
            "${env.arn_prefix}:logs:${env.region}:${var.account_id}:log-group:/vpc/${env.cluster}/*",
            "${env.arn_prefix}:logs:${env.region}:${var.account_id}:log-group:/aws/rds/instance/${env.cluster}-*",
          ]
        },
        {
          # Declarations only: values are set by people (`ecsenv secret set`), never by Terraform.
          Sid    = "Secrets"
          Effect = "Allow"
          Action = [
            "secretsmanager:CreateSecret", "secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret",
            "secretsmanager:GetResourcePolicy", "secretsmanager:PutResourcePolicy", "secretsmanager:DeleteResourcePolicy",
            "secretsmanager:TagResource", "secretsmanager:UntagResource", "secretsmanager:UpdateSecret",
            "secretsmanager:RestoreSecret",
          ]
          Resource = "${env.arn_prefix}:secretsmanager:${env.region}:${var.account_id}:secret:${var.project}/${name}/*"
        },
        {
          Sid    = "Rds"
          Effect = "Allow"
          Action = ["rds:*"]
          Resource = [
            "${env.arn_prefix}:rds:${env.region}:${var.account_id}:db:${env.cluster}-*",
            "${env.arn_prefix}:rds:${env.region}:${var.account_id}:subgrp:${env.cluster}-*",
            "${env.arn_prefix}:rds:${env.region}:${var.account_id}:pg:${env.cluster}-*",
            "${env.arn_prefix}:rds:${env.region}:${var.account_id}:snapshot:${env.cluster}-*",
          ]
        },
        {
          # The environment's own roles (services, flow logs, database monitoring), and passing them to the
          # services that use them.
          Sid    = "OwnRoles"
          Effect = "Allow"
          Action = [
            "iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy",
            "iam:TagRole", "iam:UntagRole", "iam:ListRoleTags", "iam:PutRolePolicy", "iam:GetRolePolicy",
            "iam:DeleteRolePolicy", "iam:ListRolePolicies", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
            "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
          ]
          Resource = "${env.arn_prefix}:iam::${var.account_id}:role/${env.cluster}-*"
        },
        {
          # Passing them, to the services that use them only: ECS tasks, VPC flow logs, RDS enhanced monitoring and
          # EventBridge Scheduler (scheduled tasks) (IAM User Guide, "Granting a user permissions to pass a role").
          Sid       = "PassOwnRoles"
          Effect    = "Allow"
          Action    = ["iam:PassRole"]
          Resource  = "${env.arn_prefix}:iam::${var.account_id}:role/${env.cluster}-*"
          Condition = { StringEquals = { "iam:PassedToService" = ["ecs-tasks.amazonaws.com", "vpc-flow-logs.amazonaws.com", "monitoring.rds.amazonaws.com", "scheduler.amazonaws.com"] } }
        },
        # --- The stack's options (modules/deployment: enable_assets_bucket, assets.enable_cdn, domain_name with
        # route53_zone_id, autoscaling, scheduled_tasks, enable_cache). Resources and condition keys as the Service
        # Authorization Reference lists them per service:
        # https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
        {
          # The assets bucket, by its exact name: its configuration, never its objects (S3 has no tag condition on
          # CreateBucket; list_amazons3.html).
          Sid      = "AssetsBucket"
          Effect   = "Allow"
          Action   = ["s3:CreateBucket", "s3:DeleteBucket", "s3:DeleteBucketPolicy", "s3:ListBucket", "s3:Get*", "s3:Put*"]
          Resource = "${env.arn_prefix}:s3:::${local.assets_buckets[name]}"
        },
        {
          # CloudFront in front of it: distributions are created with the environment's tag and changed only when
          # they carry it (list_amazoncloudfront.html: aws:RequestTag, aws:ResourceTag on distribution). CloudFront
          # is global: no region condition.
          Sid       = "CdnCreateTagged"
          Effect    = "Allow"
          Action    = ["cloudfront:CreateDistribution", "cloudfront:CreateDistributionWithTags", "cloudfront:TagResource"]
          Resource  = "${env.arn_prefix}:cloudfront::${var.account_id}:distribution/*"
          Condition = { StringEquals = { "aws:RequestTag/ecsenv:environment" = name } }
        },
        {
          Sid    = "CdnOwnTagged"
          Effect = "Allow"
          Action = [
            "cloudfront:GetDistribution", "cloudfront:GetDistributionConfig", "cloudfront:UpdateDistribution",
            "cloudfront:DeleteDistribution", "cloudfront:ListTagsForResource", "cloudfront:TagResource",
            "cloudfront:UntagResource",
          ]
          Resource  = "${env.arn_prefix}:cloudfront::${var.account_id}:distribution/*"
          Condition = { StringEquals = { "aws:ResourceTag/ecsenv:environment" = name } }
        },
        {
          # Origin access controls carry no tags and get random ids: the account's, these actions only.
          Sid    = "CdnOriginAccess"
          Effect = "Allow"
          Action = [
            "cloudfront:CreateOriginAccessControl", "cloudfront:GetOriginAccessControl",
            "cloudfront:UpdateOriginAccessControl", "cloudfront:DeleteOriginAccessControl",
          ]
          Resource = "${env.arn_prefix}:cloudfront::${var.account_id}:origin-access-control/*"
        },
        {
          # The certificate of domain_name: requested with the environment's tag, then read and deleted only
          # when it carries it (list_awscertificatemanager.html).
          Sid       = "CertificatesCreateTagged"
          Effect    = "Allow"
          Action    = ["acm:RequestCertificate", "acm:AddTagsToCertificate"]
          Resource  = "${env.arn_prefix}:acm:${env.region}:${var.account_id}:certificate/*"
          Condition = { StringEquals = { "aws:RequestTag/ecsenv:environment" = name } }
        },
        {
          Sid    = "CertificatesOwnTagged"
          Effect = "Allow"
          Action = [
            "acm:DescribeCertificate", "acm:GetCertificate", "acm:ListTagsForCertificate", "acm:DeleteCertificate",
            "acm:AddTagsToCertificate", "acm:RemoveTagsFromCertificate",
          ]
          Resource  = "${env.arn_prefix}:acm:${env.region}:${var.account_id}:certificate/*"
          Condition = { StringEquals = { "aws:ResourceTag/ecsenv:environment" = name } }
        },
        {
          # The certificate's validation records and the alias to the load balancer, in the zone env.auto.tfvars
          # names (route53_zone_id; global_aws does not know it): address records and CNAMEs only
          # (list_amazonroute53.html: route53:ChangeResourceRecordSetsRecordTypes).
          Sid       = "DnsRecords"
          Effect    = "Allow"
          Action    = ["route53:ChangeResourceRecordSets"]
          Resource  = "${env.arn_prefix}:route53:::hostedzone/*"
          Condition = { "ForAllValues:StringEquals" = { "route53:ChangeResourceRecordSetsRecordTypes" = ["A", "AAAA", "CNAME"] } }
        },
        {
          Sid      = "DnsReads"
          Effect   = "Allow"
          Action   = ["route53:ListResourceRecordSets", "route53:GetHostedZone"]
          Resource = "${env.arn_prefix}:route53:::hostedzone/*"
        },
        {
          Sid      = "DnsChanges"
          Effect   = "Allow"
          Action   = ["route53:GetChange"]
          Resource = "${env.arn_prefix}:route53:::change/*"
        },
        {
          # Service autoscaling: scalable targets created with the environment's tag, changed only when they carry
          # it (list_applicationautoscaling.html); the Describe actions have no resource-level permissions.
          Sid       = "AutoscalingCreateTagged"
          Effect    = "Allow"
          Action    = ["application-autoscaling:RegisterScalableTarget", "application-autoscaling:TagResource"]
          Resource  = "${env.arn_prefix}:application-autoscaling:${env.region}:${var.account_id}:scalable-target/*"
          Condition = { StringEquals = { "aws:RequestTag/ecsenv:environment" = name } }
        },
        {
          Sid    = "AutoscalingOwnTagged"
          Effect = "Allow"
          Action = [
            "application-autoscaling:RegisterScalableTarget", "application-autoscaling:DeregisterScalableTarget",
            "application-autoscaling:PutScalingPolicy", "application-autoscaling:DeleteScalingPolicy",
            "application-autoscaling:ListTagsForResource", "application-autoscaling:TagResource",
            "application-autoscaling:UntagResource",
          ]
          Resource  = "${env.arn_prefix}:application-autoscaling:${env.region}:${var.account_id}:scalable-target/*"
          Condition = { StringEquals = { "aws:ResourceTag/ecsenv:environment" = name } }
        },
        {
          Sid       = "AutoscalingReads"
          Effect    = "Allow"
          Action    = ["application-autoscaling:DescribeScalableTargets", "application-autoscaling:DescribeScalingPolicies"]
          Resource  = "*"
          Condition = { StringEquals = { "aws:RequestedRegion" = env.region } }
        },
        {
          # Target tracking policies come with their CloudWatch alarms, named after the service's resource id
          # (Application Auto Scaling User Guide, "Permissions required for API actions on target services and
          # CloudWatch").
          Sid      = "ScalingAlarms"
          Effect   = "Allow"
          Action   = ["cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms"]
          Resource = "${env.arn_prefix}:cloudwatch:${env.region}:${var.account_id}:alarm:TargetTracking-service/${env.cluster}/*"
        },
        {
          # Scheduled tasks: EventBridge Scheduler schedules in the default group named after the environment
          # (list_amazoneventbridgescheduler.html); their roles are passed by PassOwnRoles.
          Sid      = "Schedules"
          Effect   = "Allow"
          Action   = ["scheduler:CreateSchedule", "scheduler:GetSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule"]
          Resource = "${env.arn_prefix}:scheduler:${env.region}:${var.account_id}:schedule/default/${env.cluster}-*"
        },
        {
          # ElastiCache writes the tags of a new replication group or subnet group with AddTagsToResource
          # (list_amazonelasticache.html): allowed with the environment's tag in the request.
          Sid       = "CacheTagOnCreate"
          Effect    = "Allow"
          Action    = ["elasticache:AddTagsToResource"]
          Resource  = "*"
          Condition = { StringEquals = { "aws:RequestTag/ecsenv:environment" = name, "aws:RequestedRegion" = env.region } }
        },
        {
          Sid      = "ServiceLinkedRoles"
          Effect   = "Allow"
          Action   = ["iam:CreateServiceLinkedRole"]
          Resource = "*"
          Condition = {
            StringEquals = { "iam:AWSServiceName" = ["ecs.amazonaws.com", "elasticloadbalancing.amazonaws.com", "rds.amazonaws.com", "elasticache.amazonaws.com", "ecs.application-autoscaling.amazonaws.com"] }
          }
        },
        {
          Sid      = "StateList"
          Effect   = "Allow"
          Action   = ["s3:ListBucket"]
          Resource = "${env.arn_prefix}:s3:::${var.state_bucket}"
          # The backend lists its key and the workspaces' prefix (env:/); ecsenv reads the records below.
          Condition = { StringLike = { "s3:prefix" = [env.state_key, "${env.state_key}*", "env:/*", "ecsenv/applied/*"] } }
        },
        {
          Sid      = "StateObject"
          Effect   = "Allow"
          Action   = ["s3:GetObject", "s3:PutObject"]
          Resource = "${env.arn_prefix}:s3:::${var.state_bucket}/${env.state_key}"
        },
        {
          # `ecsenv apply` records what it applied (ecsenv/applied/<env>/); an environment that promotes from
          # another checks that one's records (read only).
          Sid      = "WriteOwnRecords"
          Effect   = "Allow"
          Action   = ["s3:GetObject", "s3:PutObject"]
          Resource = "${env.arn_prefix}:s3:::${var.state_bucket}/ecsenv/applied/${name}/*"
        },
      ],
      var.state_lockfile ? [local.state_lockfile_statement[name]] : [],
      env.promotes_from == null ? [] : [{
        Sid      = "ReadSourceRecords"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = "${env.arn_prefix}:s3:::${var.state_bucket}/ecsenv/applied/${env.promotes_from}/*"
      }],
      var.lock_table == "" ? [] : [local.state_lock_table_statement[name]],
      var.state_kms_key_arn == "" ? [] : [{
        Sid      = "StateKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
        Resource = var.state_kms_key_arn
      }],
      length(env.longer_names) == 0 ? [] : [{
        Sid    = "NotLongerEnvironments"
        Effect = "Deny"
        Action = ["iam:*", "ecs:*", "logs:*", "rds:*", "kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias", "scheduler:*"]
        Resource = flatten([for other in env.longer_names : [
          "${env.arn_prefix}:iam::${var.account_id}:role/${other}-*",
          "${env.arn_prefix}:ecs:${env.region}:${var.account_id}:cluster/${other}",
          "${env.arn_prefix}:ecs:${env.region}:${var.account_id}:service/${other}/*",
          "${env.arn_prefix}:ecs:${env.region}:${var.account_id}:task-definition/${other}-*:*",
          "${env.arn_prefix}:logs:${env.region}:${var.account_id}:log-group:/ecs/${other}*",
          "${env.arn_prefix}:logs:${env.region}:${var.account_id}:log-group:/vpc/${other}/*",
          "${env.arn_prefix}:rds:${env.region}:${var.account_id}:*:${other}-*",
          "${env.arn_prefix}:kms:${env.region}:${var.account_id}:alias/${other}*",
          "${env.arn_prefix}:scheduler:${env.region}:${var.account_id}:schedule/default/${other}-*",
        ]])
      }],
    )
  }
}

resource "aws_iam_role" "terraform" {
  for_each = local.github_environments

  name                 = local.role_names["${var.project}-${each.key}-github-terraform"]
  description          = "GitHub Actions (${var.github_repository}, environment ${each.key}): ecsenv plan/apply ${each.key}"
  max_session_duration = 7200 # plan, apply and the wait for a database fit in it
  assume_role_policy   = local.github_trust[each.key]
  tags                 = { "ecsenv:environment" = each.key, "ecsenv:job" = "terraform" }
}

resource "aws_iam_role_policy" "terraform" {
  for_each = local.github_environments

  name   = "terraform-${each.key}"
  role   = aws_iam_role.terraform[each.key].id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.terraform_statements[each.key] })
}
