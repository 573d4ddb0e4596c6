"""The bootstrapped backend used by real terraform (1.10+) against the moto server: state lands under its key, and
both locks are taken (the S3 lockfile and the DynamoDB table) as the `both` locking mode promises."""

import os
import subprocess
import textwrap

import pytest

from bootstrap.cli import main
from conftest import ACCOUNT, terraform_or_skip, write_answers

BUCKET = f"acme-tfstate-{ACCOUNT}"
TABLE = "acme-tfstate-lock"
KEY = "staging/terraform.tfstate"


@pytest.fixture
def terraform(aws_env, tmp_path):
    binary = terraform_or_skip()
    cli_config = tmp_path / "terraform.rc"
    mirror = os.environ.get("ECSENV_TF_PROVIDER_MIRROR")
    # Only a filesystem mirror: no registry is reachable here. This root needs no provider (terraform_data is
    # built in); the mirror keeps terraform from ever trying the network.
    cli_config.write_text(textwrap.dedent(f"""\
        provider_installation {{
          filesystem_mirror {{
            path = "{mirror or tmp_path / 'no-mirror'}"
          }}
        }}
        """))
    env = dict(os.environ, TF_CLI_CONFIG_FILE=str(cli_config), TF_IN_AUTOMATION="1", NO_COLOR="1",
               AWS_ENDPOINT_URL_S3=aws_env, AWS_ENDPOINT_URL_DYNAMODB=aws_env, AWS_ENDPOINT_URL_STS=aws_env,
               AWS_REGION="us-east-1")

    def run(root, *args):
        result = subprocess.run([binary, f"-chdir={root}", *args], env=env, capture_output=True, text=True,
                                timeout=300, stdin=subprocess.DEVNULL)
        assert result.returncode == 0, f"terraform {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result

    return run


def test_terraform_keeps_state_in_the_bootstrapped_backend_with_both_locks(terraform, boto, project_dir, capsys):
    answers = ("project: acme\nregion: us-east-1\nenvironments: [staging, production]\nlocking: both\n"
               f"bucket: {BUCKET}\nlock_table: {TABLE}\n")
    assert main(["init", "--answers", write_answers(project_dir, answers), "--yes"]) == 0, capsys.readouterr().err
    # The emulator applies Deny statements without evaluating their Condition, so the TLS-only statement would
    # refuse terraform's (plain-HTTP, local) object access here; on AWS it only refuses non-TLS requests.
    boto.s3.delete_bucket_policy(Bucket=BUCKET)

    main_tf = textwrap.dedent("""\
        terraform {
          required_version = ">= 1.10"
          backend "s3" {}
        }

        resource "terraform_data" "marker" {
          input = "bootstrapped"
        }

        output "marker" {
          value = terraform_data.marker.output
        }
        """)
    # Every rendered backend config initialises for real; path-style addressing is the emulator's need only.
    for environment in ("global_aws", "staging", "production"):
        root = project_dir / "environments" / environment
        assert (root / "backend.s3.tfbackend").exists()
        (root / "main.tf").write_text(main_tf)
        terraform(root, "init", "-input=false", "-backend-config=backend.s3.tfbackend",
                  "-backend-config=use_path_style=true")

    root = project_dir / "environments" / "staging"
    terraform(root, "apply", "-input=false", "-auto-approve")
    assert "bootstrapped" in terraform(root, "output", "-raw", "marker").stdout

    keys = [obj["Key"] for obj in boto.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert KEY in keys
    versions = boto.s3.list_object_versions(Bucket=BUCKET)
    lock_keys = {v["Key"] for v in versions.get("Versions", []) + versions.get("DeleteMarkers", [])}
    assert f"{KEY}.tflock" in lock_keys, "the S3 lockfile was never taken"
    assert f"{KEY}.tflock" not in keys, "the S3 lockfile was not released"
    items = boto.dynamodb.scan(TableName=TABLE)["Items"]
    assert {"S": f"{BUCKET}/{KEY}-md5"} in [item["LockID"] for item in items], "the DynamoDB lock table was not used"
