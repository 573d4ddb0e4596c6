"""`ecsenv init` through the strict layer (bootstrap/local/strict.py): a new bucket answering NoSuchBucket for a
while, a new table's PITR unavailable for a while, throttling, and a caller without s3:TagResource. Each converges,
as it must on a real account."""

import boto3
import pytest
from conftest import strict_api, write_answers

from bootstrap.cli import main

BUCKET = "strictinit-tfstate-123456789012"
TABLE = "strictinit-tfstate-lock"
ANSWERS = f"""\
project: strictinit
region: us-east-1
environments: [staging, production]
locking: both
kms_key_id: null
bucket: {BUCKET}
lock_table: {TABLE}
tags: {{project: strictinit, team: platform}}
"""


@pytest.fixture
def strict(strict_env):
    # long enough that the first calls after each create surely fall inside the window even on a loaded machine
    strict_api(strict_env, "config", bucket_seconds=1.5, pitr_seconds=1.5)
    return strict_env


def client(service, endpoint):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1")


def init(capsys, project_dir):
    code = main(["init", "--answers", write_answers(project_dir, ANSWERS), "--yes"])
    out, err = capsys.readouterr()
    return code, out, err


def assert_converged(endpoint):
    s3, ddb = client("s3", endpoint), client("dynamodb", endpoint)
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    assert {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"]} == {
        "project": "strictinit", "team": "platform"}
    backups = ddb.describe_continuous_backups(TableName=TABLE)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_init_waits_out_a_new_bucket_and_a_new_tables_pitr(strict, project_dir, capsys, api_calls):
    code, out, err = init(capsys, project_dir)
    assert code == 0, err
    assert_converged(strict)
    # the layer refused the first tries (each retry is a call of its own) and init retried them
    assert api_calls.calls.count("UpdateContinuousBackups") >= 2
    after_create = api_calls.calls[api_calls.calls.index("CreateBucket") + 1:]
    assert any(after_create.count(op) >= 2 for op in set(after_create) if op.startswith("PutBucket"))
    rerun = main(["init", "--answers", write_answers(project_dir, ANSWERS), "--yes", "--plan"])
    assert rerun == 0, capsys.readouterr()


def test_init_rides_out_throttling(strict, project_dir, capsys):
    strict_api(strict, "throttle", count=2, service="s3")
    code, out, err = init(capsys, project_dir)
    assert code == 0, err
    assert_converged(strict)
    strict_api(strict, "throttle", count=2, service="dynamodb")
    assert main(["init", "--answers", write_answers(project_dir, ANSWERS), "--yes", "--plan"]) == 0


def test_a_caller_without_tag_resource_gets_an_untagged_create_and_put_tags(strict, project_dir, capsys):
    strict_api(strict, "deny", actions=["s3:TagResource"])
    code, out, err = init(capsys, project_dir)
    assert code == 0, err
    assert "note: CreateBucket with tags was refused" in out and "s3:TagResource" in out
    assert_converged(strict)
