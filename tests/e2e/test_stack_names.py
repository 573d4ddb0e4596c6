"""Names at the length limits: a project, an environment, a service and a scheduled task as long as the
validation allows (bootstrap/project/validation.py, modules/cluster and modules/deployment), every option of the
stack on, planned against the moto server. The provider checks each name's length and form when planning; the test
then reads every name AWS limits out of the plan and checks it against its limit and against the Python side of the
one shortening rule (validation.aws_name), and that two long names that differ only at their end stay apart.

The rule's unit tests (the Python side on its own, and the same expression through `terraform console`) are in
tests/project/test_aws_name.py."""

import json

import pytest
from conftest import ACCOUNT
from test_stack import STACK, _resources, copy_stack, emulator_root

from bootstrap.project.config import EnvironmentConfig, ProjectConfig, StateConfig
from bootstrap.project.validation import ENV_NAME_MAX, PROJECT_MAX, STACK_SERVICE_MAX, aws_name

pytestmark = pytest.mark.terraform

REGION = "ap-southeast-2"
# The longest names the validation allows; single hyphens, no trailing one.
PROJECT = ("quillmark-" * 5)[:PROJECT_MAX - 1] + "q"
ENVIRONMENT = ("canary-" * 6)[:ENV_NAME_MAX - 1] + "z"
# Two services that differ only in their last character: truncation alone would give both the same names.
SERVICES = [("ledger-" * 10)[:STACK_SERVICE_MAX - 1] + end for end in "ab"]
SCHEDULED = ("nightly-" * 9)[:STACK_SERVICE_MAX - 1] + "n"
IDENTITY = ProjectConfig(PROJECT, StateConfig(ACCOUNT, REGION, f"{PROJECT}-tfstate-{ACCOUNT}", "lockfile"),
                         {ENVIRONMENT: EnvironmentConfig(ACCOUNT, REGION)})
LONG_NAMES_TFVARS = f"""
enable_postgres      = true
enable_cache         = true
enable_assets_bucket = true
enable_flow_logs     = true
assets               = {{ enable_cdn = true }}
services = {{
  {SERVICES[0]} = {{ public = true, path_patterns = ["/a/*"], listener_rule_priority = 10,
    autoscaling = {{ min_capacity = 1, max_capacity = 2, cpu_target = 60, requests_per_target = 100 }} }}
  {SERVICES[1]} = {{ public = true, path_patterns = ["/b/*"], listener_rule_priority = 20, image = "web" }}
}}
scheduled_tasks = {{
  {SCHEDULED} = {{ service = "{SERVICES[0]}", schedule_expression = "rate(1 hour)" }}
}}
"""

# (resource type, attribute): the limit AWS sets on it.
LIMITS = {
    ("aws_lb", "name"): 32,  # ELB API reference, CreateLoadBalancer
    ("aws_lb_target_group", "name"): 32,  # ELB API reference, CreateTargetGroup
    ("aws_iam_role", "name"): 64,  # IAM quotas
    ("aws_db_instance", "identifier"): 63,  # RDS API reference, CreateDBInstance
    ("aws_db_instance", "final_snapshot_identifier"): 255,
    ("aws_db_subnet_group", "name"): 255,
    ("aws_db_parameter_group", "name"): 255,
    ("aws_elasticache_replication_group", "replication_group_id"): 40,  # ElastiCache, CreateReplicationGroup
    ("aws_elasticache_subnet_group", "name"): 255,
    ("aws_s3_bucket", "bucket"): 63,  # S3 bucket naming rules
    ("aws_cloudfront_origin_access_control", "name"): 64,  # CloudFront, OriginAccessControlConfig
    ("aws_scheduler_schedule", "name"): 64,  # EventBridge Scheduler, CreateSchedule
    ("aws_security_group", "name"): 255,
    ("aws_ecs_cluster", "name"): 255,
    ("aws_ecs_service", "name"): 255,
    ("aws_ecs_task_definition", "family"): 255,
    ("aws_cloudwatch_log_group", "name"): 512,
    ("aws_kms_alias", "name"): 256,
    ("aws_appautoscaling_policy", "name"): 255,
}


@pytest.fixture
def planned(terraform, aws_env, tmp_path):
    """Every planned resource of the environment with the longest names: {address: values}."""
    root = emulator_root(copy_stack(tmp_path, ENVIRONMENT, IDENTITY, code_of="staging"), aws_env)
    (root / "zz_long_names.tfvars").write_text(LONG_NAMES_TFVARS)
    terraform(root, "init", "-input=false")
    terraform(root, "plan", "-input=false", "-out=long.plan", f"-var-file={STACK / 'emulator.tfvars'}",
              "-var-file=zz_long_names.tfvars")
    plan = json.loads(terraform(root, "show", "-json", "long.plan").stdout)
    return {resource["address"]: resource for resource in _resources(plan["planned_values"]["root_module"])}


def test_every_derived_name_fits_at_the_longest_names_the_validation_allows(planned):
    checked = {}
    for resource in planned.values():
        for (kind, attribute), limit in LIMITS.items():
            value = resource["values"].get(attribute) if resource["type"] == kind else None
            if isinstance(value, str):
                assert len(value) <= limit, (resource["address"], value)
                assert not value.endswith("-") and "--" not in value, (resource["address"], value)
                checked.setdefault(kind, []).append(value)
    assert set(checked) == {kind for kind, _ in LIMITS}

    # The names global_aws and ecsenv compute (PassRole, the deploy and terraform roles' resources) are the names
    # the modules give: the Python side of the rule agrees with the Terraform side.
    stem = f"{PROJECT}-{ENVIRONMENT}"
    roles = set(checked["aws_iam_role"])
    for service in SERVICES:
        assert {aws_name(f"{stem}-{service}-execution", 64), aws_name(f"{stem}-{service}-task", 64)} <= roles
    assert aws_name(f"{stem}-postgres-monitoring", 64) in roles
    assert aws_name(f"{stem}-flow-logs", 64) in roles
    assert aws_name(f"{stem}-{SCHEDULED}-schedule", 64) in roles
    assert checked["aws_lb"] == [aws_name(stem, 32)]
    assert checked["aws_db_instance"][0] == aws_name(f"{stem}-postgres", 63)
    assert checked["aws_elasticache_replication_group"] == [aws_name(f"{stem}-cache", 40)]
    assert checked["aws_s3_bucket"] == [aws_name(f"{stem}-assets-{ACCOUNT}", 63)]
    assert checked["aws_scheduler_schedule"] == [aws_name(f"{stem}-{SCHEDULED}", 64)]

    # Two services whose names differ only at their end get different names everywhere.
    assert len(set(checked["aws_lb_target_group"])) == 2
    assert len(roles) == len(checked["aws_iam_role"])
