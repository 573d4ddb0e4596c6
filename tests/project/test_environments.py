"""`ecsenv env add|list|policy`: scaffolding, refusals that write nothing, the listing, least-privilege policies."""

import json

import pytest

from bootstrap.cli import main
from bootstrap.project.config import EnvironmentConfig, ProjectConfig, StateConfig, load_config, save_config
from bootstrap.state_backend.policy import state_access_policy

ACCOUNT = "123456789012"
STAGING_MAIN = '''\
terraform {
  backend "s3" {}
}

locals {
  environment = "staging"
  region      = "us-east-1"
  desired     = 2
  motd        = <<EOT
welcome to "staging"
EOT
}

module "deployment" {
  source      = "../../modules/deployment"
  environment = local.environment
  region      = "us-east-1"
}
'''


@pytest.fixture
def project_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = ProjectConfig("acme", StateConfig(ACCOUNT, "us-east-1", "acme-tfstate", "both", "acme-lock", None,
                                               {"project": "acme"}),
                           {"staging": EnvironmentConfig(ACCOUNT, "us-east-1"),
                            "production": EnvironmentConfig(ACCOUNT, "us-east-1", promotes_from="staging")})
    save_config(config, str(tmp_path / "ecsenv.yaml"))
    assert main(["render"]) == 0
    (tmp_path / "environments" / "staging" / "main.tf").write_text(STAGING_MAIN)
    return tmp_path


def snapshot(directory):
    return {str(path.relative_to(directory)): path.read_text() for path in sorted(directory.rglob("*"))
            if path.is_file()}


def test_env_add_copies_the_source_root_adjusting_and_marking_what_named_it(project_dir, capsys):
    assert main(["env", "add", "qa", "--from", "staging", "--region", "eu-west-1", "--promotes-from", "staging"]) == 0
    out = capsys.readouterr().out
    assert "environments/qa/main.tf" in out and "environments/qa/backend.s3.tfbackend" in out
    main_tf = (project_dir / "environments" / "qa" / "main.tf").read_text()
    assert main_tf.startswith("# Scaffolded by `ecsenv env add qa --from staging`")
    assert 'environment = "qa"' in main_tf and 'region      = "eu-west-1"' in main_tf
    assert '  # ecsenv: review: was "staging", set for qa\n  environment = "qa"' in main_tf
    assert 'welcome to "staging"' in main_tf, "heredoc bodies are copied verbatim"
    assert 'module "deployment"' in main_tf and "desired     = 2" in main_tf
    backend = (project_dir / "environments" / "qa" / "backend.s3.tfbackend").read_text()
    assert 'key            = "qa/terraform.tfstate"' in backend
    config = load_config(str(project_dir / "ecsenv.yaml"))
    assert list(config.environments) == ["staging", "production", "qa"]
    assert config.environments["qa"] == EnvironmentConfig(ACCOUNT, "eu-west-1", promotes_from="staging")


def test_env_add_without_a_source_root_uses_the_starter_template(project_dir, capsys):
    (project_dir / "environments" / "staging" / "main.tf").unlink()
    assert main(["env", "add", "dev", "--account", "210987654321"]) == 0
    assert "starter template" in capsys.readouterr().out
    main_tf = (project_dir / "environments" / "dev" / "main.tf").read_text()
    assert 'backend "s3" {}' in main_tf and 'account_id  = "210987654321"' in main_tf


@pytest.mark.parametrize("args, message", [
    (["staging"], "already exists in ecsenv.yaml"),
    (["global_aws"], "reserved"),
    (["../x"], "environment name '../x'"),
    (["a/b"], "environment name 'a/b'"),
    (["QA"], "environment name 'QA'"),
    (["qa", "--from", "nope"], "--from 'nope' is not an environment"),
    (["qa", "--promotes-from", "nope"], "--promotes-from 'nope' is not an environment"),
    (["qa", "--region", "mars-1"], "unknown region 'mars-1'"),
    (["qa", "--account", "12"], "account id '12'"),
])
def test_env_add_refusals_write_nothing(project_dir, capsys, args, message):
    before = snapshot(project_dir)
    assert main(["env", "add", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert snapshot(project_dir) == before


def test_env_add_refuses_an_existing_directory(project_dir, capsys):
    (project_dir / "environments" / "qa").mkdir()
    assert main(["env", "add", "qa"]) == 2
    assert "already exists" in capsys.readouterr().err


def test_env_list_shows_state_keys(project_dir, capsys):
    assert main(["env", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["ENVIRONMENT", "REGION", "ACCOUNT", "PROMOTES", "FROM", "STATE"]
    assert out[3].split() == ["production", "us-east-1", ACCOUNT, "staging", "s3://acme-tfstate/production/terraform.tfstate"]
    assert main(["env", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["name"] for row in rows] == ["global_aws", "staging", "production"]


def _resources(policy):
    names = []
    for statement in policy["Statement"]:
        resources = statement["Resource"]
        names += resources if isinstance(resources, list) else [resources]
        for condition in statement.get("Condition", {}).values():
            for values in condition.values():
                names += values
    return names


@pytest.mark.parametrize("locking", ["both", "lockfile", "dynamodb"])
def test_state_policy_names_only_its_own_environment(locking):
    config = ProjectConfig("acme", StateConfig(ACCOUNT, "us-east-1", "acme-tfstate", locking,
                                               None if locking == "lockfile" else "acme-lock", None, {}),
                           {"staging": EnvironmentConfig(ACCOUNT, "us-east-1"),
                            "production": EnvironmentConfig(ACCOUNT, "us-east-1", "staging")})
    policy = state_access_policy(config, "staging")
    named = _resources(policy)
    allowed = {"arn:aws:s3:::acme-tfstate", "arn:aws:s3:::acme-tfstate/staging/terraform.tfstate",
               "staging/terraform.tfstate", "staging/terraform.tfstate.tflock",
               "arn:aws:s3:::acme-tfstate/staging/terraform.tfstate.tflock",
               "arn:aws:dynamodb:us-east-1:123456789012:table/acme-lock",
               "acme-tfstate/staging/terraform.tfstate", "acme-tfstate/staging/terraform.tfstate-md5"}
    assert set(named) <= allowed
    assert not [name for name in named if "production" in name or "*" in name]
    actions = {action for statement in policy["Statement"] for action in
               ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])}
    assert not [action for action in actions if action.endswith("*") or "DeleteBucket" in action
                or action.startswith("dynamodb:Scan")
                or action.startswith("dynamodb:Delete") and action != "dynamodb:DeleteItem"]
    assert ("arn:aws:s3:::acme-tfstate/staging/terraform.tfstate.tflock" in named) is (locking != "dynamodb")
    assert ("arn:aws:dynamodb:us-east-1:123456789012:table/acme-lock" in named) is (locking != "lockfile")


def test_env_policy_command_prints_json_and_refuses_unknown_names(project_dir, capsys):
    assert main(["env", "policy", "production"]) == 0
    policy = json.loads(capsys.readouterr().out)
    assert "arn:aws:s3:::acme-tfstate/production/terraform.tfstate" in _resources(policy)
    assert main(["env", "policy", "nope"]) == 2
    assert "'nope' is not an environment" in capsys.readouterr().err


def test_kms_alias_is_matched_by_request_alias():
    config = ProjectConfig("acme", StateConfig(ACCOUNT, "us-east-1", "acme-tfstate", "lockfile", None,
                                               "alias/state", {}), {"staging": EnvironmentConfig(ACCOUNT, "us-east-1")})
    kms = [s for s in state_access_policy(config, "staging")["Statement"] if s["Sid"].startswith("StateKms")][0]
    assert kms["Condition"] == {"ForAnyValue:StringEquals": {"kms:ResourceAliases": ["alias/state"]}}
