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

from bootstrap.project import render
from bootstrap.project.config import EnvironmentConfig, ProjectConfig, StateConfig
from bootstrap.project.root_checks import root_differs_findings

pytestmark = pytest.mark.terraform

REPO = Path(__file__).resolve().parents[2]
STACK = REPO / "tests" / "stack"
ENVIRONMENTS = ("staging", "production", "global_aws")
# An identity that appears nowhere else in the repository: nothing in the stack may assume the demo's name or region.
PROJECT, REGION, GITHUB_REPOSITORY = "fjordcart", "eu-north-1", "fjord-labs/fjordcart-infra"
CONFIG = ProjectConfig(
    PROJECT, StateConfig(ACCOUNT, REGION, f"{PROJECT}-tfstate-{ACCOUNT}", "lockfile"),
    {"staging": EnvironmentConfig(ACCOUNT, REGION),
     "production": EnvironmentConfig(ACCOUNT, REGION, promotes_from="staging")},
    github_repository=GITHUB_REPOSITORY)
# What may differ between two environments' roots: their data. Everything else is the same code.
DATA_FILES = {"env.auto.tfvars", render.IDENTITY_FILE}


def copy_stack(destination, environment, config=CONFIG, code_of=None):
    """A copy of modules/ and one environment root (without any .terraform/), laid out as in the repository, with
    the identity `ecsenv render` generates from `config` (None: none). code_of: copy that root's code instead
    (every environment's code is the same)."""
    ignore = shutil.ignore_patterns(".terraform", "*.tfstate*", "backend.s3.tfbackend", render.IDENTITY_FILE)
    if not (destination / "modules").exists():
        shutil.copytree(REPO / "modules", destination / "modules", ignore=ignore)
    root = destination / "environments" / environment
    shutil.copytree(REPO / "environments" / (code_of or environment), root, ignore=ignore)
    if config is not None:
        path = str(root / render.IDENTITY_FILE)
        (root / render.IDENTITY_FILE).write_text(render.identity_files(config, str(destination))[path])
    return root


def emulator_root(root, endpoint):
    """The root pointed at the emulator (tests/stack/emulator_override.tf merged in as zz_emulator_override.tf)."""
    override = (STACK / "emulator_override.tf").read_text().replace("MOTO_ENDPOINT", endpoint)
    (root / "zz_emulator_override.tf").write_text(override)
    return root


def no_warnings(result):
    output = result.stdout + result.stderr
    assert "Warning" not in output, f"terraform warned:\n{output}"


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


def test_staging_and_production_are_the_same_code_and_differ_only_in_data():
    staging, production = REPO / "environments" / "staging", REPO / "environments" / "production"
    files = {path.name for path in staging.iterdir() if path.is_file()}
    assert files == {path.name for path in production.iterdir() if path.is_file()}
    assert {"main.tf", "variables.tf", ".terraform.lock.hcl", "env.auto.tfvars"} <= files
    for name in sorted(files - DATA_FILES):
        assert (staging / name).read_bytes() == (production / name).read_bytes(), f"{name} differs"
    assert root_differs_findings(str(REPO)) == [], "`ecsenv check` holds the stack's own roots to the same rule"
    for root in (staging, production):
        code = (root / "main.tf").read_text() + (root / "variables.tf").read_text()
        assert not re.search(r"\b(staging|production)\b", code), f"{root.name}'s code names an environment"


def test_no_root_hard_codes_an_identity():
    # Project, account and region come from ecsenv.auto.tfvars; a literal here would be a second source of truth.
    for path in (REPO / "environments").rglob("*.tf"):
        text = path.read_text()
        assert not re.search(r"\b\d{12}\b", text), f"{path}: an account id"
        assert not re.search(r"\b[a-z]{2}-[a-z]+-\d\b", text), f"{path}: a region"
        assert "acme" not in text, f"{path}: the demo's project name"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_identity_variable_is_declared_and_rendered(environment, tmp_path):
    # Every value ecsenv.yaml gives the root is a declared variable (none is filtered out, so none is missing and
    # none would be an "undeclared variable" warning), and nothing else is in the generated file.
    root = copy_stack(tmp_path, environment, config=None)
    declared = render.declared_variables(str(root))
    expected = render.identity_values(CONFIG, environment)
    assert set(expected) <= declared
    text = render.identity_files(CONFIG, str(tmp_path))[str(root / render.IDENTITY_FILE)]
    assigned = set(re.findall(r"^(\w+)\s*=", text, re.MULTILINE))
    assert assigned == set(expected)


def test_the_committed_lock_files_pin_what_the_tests_run():
    for environment in ENVIRONMENTS:
        lock = (REPO / "environments" / environment / ".terraform.lock.hcl").read_text()
        assert 'version     = "5.100.0"' in lock and 'constraints = "~> 5.100.0"' in lock
    for path in list((REPO / "modules").rglob("versions.tf")) + list((REPO / "environments").rglob("main.tf")):
        text = path.read_text()
        assert re.findall(r'\bversion\s*=\s*"([^"]+)"', text) == ["~> 5.100.0"], path
    assert ".terraform.lock.hcl" not in (REPO / ".gitignore").read_text()


def test_secrets_are_declared_without_values():
    for path in (REPO / "modules").rglob("*.tf"):
        assert not re.search(r'(resource|data)\s+"aws_secretsmanager_secret_version"', path.read_text()), path


def _resources(module):
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _resources(child)


def test_staging_applies_on_the_emulator_and_plans_clean(provider_terraform, boto, tmp_path):
    terraform = provider_terraform  # the stack needs the hashicorp/aws provider
    root = emulator_root(copy_stack(tmp_path, "staging"), os.environ["AWS_ENDPOINT_URL"])
    tfvars = f"-var-file={STACK / 'emulator.tfvars'}"

    terraform(root, "init", "-input=false", "-lockfile=readonly")  # the committed lock file is the one that works
    no_warnings(terraform(root, "apply", "-input=false", "-auto-approve", tfvars))
    plan = terraform(root, "plan", "-input=false", "-detailed-exitcode", tfvars, expect=0)
    assert "No changes." in plan.stdout
    no_warnings(plan)

    # Right after the first apply, `ecsenv drift` finds nothing: what companion resources filled in since (rules,
    # routes, role policies, the NAT's EIP association, the target group's load balancer) is not drift.
    from bootstrap.lifecycle.drift import split_drift

    terraform(root, "plan", "-input=false", "-refresh-only", f"-out={tmp_path / 'drift.tfplan'}", tfvars, expect=0)
    refreshed = json.loads(terraform(root, "show", "-json", str(tmp_path / "drift.tfplan")).stdout)
    assert len(refreshed["resource_drift"]) >= 5  # what `terraform plan -refresh-only` itself lists (1.13)
    assert split_drift(refreshed) == ([], [])

    # The secret is declared, tagged for `ecsenv secret`, and has no value.
    name = f"{PROJECT}/staging/APP_SECRET_KEY"
    secrets = boto.client("secretsmanager", REGION)
    secret = secrets.describe_secret(SecretId=name)
    tags = {tag["Key"]: tag["Value"] for tag in secret["Tags"]}
    assert tags["ecsenv:project"] == PROJECT and tags["ecsenv:environment"] == "staging"
    assert tags["ecsenv:secret"] == "APP_SECRET_KEY"
    assert secret.get("KmsKeyId")
    assert not secrets.list_secret_version_ids(SecretId=name)["Versions"]

    # The service: Fargate, circuit breaker with rollback (from the state: the emulator does not report a
    # service's deploymentConfiguration), behind the load balancer, secrets by valueFrom.
    state = json.loads(terraform(root, "show", "-json").stdout)
    resources = {r["address"]: r for r in _resources(state["values"]["root_module"])}
    service_state = resources['module.deployment.module.service["web"].aws_ecs_service.this']["values"]
    assert service_state["deployment_circuit_breaker"] == [{"enable": True, "rollback": True}]
    assert service_state["launch_type"] == "FARGATE"
    cluster = f"{PROJECT}-staging"
    ecs = boto.client("ecs", REGION)
    service = ecs.describe_services(cluster=cluster, services=["web"])["services"][0]
    assert service["loadBalancers"][0]["containerName"] == "web"
    task_definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    container = task_definition["containerDefinitions"][0]
    assert container["image"] == f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{PROJECT}/web:initial"
    assert container["secrets"][0]["name"] == "APP_SECRET_KEY"
    assert container["secrets"][0]["valueFrom"] == secret["ARN"]
    assert container["logConfiguration"]["logDriver"] == "awslogs"

    # The subnets sit in the region's real zones, not in names made from the region.
    zones = {zone["ZoneName"] for zone in boto.client("ec2", REGION).describe_availability_zones()["AvailabilityZones"]}
    subnets = [r["values"] for r in resources.values() if r["type"] == "aws_subnet"]
    assert len(subnets) == 4 and {subnet["availability_zone"] for subnet in subnets} <= zones
    assert len({subnet["availability_zone"] for subnet in subnets}) == 2

    # The execution role may read this service's secret and no other.
    policy = boto.iam.get_role_policy(RoleName=f"{cluster}-web-execution", PolicyName="start-task")
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert statements["OwnSecretsOnly"]["Resource"] in ([secret["ARN"]], secret["ARN"])

    # A deploy (CI) registers a new revision with the git SHA and points the service at it: Terraform leaves it.
    new = dict(container, image=container["image"].replace(":initial", ":0123abc"))
    revision = ecs.register_task_definition(
        family=task_definition["family"], containerDefinitions=[new],
        requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu=task_definition["cpu"],
        memory=task_definition["memory"], executionRoleArn=task_definition["executionRoleArn"],
        taskRoleArn=task_definition["taskRoleArn"])["taskDefinition"]["taskDefinitionArn"]
    ecs.update_service(cluster=cluster, service="web", taskDefinition=revision)
    assert ecs.describe_services(cluster=cluster, services=["web"])["services"][0]["taskDefinition"] == revision
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


def test_global_aws_applies_reusing_an_existing_github_oidc_provider(provider_terraform, boto, tmp_path):
    terraform = provider_terraform  # the stack needs the hashicorp/aws provider
    # Most accounts that use GitHub already have the provider (one per URL per account): creating it again is a
    # 409 EntityAlreadyExists. The root takes its ARN instead.
    existing = boto.iam.create_open_id_connect_provider(
        Url="https://token.actions.githubusercontent.com", ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"])["OpenIDConnectProviderArn"]
    root = emulator_root(copy_stack(tmp_path, "global_aws"), os.environ["AWS_ENDPOINT_URL"])
    reuse = f"-var=github_oidc_provider_arn={existing}"

    terraform(root, "init", "-input=false", "-lockfile=readonly")
    no_warnings(terraform(root, "apply", "-input=false", "-auto-approve", reuse))
    plan = terraform(root, "plan", "-input=false", "-detailed-exitcode", reuse, expect=0)
    no_warnings(plan)
    assert len(boto.iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]) == 1

    outputs = json.loads(terraform(root, "output", "-json").stdout)
    roles = outputs["github_roles"]["value"]
    assert set(roles) == {"staging", "production"}
    for environment in ("staging", "production"):
        for kind in ("terraform", "deploy"):
            name = roles[environment][kind].rsplit("/", 1)[1]
            assert name == f"{PROJECT}-{environment}-github-{kind}"
            trust = boto.iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
            (statement,) = trust["Statement"]
            assert statement["Principal"] == {"Federated": existing}
            assert statement["Condition"] == {"StringEquals": {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": f"repo:{GITHUB_REPOSITORY}:environment:{environment}"}}

    # No lifecycle rule can expire a SHA-tagged image an environment runs or could roll back to: only untagged
    # images expire (and tags matching patterns of throwaway builds, none by default).
    ecr = boto.client("ecr", REGION)
    rules = json.loads(ecr.get_lifecycle_policy(repositoryName=f"{PROJECT}/web")["lifecyclePolicyText"])["rules"]
    assert [rule["selection"]["tagStatus"] for rule in rules] == ["untagged"]

    # Staging's deploy role writes only staging: its services, families, roles and records.
    policy = boto.iam.get_role_policy(RoleName=f"{PROJECT}-staging-github-deploy", PolicyName="deploy-staging")
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    arn = f"arn:aws:iam::{ACCOUNT}:role/{PROJECT}-staging-web"
    assert sorted(statements["PassServiceRoles"]["Resource"]) == [f"{arn}-execution", f"{arn}-task"]
    assert statements["UpdateServices"]["Resource"] in (
        [f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{PROJECT}-staging/web"],
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{PROJECT}-staging/web")
    writes = [s for s in statements.values() if {"s3:PutObject", "s3:DeleteObject"} & set(_listed(s["Action"]))]
    written = {resource for s in writes for resource in _listed(s["Resource"])}
    assert written == {f"arn:aws:s3:::{CONFIG.state.bucket}/ecsenv/deploy-locks/staging.json",
                       f"arn:aws:s3:::{CONFIG.state.bucket}/ecsenv/deployed/staging/*"}
    # Production's terraform role reaches production's state only, and reads staging's apply records.
    policy = boto.iam.get_role_policy(RoleName=f"{PROJECT}-production-github-terraform",
                                      PolicyName="terraform-production")
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    bucket = f"arn:aws:s3:::{CONFIG.state.bucket}"
    assert _listed(statements["StateObject"]["Resource"]) == [f"{bucket}/production/terraform.tfstate"]
    assert _listed(statements["ReadSourceRecords"]["Resource"]) == [f"{bucket}/ecsenv/applied/staging/*"]


def test_global_aws_without_a_github_repository_creates_no_roles(provider_terraform, boto, tmp_path):
    terraform = provider_terraform  # the stack needs the hashicorp/aws provider
    config = ProjectConfig(CONFIG.project, CONFIG.state, CONFIG.environments)  # no github_repository
    root = emulator_root(copy_stack(tmp_path, "global_aws", config), os.environ["AWS_ENDPOINT_URL"])
    terraform(root, "init", "-input=false", "-lockfile=readonly")
    no_warnings(terraform(root, "apply", "-input=false", "-auto-approve"))
    assert boto.iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []
    assert not [role for role in boto.iam.list_roles()["Roles"] if "github" in role["RoleName"]]


def _listed(value):
    return value if isinstance(value, list) else [value]


def _planned(terraform, root, *args):
    terraform(root, "plan", "-input=false", "-out=tfplan", *args, expect=0)
    plan = json.loads(terraform(root, "show", "-json", "tfplan").stdout)
    return {change["address"]: change["change"]["after"] for change in plan["resource_changes"]}


def test_long_names_end_in_a_hash_and_never_collide(provider_terraform, tmp_path):
    terraform = provider_terraform
    # The longest names ecsenv allows (project 40, environment 32 characters), two environments alike for their
    # first 32 characters of "<project>-<environment>": every derived name fits AWS's limit, ends in neither a
    # truncated word nor a hyphen, and the two environments' names differ.
    project = "fjordcart-" + "x" * 29 + "q"
    environments = ["e" * 27 + "-east", "e" * 27 + "-west"]
    config = ProjectConfig(project, CONFIG.state, {name: EnvironmentConfig(ACCOUNT, REGION) for name in environments},
                           github_repository=GITHUB_REPOSITORY)
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    names = {}
    for environment in environments:
        root = emulator_root(copy_stack(tmp_path / environment, environment, config, code_of="staging"), endpoint)
        terraform(root, "init", "-input=false")
        # No services: their names are modules/container-generic's (named by the same rule, see docs/stack.md).
        planned = _planned(terraform, root, "-var=services={}", "-var=secret_names=[]")
        names[environment] = {
            "alb": planned["module.deployment.module.cluster.aws_lb.this"]["name"],
            "flow_logs_role": planned["module.deployment.module.cluster.aws_iam_role.flow_logs[0]"]["name"],
        }
    for derived in names.values():
        assert len(derived["alb"]) <= 32 and not derived["alb"].endswith("-"), derived
        assert re.fullmatch(r"[a-z0-9-]+-[0-9a-f]{6}", derived["alb"]), derived
        assert len(derived["flow_logs_role"]) <= 64, derived
    assert names[environments[0]]["alb"] != names[environments[1]]["alb"]
    assert names[environments[0]]["flow_logs_role"] != names[environments[1]]["flow_logs_role"]

    root = emulator_root(copy_stack(tmp_path / "global", "global_aws", config), endpoint)
    terraform(root, "init", "-input=false")
    roles = [after["name"] for address, after in _planned(terraform, root).items()
             if address.startswith("aws_iam_role.") and after]
    # per environment: terraform, deploy, plan; then image push and global_aws's plan role
    assert len(roles) == 8 and len(set(roles)) == 8
    assert all(len(name) <= 64 for name in roles), roles
