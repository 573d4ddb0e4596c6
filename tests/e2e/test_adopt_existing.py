"""An existing Terraform repository adopted as it is: its roots declare their own S3 backend inline, under keys of
their own (`global.tfstate`, `apps/live.tfstate`), and were applied with plain terraform before ecsenv. `ecsenv init`
finds and keeps those settings, the backend files it renders name the same keys, and `ecsenv plan` then shows no
changes for what exists (real terraform against the moto server). `ecsenv check` flags an inline key that no longer
agrees with ecsenv.yaml."""

import subprocess
import textwrap

import pytest
import yaml
from conftest import ACCOUNT, terraform_or_skip, write_answers

from bootstrap.cli import main

REGION = "af-south-1"
BUCKET = f"heritage-state-{ACCOUNT}"
KEYS = {"global_aws": "global.tfstate", "live": "apps/live.tfstate"}


def root(key):
    return textwrap.dedent(f"""\
        terraform {{
          backend "s3" {{
            bucket       = "{BUCKET}"
            key          = "{key}"
            region       = "{REGION}"
            use_lockfile = true
          }}
        }}

        resource "terraform_data" "marker" {{
          input = "{key}"
        }}
        """)


def git(repo, *args):
    result = subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def legacy_repo(aws_env, boto, terraform, project_dir, monkeypatch, tmp_path):
    """The repository as its team left it: applied with plain terraform, state under its own keys."""
    terraform_or_skip()
    cli_config = tmp_path / "terraform.rc"
    cli_config.write_text("")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(cli_config))
    boto.client("s3", REGION).create_bucket(Bucket=BUCKET,
                                            CreateBucketConfiguration={"LocationConstraint": REGION})
    for environment, key in KEYS.items():
        directory = project_dir / "environments" / environment
        directory.mkdir(parents=True)
        (directory / "main.tf").write_text(root(key))
        terraform(directory, "init", "-input=false", "-backend-config=use_path_style=true")
        terraform(directory, "apply", "-input=false", "-auto-approve")
    (project_dir / ".gitignore").write_text(".terraform/\n.terraform.lock.hcl\n")
    git(project_dir, "init", "-q", "-b", "main")
    git(project_dir, "add", "-A")
    git(project_dir, "commit", "-qm", "before ecsenv")
    return project_dir


def test_init_keeps_the_existing_backends_and_plan_finds_nothing_to_do(legacy_repo, boto, capsys, tmp_path):
    code = main(["init", "--answers", write_answers(tmp_path, "project: heritage\n"), "--yes"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "Found backends declared by the existing roots" in out and "key=global.tfstate" in out

    config = yaml.safe_load((legacy_repo / "ecsenv.yaml").read_text())
    assert config["state"]["bucket"] == BUCKET and config["state"]["region"] == REGION
    assert config["state"]["locking"] == "lockfile"
    assert config["state"]["global_state_key"] == "global.tfstate"
    assert config["environments"] == {"live": {"account_id": ACCOUNT, "region": REGION,
                                               "state_key": "apps/live.tfstate"}}
    for environment, key in KEYS.items():
        backend = (legacy_repo / "environments" / environment / "backend.s3.tfbackend").read_text()
        assert f'key            = "{key}"' in backend

    # The emulator applies the TLS-only Deny without its condition, refusing all object access (decision 0001).
    boto.client("s3", REGION).delete_bucket_policy(Bucket=BUCKET)
    git(legacy_repo, "add", "-A")
    git(legacy_repo, "commit", "-qm", "adopt ecsenv")
    for environment in KEYS:
        code = main(["plan", environment])
        out, err = capsys.readouterr()
        assert code == 0, out + err
        assert "No changes" in out

    assert "backend" not in " ".join(line for line in _check(capsys) if "inline" in line)
    (legacy_repo / "environments" / "live" / "main.tf").write_text(root("apps/elsewhere.tfstate"))
    findings = _check(capsys)
    assert any("environments/live/main.tf" in line and "key = \"apps/elsewhere.tfstate\" inline" in line
               for line in findings), findings


def _check(capsys):
    main(["check"])
    return capsys.readouterr().out.splitlines()
