"""`ecsenv env add` then `env remove` of a non-production environment, with real terraform (the aws provider from
the offline mirror) against the moto server: the copy is applied through `ecsenv plan`/`apply` (the next step
`env add` prints), then removed: its resources are destroyed, the state object's versions and the apply records stay
in the bucket, ecsenv.yaml loses only its block (comments kept), its directory is gone. (issue 12; FIELD-REPORT 4.10)

The root is the cheapest one that shows the flow: two SSM parameters, `backend "s3" {}`. Names, like the flow's,
appear nowhere else in the repository."""

import json
import subprocess
import textwrap

import pytest
from conftest import ACCOUNT, mirror_cli_config, mirror_or_skip, terraform_or_skip, write_answers

from bootstrap.cli import main

BUCKET = f"heron-tfstate-{ACCOUNT}"
COMMENT = "# Heron's environments: the scratch one is never promoted.\n"


def git(repo, *args):
    result = subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def root_tf(endpoint):
    return textwrap.dedent(f"""\
        terraform {{
          backend "s3" {{}}
          required_providers {{
            aws = {{
              source  = "hashicorp/aws"
              version = "5.100.0"
            }}
          }}
        }}

        locals {{
          environment = "kestrel"
        }}

        # Test-only provider settings: the emulator.
        provider "aws" {{
          region                      = "us-east-1"
          access_key                  = "testing"
          secret_key                  = "testing"
          skip_credentials_validation = true
          skip_requesting_account_id  = true
          skip_metadata_api_check     = true
          endpoints {{
            ssm = "{endpoint}"
            sts = "{endpoint}"
          }}
        }}

        resource "aws_ssm_parameter" "greeting" {{
          name  = "/heron/kestrel/greeting"
          type  = "String"
          value = "hello from ${{local.environment}}"
        }}

        resource "aws_ssm_parameter" "hostname" {{
          name  = "/heron/kestrel/hostname"
          type  = "String"
          value = "kestrel.heron.example.com"
        }}
        """)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def repo(aws_env, boto, project_dir, capsys, monkeypatch, tmp_path):
    terraform_or_skip()
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", mirror_cli_config(str(tmp_path), mirror_or_skip()))
    answers = (f"project: heron\nregion: us-east-1\nenvironments: [kestrel, harrier]\nlocking: lockfile\n"
               f"bucket: {BUCKET}\n")
    assert main(["init", "--answers", write_answers(tmp_path, answers), "--yes"]) == 0, capsys.readouterr().err
    # The emulator applies the TLS-only Deny without its condition, refusing all object access (see 0001).
    boto.s3.delete_bucket_policy(Bucket=BUCKET)
    (project_dir / "environments" / "kestrel" / "main.tf").write_text(root_tf(aws_env))
    config = project_dir / "ecsenv.yaml"
    config.write_text(config.read_text().replace("environments:\n", COMMENT + "environments:\n"))
    (project_dir / ".gitignore").write_text(".terraform/\n.terraform.lock.hcl\n")
    git(project_dir, "init", "-q", "-b", "main")
    git(project_dir, "add", "-A")
    git(project_dir, "commit", "-q", "-m", "kestrel")
    capsys.readouterr()
    return project_dir


def parameters(boto):
    return sorted(p["Name"] for p in boto.ssm.describe_parameters()["Parameters"])


def test_an_added_environment_is_applied_then_removed_keeping_its_state_versions(repo, boto, capsys):
    code, out, err = run(capsys, "env", "add", "osprey", "--from", "kestrel")
    assert code == 0, err
    assert "Next: `ecsenv plan osprey`." in out
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "osprey")
    code, out, err = run(capsys, "plan", "osprey")
    assert code == 3, out + err
    code, out, err = run(capsys, "apply", "osprey")
    assert code == 0, out + err
    assert parameters(boto) == ["/heron/osprey/greeting", "/heron/osprey/hostname"]
    assert boto.ssm.get_parameter(Name="/heron/osprey/hostname")["Parameter"]["Value"] == "osprey.heron.example.com"
    config_before = (repo / "ecsenv.yaml").read_text()

    code, out, err = run(capsys, "env", "remove", "osprey", "--yes", "--confirm", "osprey")
    assert code == 0, out + err
    assert "Destroying osprey would remove 2 resources:" in out and "aws_ssm_parameter.greeting" in out
    assert f"The state bucket {BUCKET} is unchanged: nothing in it was deleted." in out
    assert parameters(boto) == [], "its resources are destroyed"

    key = "osprey/terraform.tfstate"
    versions = [v for v in boto.s3.list_object_versions(Bucket=BUCKET, Prefix=key)["Versions"] if v["Key"] == key]
    assert len(versions) >= 2, "the destroy adds a version; none is deleted"
    before = next(v for v in versions if not v["IsLatest"] and v["VersionId"] in out)
    state = json.loads(boto.s3.get_object(Bucket=BUCKET, Key=key, VersionId=before["VersionId"])["Body"].read())
    assert {resource["name"] for resource in state["resources"]} == {"greeting", "hostname"}
    assert f"Kept s3://{BUCKET}/{key}: {len(versions)} versions" in out
    records = boto.s3.list_objects_v2(Bucket=BUCKET, Prefix="ecsenv/applied/osprey/")["KeyCount"]
    assert records == 2 and f"Kept s3://{BUCKET}/ecsenv/applied/osprey/: 2 records." in out

    config_after = (repo / "ecsenv.yaml").read_text()
    assert "osprey" not in config_after and COMMENT in config_after
    assert config_after == config_before.replace(config_before[config_before.index("  osprey:"):], "")
    assert not (repo / "environments" / "osprey").exists()
    assert (repo / "environments" / "kestrel" / "main.tf").exists()
