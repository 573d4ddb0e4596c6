"""Terraform adopts the bootstrapped backend: after `ecsenv init`, real terraform (1.5+ import blocks, the
hashicorp/aws provider from the offline mirror) applies adoption_file()'s HCL against the moto server, importing
every resource and adding, changing and destroying nothing; the next plan is empty. So the HCL describes exactly
what the bootstrap created, for `locking: both` (bucket + table, SSE-S3) and `locking: lockfile` (bucket only,
SSE-KMS with a bucket key)."""

import json
import os
import subprocess
import textwrap

import pytest
from conftest import ACCOUNT, terraform_or_skip, terraform_runner, write_answers

from bootstrap.cli import main
from bootstrap.project.config import ProjectConfig, StateConfig
from bootstrap.project.config_reader import load_config
from bootstrap.project.hcl import hcl_value
from bootstrap.state_backend.adopt import adoption_file

BUCKET = f"acme-tfstate-{ACCOUNT}"
TABLE = "acme-tfstate-lock"
TAGS = "tags: {project: acme, managed-by: ecsenv, cost-centre: platform team}\n"


@pytest.fixture
def terraform(aws_env, tmp_path):
    """Run terraform with the aws provider from the offline filesystem mirror (ECSENV_TF_PROVIDER_MIRROR)."""
    return terraform_runner({"TF_DATA_DIR": str(tmp_path / "tf-data"), "AWS_REGION": "us-east-1"},
                            mirror_required=True, tmp_path=tmp_path)


def provider_tf(endpoint):
    """TEST ONLY: the aws provider pointed at the moto server. The real global_aws root configures its own."""
    return textwrap.dedent(f"""\
        terraform {{
          required_providers {{
            aws = {{
              source = "hashicorp/aws"
            }}
          }}
        }}

        provider "aws" {{
          region                      = "us-east-1"
          access_key                  = "testing"
          secret_key                  = "testing"
          s3_use_path_style           = true
          skip_credentials_validation = true
          skip_requesting_account_id  = true
          skip_metadata_api_check     = true

          endpoints {{
            s3       = "{endpoint}"
            dynamodb = "{endpoint}"
            kms      = "{endpoint}"
            sts      = "{endpoint}"
            iam      = "{endpoint}"
          }}
        }}
        """)


def adopt(terraform, aws_env, project_dir, capsys, answers, imported):
    assert main(["init", "--answers", write_answers(project_dir, answers), "--yes"]) == 0, capsys.readouterr().err
    config = load_config(project_dir / "ecsenv.yaml")

    root = project_dir / "environments" / "global_aws"
    root.mkdir(parents=True, exist_ok=True)
    (root / "state_backend.tf").write_text(adoption_file(config))
    (root / "provider.tf").write_text(provider_tf(aws_env))
    # No backend block: this root keeps its state locally, which is all the import proof needs.

    terraform(root, "fmt", "-check", "-diff", "state_backend.tf")
    terraform(root, "init", "-input=false", "-no-color")
    apply = terraform(root, "apply", "-input=false", "-no-color", "-auto-approve")
    assert (f"Apply complete! Resources: {imported} imported, 0 added, 0 changed, 0 destroyed."
            in apply.stdout), apply.stdout
    plan = terraform(root, "plan", "-input=false", "-no-color", "-detailed-exitcode")  # exit 2 would mean a difference
    assert "No changes." in plan.stdout, plan.stdout
    return terraform(root, "state", "list").stdout.split()


def test_terraform_adopts_bucket_and_lock_table(terraform, aws_env, boto, project_dir, capsys):
    answers = (f"project: acme\nregion: us-east-1\nenvironments: [staging]\nlocking: both\nbucket: {BUCKET}\n"
               f"lock_table: {TABLE}\n" + TAGS)
    resources = adopt(terraform, aws_env, project_dir, capsys, answers, imported=8)
    assert "aws_dynamodb_table.lock" in resources and "aws_s3_bucket_policy.state[0]" in resources
    # Adopted, not replaced: still the table ecsenv made, protected from deletion.
    assert boto.dynamodb.describe_table(TableName=TABLE)["Table"]["DeletionProtectionEnabled"] is True


def test_terraform_adopts_kms_encrypted_bucket_with_lockfile_locking(terraform, aws_env, boto, project_dir, capsys):
    key = boto.kms.create_key(Description="acme state")["KeyMetadata"]
    key_id = key["Arn"]  # init resolves the key id given to the key's ARN (DescribeKey) before anything is created
    answers = (f"project: acme\nregion: us-east-1\nenvironments: [staging]\nlocking: lockfile\nbucket: {BUCKET}\n"
               f"kms_key_id: {key['KeyId']}\n" + TAGS)
    resources = adopt(terraform, aws_env, project_dir, capsys, answers, imported=7)
    assert not any(address.startswith("aws_dynamodb_table") for address in resources), resources
    rule = boto.s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == key_id and rule["BucketKeyEnabled"]


def test_rendering_is_fmt_clean_and_literal_for_every_variant(tmp_path):
    """No provider, no AWS: each variant is `terraform fmt` clean, KMS keys take the form each service reports,
    and odd tag text survives HCL quoting exactly (terraform itself decodes it)."""
    binary = terraform_or_skip()
    (tmp_path / "empty.rc").write_text("")
    env = dict(os.environ, TF_CLI_CONFIG_FILE=str(tmp_path / "empty.rc"), TF_IN_AUTOMATION="1")
    key = "1234abcd-12ab-34cd-56ef-1234567890ab"
    odd = {"cost centre": 'say "hi" ${var.x} %{if} \\ \n', "for": "a", "é": "ü"}
    variants = {
        "key-id": ("both", "us-east-1", key, {}),
        "alias": ("dynamodb", "eu-west-1", "alias/acme-state", odd),
        "gov-arn": ("both", "us-gov-west-1", f"arn:aws-us-gov:kms:us-gov-west-1:{ACCOUNT}:key/{key}", odd),
        "lockfile": ("lockfile", "us-east-1", None, odd),
    }
    texts = {}
    for name, (locking, region, kms, tags) in variants.items():
        state = StateConfig(ACCOUNT, region, BUCKET, locking, TABLE if locking != "lockfile" else None, kms, tags)
        texts[name] = adoption_file(ProjectConfig("acme", state))
        (tmp_path / name).mkdir()
        (tmp_path / name / "state_backend.tf").write_text(texts[name])
        result = subprocess.run([binary, f"-chdir={tmp_path / name}", "fmt", "-check", "-diff"], env=env,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"{name} is not fmt-clean:\n{result.stdout}{result.stderr}"
        assert not texts[name].startswith("# Generated"), "the caller adds the generated-file header"

    # The bucket keeps the key as written; DynamoDB reports the key ARN, so the table names the ARN.
    assert f'kms_master_key_id = "{key}"' in texts["key-id"]
    assert f'kms_key_arn = "arn:aws:kms:us-east-1:{ACCOUNT}:key/{key}"' in texts["key-id"]
    assert 'data "aws_kms_key" "state"' in texts["alias"] and "data.aws_kms_key.state.arn" in texts["alias"]
    assert f'"arn:aws-us-gov:s3:::{BUCKET}/*"' in texts["gov-arn"]
    assert "aws_dynamodb_table" not in texts["lockfile"] and "aws_kms_key" not in texts["lockfile"]
    assert texts["lockfile"].count("prevent_destroy = true") == 1 and texts["key-id"].count("import {") == 8

    # Terraform reads the quoted tag text back to exactly the configured value.
    (tmp_path / "tags").mkdir()
    (tmp_path / "tags" / "main.tf").write_text(f"locals {{\n  tags = {hcl_value(odd, 2)}\n}}\n")
    result = subprocess.run([binary, f"-chdir={tmp_path / 'tags'}", "console"], input="jsonencode(local.tags)\n",
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(json.loads(result.stdout.strip())) == odd
