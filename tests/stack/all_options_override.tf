# Test only: copied into a copy of an environment root (after emulator_override.tf) as zz_all_options_override.tf.
# Terraform merges override files value by value: the services local and these arguments of the module call
# replace the environment's own, turning every option of the app stack on at once (tests/e2e/test_stack_options.py). The test replaces ROUTE53_ZONE_ID with a hosted
# zone it created on the emulator, and PLANNED_ONLY with false for the apply and true for the plan of the options
# the emulator cannot apply (autoscaling, the cache, CloudFront: the test's docstring says why).
locals {
  services = {
    web = {
      image_repository       = "${local.registry}/${var.project}/web"
      image_tag              = "initial"
      desired_count          = 2
      public                 = true
      command                = ["gunicorn", "app:wsgi"]
      environment            = { APP_ENV = var.environment }
      secrets                = ["APP_SECRET_KEY"]
      postgres_secrets       = { DATABASE_USER = "username", DATABASE_PASSWORD = "password" }
      cache_access           = true
      assets_access          = true
      enable_execute_command = PLANNED_ONLY # moto does not keep a service's enableExecuteCommand
      health_check           = { command = ["CMD-SHELL", "curl -fs localhost:8080/health || exit 1"], start_period = 20 }
      autoscaling            = PLANNED_ONLY ? { min_capacity = 2, max_capacity = 6, cpu_target = 60, requests_per_target = 500 } : null
      init_containers = {
        migrate = { command = ["python", "manage.py", "migrate"] }
      }
      sidecars = {
        metrics = {
          image        = "public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0"
          ports        = [4317]
          secrets      = ["SIDECAR_TOKEN"]
          depends_on   = { migrate = "SUCCESS" }
          health_check = { command = ["CMD", "/healthcheck"] }
        }
      }
    }
    worker = {
      image_repository = "${local.registry}/${var.project}/worker"
      image_tag        = "initial"
      container_port   = 9000
      command          = ["celery", "worker"]
      cache_access     = true
      autoscaling      = PLANNED_ONLY ? { min_capacity = 1, max_capacity = 3, cpu_target = 70 } : null
    }
  }
}

module "deployment" {
  enable_postgres = true
  # moto stores a parameter group's parameters but reports them without their Source, and does not keep Performance
  # Insights settings, so the provider would never see them back: the emulator's Postgres has neither (on AWS, the
  # defaults: rds.force_ssl = 1, slow statement logging, Performance Insights).
  postgres     = { parameters = {}, performance_insights = false }
  secret_names = ["APP_SECRET_KEY", "SIDECAR_TOKEN"]

  alb_ingress_cidrs         = ["198.51.100.0/24", "203.0.113.0/24"]
  domain_name               = "orchard.example.net"
  subject_alternative_names = ["*.orchard.example.net"]
  route53_zone_id           = "ROUTE53_ZONE_ID"

  enable_cache         = PLANNED_ONLY
  cache                = { num_cache_clusters = 2 }
  enable_assets_bucket = true
  assets               = { enable_cdn = PLANNED_ONLY }

  scheduled_tasks = {
    nightly-report = { service = "web", schedule_expression = "cron(0 3 * * ? *)", command = ["python", "manage.py", "report"], timezone = "Europe/Paris" }
  }
}
