# What makes staging different from the other environments (their roots are otherwise the same files). The
# identity (project, environment, account, region) is in ecsenv.auto.tfvars, generated from ecsenv.yaml.
vpc_cidr        = "10.10.0.0/16"
certificate_arn = "" # an ACM certificate ARN turns on HTTPS (and HTTP then redirects to it)
enable_postgres = false
secret_names    = ["APP_SECRET_KEY"]

services = {
  web = {
    desired_count = 1
    public        = true
    environment   = { APP_ENV = "staging" }
    secrets       = ["APP_SECRET_KEY"]
  }
}
