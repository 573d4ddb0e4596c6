"""`ecsenv env add|list|policy`: scaffolding, refusals that write nothing, the listing, least-privilege policies."""

import json
import re
import shutil
import subprocess

import pytest

from bootstrap.cli import main
from bootstrap.project.config import EnvironmentConfig, ProjectConfig, StateConfig, save_config
from bootstrap.project.config_reader import load_config
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
    assert "--from" not in main_tf, "no header naming a flag the user may not have given (FIELD-REPORT 4.7)"
    assert '  # ecsenv: review: was "staging", set for qa\n  environment = "qa"' in main_tf
    assert re.search(r'# ecsenv: review: was "us-east-1", set for qa\n  region += "eu-west-1"', main_tf)
    # a heredoc body is text too: rewritten, with the marker above the line that opens it (never inside)
    assert re.search(r'  # ecsenv: review: was "welcome to "staging"", set for qa\n  motd += <<EOT\nwelcome to "qa"\n',
                     main_tf)
    assert 'module "deployment"' in main_tf and re.search(r"desired += 2", main_tf)
    if shutil.which("terraform"):  # laid out by `terraform fmt`: the marker lines split alignment runs
        assert subprocess.run(["terraform", "fmt", "-check", str(project_dir / "environments" / "qa")]).returncode == 0
    assert [line for line in main_tf.splitlines() if "staging" in line and "ecsenv: review:" not in line] == []
    backend = (project_dir / "environments" / "qa" / "backend.s3.tfbackend").read_text()
    assert 'key            = "qa/terraform.tfstate"' in backend
    config = load_config(str(project_dir / "ecsenv.yaml"))
    assert list(config.environments) == ["staging", "production", "qa"]
    assert config.environments["qa"] == EnvironmentConfig(ACCOUNT, "eu-west-1", promotes_from="staging")
    assert "Next: `ecsenv plan qa`." in out, "the next step is an ecsenv command that works (FIELD-REPORT 2.16)"
    assert "terraform init" not in out


def test_env_add_without_a_source_root_uses_the_starter_template(project_dir, capsys):
    (project_dir / "environments" / "staging" / "main.tf").unlink()
    assert main(["env", "add", "dev", "--account", "210987654321"]) == 0
    assert "starter template" in capsys.readouterr().out
    main_tf = (project_dir / "environments" / "dev" / "main.tf").read_text()
    assert 'backend "s3" {}' in main_tf and 'variable "account_id"' in main_tf
    identity = (project_dir / "environments" / "dev" / "ecsenv.auto.tfvars").read_text()
    assert 'account_id  = "210987654321"' in identity and 'environment = "dev"' in identity


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
    listed = json.loads(capsys.readouterr().out)
    assert listed["format_version"] == 1
    assert [row["name"] for row in listed["environments"]] == ["global_aws", "staging", "production"]


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


@pytest.mark.parametrize("args, message", [
    (["staging"], "production promotes from staging: set another promotes_from in ecsenv.yaml"),
    (["global_aws"], "`env remove` does not remove it"),
    (["nope"], "'nope' is not an environment"),
    (["production"], "confirm with `--yes --confirm production` (no terminal to ask on)"),
    (["production", "--yes"], "confirm with `--yes --confirm production`"),
    (["production", "--yes", "--confirm", "staging"], "--confirm 'staging' does not match the environment"),
])
def test_env_remove_refusals_change_nothing(project_dir, capsys, args, message):
    before = snapshot(project_dir)
    assert main(["env", "remove", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert snapshot(project_dir) == before


def test_env_add_moves_the_vpc_network_clear_of_every_root_and_copies_the_lock_file(project_dir, capsys):
    # per-environment values in a tfvars file (the layout where every root's .tf files are the same)
    staging = project_dir / "environments" / "staging"
    (staging / "env.auto.tfvars").write_text(
        'vpc_cidr = "10.10.0.0/16"\nservices = {\n  web = {\n    environment = { APP_ENV = "staging" }\n  }\n}\n')
    (staging / "ecsenv.auto.tfvars").write_text('environment = "staging"\n')  # generated: never copied
    (staging / ".terraform.lock.hcl").write_text('provider "registry.terraform.io/hashicorp/aws" {}\n')
    production = project_dir / "environments" / "production"
    production.mkdir(exist_ok=True)
    (production / "main.tf").write_text('locals {\n  vpc_cidr = "10.20.0.0/16"\n}\n')  # HCL locals count too
    (project_dir / "environments" / "global_aws" / "main.tf").write_text('module "vpc" {\n  cidr = "10.30.0.0/16"\n}\n')

    assert main(["env", "add", "qa", "--promotes-from", "staging"]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    qa = project_dir / "environments" / "qa"
    tfvars = (qa / "env.auto.tfvars").read_text()
    assert '# ecsenv: review: was "10.10.0.0/16", set for qa\nvpc_cidr = "10.40.0.0/16"\n' in tfvars
    assert 'environment = { APP_ENV = "qa" }' in tfvars
    assert "its VPC network is 10.40.0.0/16 (staging's is 10.10.0.0/16)" in out
    assert (qa / ".terraform.lock.hcl").read_text() == (staging / ".terraform.lock.hcl").read_text()
    # rendered for qa from ecsenv.yaml, not copied from staging
    assert 'environment = "qa"' in (qa / "ecsenv.auto.tfvars").read_text()


def test_env_remove_asks_for_the_name_on_a_terminal(project_dir, capsys, boto, monkeypatch):
    # staging has a root; production, which nothing promotes from, has none and no state: nothing to destroy
    boto.s3.create_bucket(Bucket="acme-tfstate")
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    config_before = (project_dir / "ecsenv.yaml").read_text()
    monkeypatch.setattr("bootstrap.cli.wizard.ask_typed", lambda prompt: "staging")
    assert main(["env", "remove", "production"]) == 2
    assert "not confirmed ('staging' is not 'production'); nothing was changed" in capsys.readouterr().err
    assert (project_dir / "ecsenv.yaml").read_text() == config_before

    monkeypatch.setattr("bootstrap.cli.wizard.ask_typed", lambda prompt: "production")
    assert main(["env", "remove", "production"]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "production has no Terraform root and no resources in its state: nothing to destroy." in out
    assert list(load_config(str(project_dir / "ecsenv.yaml")).environments) == ["staging"]
    assert not (project_dir / "environments" / "production").exists()
    assert "The state bucket acme-tfstate and the lock table acme-lock are unchanged" in out


@pytest.mark.parametrize("inline_key, configured, copied_key, qa_key", [
    ("staging.tfstate", "staging.tfstate", "qa.tfstate", "qa.tfstate"),  # derived from the name: rewritten
    ("shared.tfstate", "shared.tfstate", "qa/terraform.tfstate", None),  # still staging's: qa gets its own
])
def test_env_add_never_points_the_copy_at_another_environment_s_state(project_dir, capsys, inline_key, configured,
                                                                      copied_key, qa_key):
    config_path = project_dir / "ecsenv.yaml"
    config_path.write_text(config_path.read_text().replace(
        "  staging:\n    account_id: '123456789012'\n    region: us-east-1\n",
        f"  staging:\n    account_id: '123456789012'\n    region: us-east-1\n    state_key: {configured}\n"))
    (project_dir / "environments" / "staging" / "main.tf").write_text(
        f'terraform {{\n  backend "s3" {{\n    key = "{inline_key}"\n  }}\n}}\n')
    assert main(["env", "add", "qa", "--from", "staging"]) == 0, capsys.readouterr().err
    main_tf = (project_dir / "environments" / "qa" / "main.tf").read_text()
    assert f'key = "{copied_key}"' in main_tf and "# ecsenv: review: was " in main_tf
    assert load_config(str(config_path)).environments["qa"].state_key == qa_key
    backend = (project_dir / "environments" / "qa" / "backend.s3.tfbackend").read_text()
    assert f'"{copied_key}"' in backend


def test_env_add_help_documents_region_as_the_new_environment_s(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["env", "add", "--help"])
    assert exited.value.code == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--region REGION the new environment's AWS region (default: the state bucket's region)" in help_text
    with pytest.raises(SystemExit):
        main(["env", "remove", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--yes --confirm NAME" in help_text
    assert "The state bucket, the lock table and every object in them are kept" in help_text


def test_env_add_copies_templates_and_nested_files_but_not_terraform_s_working_files(project_dir, capsys):
    staging = project_dir / "environments" / "staging"
    write = {"templates/boot.sh.tftpl": "#!/bin/sh\necho staging > /etc/env\n",
             "policy.tf.json": '{"locals": {"bucket": "acme-staging-logs"}}\n',
             "modules/dns/main.tf": 'locals {\n  zone = "staging.example.com"\n}\n',
             ".terraform/terraform.tfstate": "{}", "terraform.tfstate": "{}", "errored.tfstate.backup": "{}"}
    for relative, text in write.items():
        (staging / relative).parent.mkdir(parents=True, exist_ok=True)
        (staging / relative).write_text(text)
    (staging / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    assert main(["env", "add", "qa", "--from", "staging"]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    qa = project_dir / "environments" / "qa"
    assert sorted(str(path.relative_to(qa)) for path in qa.rglob("*") if path.is_file()) == [
        "backend.s3.tfbackend", "ecsenv.auto.tfvars", "main.tf", "modules/dns/main.tf", "policy.tf.json",
        "templates/boot.sh.tftpl"]  # backend.s3.tfbackend and ecsenv.auto.tfvars: rendered for qa
    assert (qa / "templates/boot.sh.tftpl").read_text() == "#!/bin/sh\necho qa > /etc/env\n"
    assert json.loads((qa / "policy.tf.json").read_text()) == {"locals": {"bucket": "acme-qa-logs"}}
    assert '  # ecsenv: review: was "staging.example.com", set for qa\n' in (qa / "modules/dns/main.tf").read_text()
    assert "with no room for a marker: policy.tf.json, templates/boot.sh.tftpl" in out
    assert "Not copied (not text): logo.png" in out


def test_env_remove_refuses_when_the_state_holds_resources_but_the_root_is_gone(project_dir, capsys, boto):
    boto.s3.create_bucket(Bucket="acme-tfstate")
    state = {"version": 4, "resources": [{"mode": "managed", "type": "aws_ssm_parameter", "name": "a",
                                          "instances": [{"attributes": {}}]},
                                         {"mode": "data", "type": "aws_region", "name": "here", "instances": [{}]}]}
    boto.s3.put_object(Bucket="acme-tfstate", Key="production/terraform.tfstate", Body=json.dumps(state).encode())
    before = snapshot(project_dir)
    assert main(["env", "remove", "production", "--yes", "--confirm", "production"]) == 2
    err = capsys.readouterr().err
    assert "but the state s3://acme-tfstate/production/terraform.tfstate holds 1 resource: restore the root" in err
    assert snapshot(project_dir) == before
