# Test only: switches off what the local AWS emulator (moto) cannot do, for `terraform apply` of an environment
# against it (tests/e2e/test_stack.py). Every switch is a variable of the environment roots (variables.tf); on AWS
# they all keep their defaults. Everything not listed here (NAT gateway, Container Insights, flow logs, KMS
# encryption, ...) is applied against the emulator as on AWS.

# moto's ECS does not store a service's healthCheckGracePeriodSeconds (it always reports 0), so any other value
# would show as a change on every plan.
health_check_grace_period_seconds = 0
