"""`ecsenv backend migrate-locking --to lockfile` with real terraform runs in between, on the moto server."""

import json
import textwrap

import yaml
from conftest import ACCOUNT, write_answers

from bootstrap.cli import main

BUCKET = f"acme-tfstate-{ACCOUNT}"
TABLE = "acme-tfstate-lock"
MAIN_TF = textwrap.dedent("""\
    terraform {
      backend "s3" {}
    }

    resource "terraform_data" "marker" {
      input = "x"
    }
    """)


def bootstrap(project_dir, capsys, boto, locking):
    answers = (f"project: acme\nregion: us-east-1\nenvironments: [staging, production]\nlocking: {locking}\n"
               f"bucket: {BUCKET}\nlock_table: {TABLE}\n")
    assert main(["init", "--answers", write_answers(project_dir, answers), "--yes"]) == 0, capsys.readouterr().err
    boto.s3.delete_bucket_policy(Bucket=BUCKET)  # the emulator ignores the TLS statement's condition (see 0001)
    capsys.readouterr()


def migrate(capsys):
    code = main(["backend", "migrate-locking", "--to", "lockfile"])
    out, err = capsys.readouterr()
    return code, out, err


def locking_of(project_dir):
    return yaml.safe_load((project_dir / "ecsenv.yaml").read_text())["state"]["locking"]


def init_and_apply(terraform, root, *extra):
    terraform(root, "init", "-input=false", "-reconfigure", "-backend-config=backend.s3.tfbackend",
              "-backend-config=use_path_style=true", *extra)
    terraform(root, "apply", "-input=false", "-auto-approve")


def test_two_step_migration_from_dynamodb_to_the_lockfile(terraform, boto, project_dir, capsys):
    bootstrap(project_dir, capsys, boto, "dynamodb")
    staging = project_dir / "environments" / "staging"
    (staging / "main.tf").write_text(MAIN_TF)
    init_and_apply(terraform, staging)  # a state that only ever used the DynamoDB lock

    code, out, err = migrate(capsys)
    assert code == 0, err
    assert "dynamodb -> both" in out and locking_of(project_dir) == "both"
    backend = (staging / "backend.s3.tfbackend").read_text()
    assert "use_lockfile   = true" in backend and f'dynamodb_table = "{TABLE}"' in backend

    code, out, err = migrate(capsys)
    assert code == 1
    assert "not yet: staging has a state but never took the S3 lockfile" in err
    assert locking_of(project_dir) == "both"

    init_and_apply(terraform, staging)  # now with both locks
    code, out, err = migrate(capsys)
    assert code == 0, err
    assert "both -> lockfile" in out and locking_of(project_dir) == "lockfile"
    assert f"aws dynamodb delete-table --table-name {TABLE}" in out
    backend = (staging / "backend.s3.tfbackend").read_text()
    assert "dynamodb_table" not in backend and "use_lockfile   = true" in backend
    assert TABLE in boto.dynamodb.list_tables()["TableNames"], "the table is never deleted"
    init_and_apply(terraform, staging)  # works with the lockfile alone

    code, out, err = migrate(capsys)
    assert code == 0 and "already the S3 lockfile only" in out


def test_refused_while_a_lock_is_held(boto, project_dir, capsys, api_calls):
    bootstrap(project_dir, capsys, boto, "both")
    info = {"ID": "5f1c-lock", "Operation": "OperationTypeApply", "Who": "alice@laptop", "Version": "1.11.4",
            "Created": "2026-11-27T08:00:00Z", "Path": f"{BUCKET}/staging/terraform.tfstate"}
    boto.dynamodb.put_item(TableName=TABLE, Item={"LockID": {"S": f"{BUCKET}/staging/terraform.tfstate"},
                                                  "Info": {"S": json.dumps(info)}})
    before = (project_dir / "ecsenv.yaml").read_text()
    api_calls.clear()
    code, out, err = migrate(capsys)
    assert code == 1
    assert "active lock" in err and "alice@laptop" in err and "OperationTypeApply" in err and "5f1c-lock" in err
    assert (project_dir / "ecsenv.yaml").read_text() == before
    assert api_calls.writes == []
