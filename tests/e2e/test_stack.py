"""The Terraform stack adopters fork (modules/ and environments/), proven with real terraform: formatted, valid in
every environment, and environments/staging applied against the moto server with a clean plan afterwards (also
after a deploy registered a new task definition revision, which Terraform must not undo). checkov runs over the
stack when ECSENV_CHECKOV names its binary.

The apply uses a copy of the staging root with tests/stack/emulator_override.tf merged in (local backend, provider
endpoints at the emulator) and tests/stack/emulator.tfvars (the switches for what the emulator cannot do)."""

import json
import os
import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from conftest import ACCOUNT, terraform_or_skip, terraform_runner

pytestmark = pytest.mark.terraform

REPO = Path(__file__).resolve().parents[2]
STACK = REPO / "tests" / "stack"
ENVIRONMENTS = ("staging", "production", "global_aws")


def copy_stack(destination, environment):
    """A copy of modules/ and one environment root (without any .terraform/), laid out as in the repository."""
    ignore = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*", "backend.s3.tfbackend")
    shutil.copytree(REPO / "modules", destination / "modules", ignore=ignore)
    root = destination / "environments" / environment
    shutil.copytree(REPO / "environments" / environment, root, ignore=ignore)
    return root


@pytest.fixture
def offline_terraform(tmp_path):
    """terraform with the provider from the offline mirror only (no AWS needed): run(root, *args) -> result."""
    return terraform_runner({}, mirror_required=True, tmp_path=tmp_path)


@pytest.mark.parametrize("directory", ["modules", "environments"])
def test_terraform_files_are_formatted(directory):
    binary = terraform_or_skip()
    result = subprocess.run([binary, "fmt", "-check", "-recursive", "-diff", directory], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"terraform fmt would change:\n{result.stdout}\n{result.stderr}"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_environment_validates(environment, offline_terraform, tmp_path):
    root = copy_stack(tmp_path, environment)
    offline_terraform(root, "init", "-backend=false", "-input=false")
    offline_terraform(root, "validate")


def test_global_aws_validates_next_to_an_adopted_state_backend(offline_terraform, tmp_path):
    # `ecsenv init --adopt` writes state_backend.tf into global_aws: resources, import blocks and its own
    # `terraform { required_version }`. It must merge with the root's terraform block and provider requirements.
    root = copy_stack(tmp_path, "global_aws")
    (root / "state_backend.tf").write_text(textwrap.dedent("""\
        terraform {
          required_version = ">= 1.5"
        }

        import {
          to = aws_s3_bucket.state
          id = "acme-tfstate-123456789012"
        }

        resource "aws_s3_bucket" "state" {
          bucket = "acme-tfstate-123456789012"

          lifecycle {
            prevent_destroy = true
          }
        }

        import {
          to = aws_dynamodb_table.lock
          id = "acme-tfstate-lock"
        }

        resource "aws_dynamodb_table" "lock" {
          name         = "acme-tfstate-lock"
          billing_mode = "PAY_PER_REQUEST"
          hash_key     = "LockID"

          attribute {
            name = "LockID"
            type = "S"
          }
        }

        data "aws_kms_key" "state" {
          key_id = "alias/acme-state"
        }
        """))
    offline_terraform(root, "init", "-backend=false", "-input=false")
    offline_terraform(root, "validate")


def _module_call(environment):
    text = (REPO / "environments" / environment / "main.tf").read_text()
    calls = re.findall(r'^module "(\w+)" \{\n(.*?)^\}', text, re.M | re.S)
    return calls


def test_production_mirrors_staging_argument_for_argument():
    staging, production = _module_call("staging"), _module_call("production")
    assert [name for name, _ in staging] == ["deployment"]
    assert staging == production, "environments differ only in their locals; the module calls must be identical"
    for environment in ("staging", "production"):
        variables = (REPO / "environments" / environment / "variables.tf").read_text()
        assert variables == (REPO / "environments" / "staging" / "variables.tf").read_text()


def test_secrets_are_declared_without_values():
    for path in (REPO / "modules").rglob("*.tf"):
        assert not re.search(r'(resource|data)\s+"aws_secretsmanager_secret_version"', path.read_text()), path


def _resources(module):
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _resources(child)


def test_staging_applies_on_the_emulator_and_plans_clean(provider_terraform, boto, tmp_path):
    terraform = provider_terraform  # the stack needs the hashicorp/aws provider
    root = copy_stack(tmp_path, "staging")
    override = (STACK / "emulator_override.tf").read_text().replace("MOTO_ENDPOINT", os.environ["AWS_ENDPOINT_URL"])
    (root / "zz_emulator_override.tf").write_text(override)
    tfvars = f"-var-file={STACK / 'emulator.tfvars'}"

    terraform(root, "init", "-input=false")
    terraform(root, "apply", "-input=false", "-auto-approve", tfvars)
    plan = terraform(root, "plan", "-input=false", "-detailed-exitcode", tfvars, expect=0)
    assert "No changes." in plan.stdout

    # Right after the first apply, `ecsenv drift` finds nothing: what companion resources filled in since (rules,
    # routes, role policies, the NAT's EIP association, the target group's load balancer) is not drift.
    from bootstrap.lifecycle.drift import split_drift

    terraform(root, "plan", "-input=false", "-refresh-only", f"-out={tmp_path / 'drift.tfplan'}", tfvars, expect=0)
    refreshed = json.loads(terraform(root, "show", "-json", str(tmp_path / "drift.tfplan")).stdout)
    assert len(refreshed["resource_drift"]) >= 5  # what `terraform plan -refresh-only` itself lists (1.13)
    assert split_drift(refreshed) == ([], [])

    # The secret is declared, tagged for `ecsenv secret`, and has no value.
    name = "acme/staging/APP_SECRET_KEY"
    secret = boto.secretsmanager.describe_secret(SecretId=name)
    tags = {tag["Key"]: tag["Value"] for tag in secret["Tags"]}
    assert tags["ecsenv:project"] == "acme" and tags["ecsenv:environment"] == "staging"
    assert tags["ecsenv:secret"] == "APP_SECRET_KEY"
    assert secret.get("KmsKeyId")
    assert not boto.secretsmanager.list_secret_version_ids(SecretId=name)["Versions"]

    # The service: Fargate, circuit breaker with rollback (from the state: the emulator does not report a
    # service's deploymentConfiguration), behind the load balancer, secrets by valueFrom.
    state = json.loads(terraform(root, "show", "-json").stdout)
    resources = {r["address"]: r for r in _resources(state["values"]["root_module"])}
    service_state = resources['module.deployment.module.service["web"].aws_ecs_service.this']["values"]
    assert service_state["deployment_circuit_breaker"] == [{"enable": True, "rollback": True}]
    assert service_state["launch_type"] == "FARGATE"
    ecs = boto.ecs
    service = ecs.describe_services(cluster="acme-staging", services=["web"])["services"][0]
    assert service["loadBalancers"][0]["containerName"] == "web"
    task_definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    container = task_definition["containerDefinitions"][0]
    assert container["image"] == f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/acme/web:initial"
    assert container["secrets"][0]["name"] == "APP_SECRET_KEY"
    assert container["secrets"][0]["valueFrom"] == secret["ARN"]
    assert container["logConfiguration"]["logDriver"] == "awslogs"

    # The execution role may read this service's secret and no other.
    policy = boto.iam.get_role_policy(RoleName="acme-staging-web-execution", PolicyName="start-task")
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert statements["OwnSecretsOnly"]["Resource"] in ([secret["ARN"]], secret["ARN"])

    # A deploy (CI) registers a new revision with the git SHA and points the service at it: Terraform leaves it.
    new = dict(container, image=container["image"].replace(":initial", ":0123abc"))
    revision = ecs.register_task_definition(
        family=task_definition["family"], containerDefinitions=[new],
        requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu=task_definition["cpu"],
        memory=task_definition["memory"], executionRoleArn=task_definition["executionRoleArn"],
        taskRoleArn=task_definition["taskRoleArn"])["taskDefinition"]["taskDefinitionArn"]
    ecs.update_service(cluster="acme-staging", service="web", taskDefinition=revision)
    assert ecs.describe_services(cluster="acme-staging", services=["web"])["services"][0]["taskDefinition"] == revision
    terraform(root, "plan", "-input=false", "-detailed-exitcode", tfvars, expect=0)


@pytest.mark.parametrize("directory", ["modules", "environments"])
def test_checkov_finds_nothing_beyond_the_documented_skips(directory):
    checkov = os.environ.get("ECSENV_CHECKOV")
    if not checkov:
        reason = "ECSENV_CHECKOV is not set (the path of a checkov binary in its own virtualenv, see .ci/run)"
        print(f"SKIP: {reason}")
        pytest.skip(reason)
    assert os.access(checkov, os.X_OK), f"ECSENV_CHECKOV={checkov} is not an executable checkov"
    result = subprocess.run(
        [checkov, "-d", directory, "--config-file", str(REPO / ".checkov.yaml"), "--framework", "terraform",
         "--skip-download", "--quiet", "--compact"],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"checkov {directory}:\n{result.stdout}\n{result.stderr}"
