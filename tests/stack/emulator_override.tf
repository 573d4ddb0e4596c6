# Test only: copied into a copy of an environment root as zz_emulator_override.tf. Terraform merges *_override.tf
# files into the configuration: the backend becomes local (no state bucket needed) and the aws provider talks to
# the local moto server. MOTO_ENDPOINT is replaced with the server's URL by the test.
terraform {
  backend "local" {}
}

provider "aws" {
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  s3_use_path_style           = true
  # The account id is still requested (from the emulator's STS): allowed_account_ids needs it.
  skip_requesting_account_id = false

  endpoints {
    acm            = "MOTO_ENDPOINT"
    appautoscaling = "MOTO_ENDPOINT"
    cloudfront     = "MOTO_ENDPOINT"
    cloudwatch     = "MOTO_ENDPOINT"
    cloudwatchlogs = "MOTO_ENDPOINT"
    ec2            = "MOTO_ENDPOINT"
    ecr            = "MOTO_ENDPOINT"
    ecs            = "MOTO_ENDPOINT"
    elasticache    = "MOTO_ENDPOINT"
    elbv2          = "MOTO_ENDPOINT"
    iam            = "MOTO_ENDPOINT"
    kms            = "MOTO_ENDPOINT"
    rds            = "MOTO_ENDPOINT"
    route53        = "MOTO_ENDPOINT"
    s3             = "MOTO_ENDPOINT"
    scheduler      = "MOTO_ENDPOINT"
    secretsmanager = "MOTO_ENDPOINT"
    sts            = "MOTO_ENDPOINT"
  }
}
