"""The bootstrapped backend used by real terraform (1.10+) against the moto server: state lands under its key, and
both locks are taken (the S3 lockfile and the DynamoDB table) as the `both` locking mode promises."""

import textwrap

from conftest import ACCOUNT, write_answers

from bootstrap.cli import main

BUCKET = f"acme-tfstate-{ACCOUNT}"
TABLE = "acme-tfstate-lock"
KEY = "staging/terraform.tfstate"


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


def test_lockfile_only_backend_with_a_kms_key(terraform, boto, project_dir, capsys):
    key = boto.kms.create_key()["KeyMetadata"]
    key_id = key["KeyId"]
    answers = ("project: acme\nregion: us-east-1\nenvironments: [staging]\nlocking: lockfile\n"
               f"bucket: {BUCKET}\nkms_key_id: {key_id}\n")
    assert main(["init", "--answers", write_answers(project_dir, answers), "--yes"]) == 0, capsys.readouterr().err
    boto.s3.delete_bucket_policy(Bucket=BUCKET)  # see the first test: the emulator ignores the TLS condition
    root = project_dir / "environments" / "staging"
    backend = (root / "backend.s3.tfbackend").read_text()
    # init resolved the key id to its ARN (kms:DescribeKey): the backend config names the key ARN
    assert f'kms_key_id     = "{key["Arn"]}"' in backend and "dynamodb_table" not in backend
    (root / "main.tf").write_text('terraform {\n  backend "s3" {}\n}\n\nresource "terraform_data" "marker" {\n'
                                  '  input = "kms"\n}\n')
    terraform(root, "init", "-input=false", "-backend-config=backend.s3.tfbackend",
              "-backend-config=use_path_style=true")
    terraform(root, "apply", "-input=false", "-auto-approve")
    head = boto.s3.head_object(Bucket=BUCKET, Key=KEY)
    assert head["ServerSideEncryption"] == "aws:kms" and key_id in head["SSEKMSKeyId"]


def test_terraform_state_goes_through_the_strict_layer(strict_terraform, strict_env, project_dir, capsys):
    """Terraform's S3 backend (state PutObject, the lockfile's conditional PutObject, DynamoDB locks) through the
    strict layer, right after `ecsenv init` created the bucket and table there."""
    import boto3

    answers = ("project: acme\nregion: us-east-1\nenvironments: [staging]\nlocking: both\n"
               f"bucket: {BUCKET}\nlock_table: {TABLE}\n")
    assert main(["init", "--answers", write_answers(project_dir, answers), "--yes"]) == 0, capsys.readouterr().err
    s3 = boto3.client("s3", endpoint_url=strict_env, region_name="us-east-1")
    s3.delete_bucket_policy(Bucket=BUCKET)  # see the first test: the emulator ignores the TLS condition
    root = project_dir / "environments" / "staging"
    (root / "main.tf").write_text('terraform {\n  backend "s3" {}\n}\n\nresource "terraform_data" "marker" {\n'
                                  '  input = "strict"\n}\n')
    strict_terraform(root, "init", "-input=false", "-backend-config=backend.s3.tfbackend",
                     "-backend-config=use_path_style=true")
    strict_terraform(root, "apply", "-input=false", "-auto-approve")
    assert b'"strict"' in s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read()
