"""`ecsenv init` end to end against the moto server: the hardened result, idempotence, merging into an existing
bucket, the refusals, and fault injection. The CLI runs in-process so every AWS call it makes is recorded."""

import json

import pytest
import yaml
from conftest import ACCOUNT, post, write_answers

from bootstrap.cli import main

BUCKET = f"acme-tfstate-{ACCOUNT}"
TABLE = "acme-tfstate-lock"
ANSWERS = """\
project: acme
region: us-east-1
environments: [staging, production]
locking: both
kms_key_id: null
bucket: acme-tfstate-123456789012
lock_table: acme-tfstate-lock
tags: {project: acme, team: platform}
"""


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def init_yes(capsys, project_dir, text=ANSWERS):
    return run(capsys, "init", "--answers", write_answers(project_dir, text), "--yes")


def assert_hardened(boto, bucket=BUCKET, table=TABLE, tags=None):
    s3 = boto.s3
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                     "RestrictPublicBuckets": True}
    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    tls = [st for st in policy["Statement"] if st.get("Sid") == "DenyInsecureTransport"]
    assert tls and tls[0]["Effect"] == "Deny" and tls[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    rules = {rule["ID"]: rule for rule in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
    assert rules["ecsenv-expire-noncurrent-versions"]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 90
    assert rules["ecsenv-abort-incomplete-multipart-uploads"]["AbortIncompleteMultipartUpload"] == {
        "DaysAfterInitiation": 7}
    bucket_tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    for key, value in (tags or {"project": "acme", "team": "platform"}).items():
        assert bucket_tags[key] == value
    if table:
        ddb = boto.dynamodb
        description = ddb.describe_table(TableName=table)["Table"]
        assert description["KeySchema"] == [{"AttributeName": "LockID", "KeyType": "HASH"}]
        assert description["AttributeDefinitions"] == [{"AttributeName": "LockID", "AttributeType": "S"}]
        assert description["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert description["SSEDescription"]["Status"] == "ENABLED"
        assert description["DeletionProtectionEnabled"] is True
        backups = ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
        assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
        listed = ddb.list_tags_of_resource(ResourceArn=description["TableArn"])["Tags"]
        table_tags = {t["Key"]: t["Value"] for t in listed}
        assert table_tags["project"] == "acme"


def object_versions(boto, bucket=BUCKET):
    listing = boto.s3.list_object_versions(Bucket=bucket)
    return sorted((v["Key"], v["VersionId"], v["ETag"], v["Size"]) for v in listing.get("Versions", []))


def test_fresh_init_creates_hardened_backend_and_writes_config(boto, project_dir, capsys, api_calls):
    code, out, err = init_yes(capsys, project_dir)
    assert code == 0, err
    assert_hardened(boto)
    assert "Wrote" in out and "ecsenv.yaml" in out
    config = yaml.safe_load((project_dir / "ecsenv.yaml").read_text())
    assert config["project"] == "acme"
    assert config["state"] == {"account_id": ACCOUNT, "region": "us-east-1", "bucket": BUCKET, "locking": "both",
                               "lock_table": TABLE, "kms_key_id": None,
                               "tags": {"project": "acme", "team": "platform"}}
    assert config["environments"]["production"]["promotes_from"] == "staging"
    assert "promotes_from" not in config["environments"]["staging"]
    assert "CreateBucket" in api_calls.calls and "CreateTable" in api_calls.calls
    assert not [op for op in api_calls.calls if op.startswith("Delete")]


def test_tags_are_sent_on_the_create_calls(boto, project_dir, capsys, monkeypatch):
    """Tag-enforcing SCPs reject untagged creates: the tags must be in CreateBucket and CreateTable themselves."""
    from botocore.client import BaseClient

    sent = {}
    real = BaseClient._make_api_call

    def capture(client, operation, params):
        sent.setdefault(operation, params)
        return real(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", capture)
    assert init_yes(capsys, project_dir)[0] == 0
    assert {"Key": "team", "Value": "platform"} in sent["CreateBucket"]["CreateBucketConfiguration"]["Tags"]
    assert sent["CreateBucket"]["ObjectOwnership"] == "BucketOwnerEnforced"
    assert {"Key": "team", "Value": "platform"} in sent["CreateTable"]["Tags"]


def test_converged_rerun_makes_no_write_call(boto, project_dir, capsys, api_calls):
    assert init_yes(capsys, project_dir)[0] == 0
    config_before = (project_dir / "ecsenv.yaml").read_text()
    api_calls.clear()
    code, out, err = init_yes(capsys, project_dir)
    assert code == 0, err
    assert "Converged" in out
    assert api_calls.writes == []
    assert api_calls.calls, "the re-run must still read what exists"
    assert (project_dir / "ecsenv.yaml").read_text() == config_before


def test_rerun_from_ecsenv_yaml_alone_is_converged(boto, project_dir, capsys, api_calls):
    """Non-interactive re-runs take their answers from the committed ecsenv.yaml."""
    assert init_yes(capsys, project_dir)[0] == 0
    api_calls.clear()
    code, out, err = run(capsys, "init", "--yes")
    assert code == 0, err
    assert api_calls.writes == []
    code, out, err = run(capsys, "init", "--plan")
    assert code == 0, err
    assert "Converged" in out


def test_plan_on_empty_account_lists_changes_exits_3_and_writes_nothing(boto, project_dir, capsys, api_calls):
    code, out, err = run(capsys, "init", "--answers", write_answers(project_dir, ANSWERS), "--plan")
    assert code == 3, err
    assert "+ bucket" in out and "+ versioning" in out and "+ point-in-time recovery" in out
    assert "14 to create, 0 to change, 0 already right." in out
    assert api_calls.writes == []
    assert not (project_dir / "ecsenv.yaml").exists()
    assert boto.s3.list_buckets()["Buckets"] == []


def test_existing_bucket_is_brought_up_to_spec_keeping_others_settings(boto, project_dir, capsys, api_calls):
    s3 = boto.s3
    s3.create_bucket(Bucket=BUCKET, ObjectOwnership="ObjectWriter")
    s3.put_object(Bucket=BUCKET, Key="env/staging/terraform.tfstate", Body=b'{"version": 4}')
    s3.put_object(Bucket=BUCKET, Key="notes.txt", Body=b"keep me")
    others_statement = {"Sid": "AllowAuditRead", "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/audit"},
                        "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [others_statement]}))
    others_rule = {"ID": "archive-logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"},
                   "Expiration": {"Days": 30}}
    s3.put_bucket_lifecycle_configuration(Bucket=BUCKET, LifecycleConfiguration={"Rules": [others_rule]})
    s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": [{"Key": "cost-center", "Value": "42"},
                                                             {"Key": "team", "Value": "old"}]})
    s3.put_bucket_encryption(Bucket=BUCKET, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})
    before = object_versions(boto)
    api_calls.clear()

    code, out, err = run(capsys, "init", "--answers", write_answers(project_dir, ANSWERS), "--plan")
    assert code == 3
    assert "~ object ownership" in out and "ObjectWriter -> BucketOwnerEnforced" in out
    assert "(1 other statement kept)" in out and "(1 other rule kept)" in out
    assert "SSE-KMS aws/s3, bucket key off -> SSE-S3 (AES256)" in out
    assert api_calls.writes == []

    code, out, err = init_yes(capsys, project_dir)
    assert code == 0, err
    assert "CreateBucket" not in api_calls.calls
    assert_hardened(boto)
    policy = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
    assert others_statement in policy["Statement"]
    rules = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert any(rule["ID"] == "archive-logs" and rule["Expiration"] == {"Days": 30} for rule in rules)
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"]}
    assert tags == {"cost-center": "42", "team": "platform", "project": "acme"}
    assert object_versions(boto) == before
    assert not [op for op in api_calls.calls if op.startswith("Delete")]


def test_existing_table_is_brought_up_to_spec(boto, project_dir, capsys):
    # Created with SSE on: moto ignores SSESpecification in UpdateTable, so turning SSE on later is proven by the
    # pure plan test (test_backend_plan.py) rather than here.
    boto.dynamodb.create_table(
        TableName=TABLE, AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}], SSESpecification={"Enabled": True},
        BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
        Tags=[{"Key": "owner", "Value": "dba"}])
    code, out, err = init_yes(capsys, project_dir)
    assert code == 0, err
    assert "PROVISIONED -> PAY_PER_REQUEST" in out
    assert "~ deletion protection" in out and "~ point-in-time recovery" in out
    arn = boto.dynamodb.describe_table(TableName=TABLE)["Table"]["TableArn"]
    tags = {t["Key"]: t["Value"] for t in boto.dynamodb.list_tags_of_resource(ResourceArn=arn)["Tags"]}
    assert tags == {"owner": "dba", "project": "acme", "team": "platform"}
    assert_hardened(boto)


def test_table_with_another_key_is_refused(boto, project_dir, capsys, api_calls):
    boto.dynamodb.create_table(
        TableName=TABLE, AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
    api_calls.clear()
    code, out, err = init_yes(capsys, project_dir)
    assert code == 2
    assert "LockID" in err and TABLE in err
    assert api_calls.writes == []


def test_bucket_in_another_region_is_reported_with_its_real_region(boto, project_dir, capsys, api_calls):
    boto.client("s3", "eu-west-1").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    api_calls.clear()
    code, out, err = init_yes(capsys, project_dir)
    assert code == 2
    assert "already exists in region eu-west-1, not us-east-1" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert api_calls.writes == []
    assert not (project_dir / "ecsenv.yaml").exists()


def test_bucket_answering_403_is_reported_as_inaccessible_not_missing(boto, project_dir, capsys, aws_env,
                                                                      monkeypatch):
    """With moto's IAM enforcement on, a caller without S3 permissions gets 403 for a bucket that exists."""
    import boto3

    iam = boto.iam
    boto.s3.create_bucket(Bucket=BUCKET)
    iam.create_user(UserName="outsider")
    iam.attach_user_policy(UserName="outsider", PolicyArn=iam.create_policy(
        PolicyName="sts-only", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}]}))["Policy"]["Arn"])
    key = iam.create_access_key(UserName="outsider")["AccessKey"]
    post(f"{aws_env}/moto-api/reset-auth", b"0")

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    outsider = boto3.session.Session()  # a new session: boto3's default one caches the old credentials
    assert outsider.client("sts").get_caller_identity()["Arn"].endswith(":user/outsider")
    code, out, err = init_yes(capsys, project_dir)
    assert code == 2, err
    assert f"bucket {BUCKET!r} exists but is not accessible" in err
    assert "does not exist" not in err
    assert not (project_dir / "ecsenv.yaml").exists()


def test_lockfile_mode_creates_no_table(boto, project_dir, capsys, api_calls):
    code, out, err = init_yes(capsys, project_dir, ANSWERS.replace("locking: both", "locking: lockfile"))
    assert code == 0, err
    assert "CreateTable" not in api_calls.calls
    assert boto.dynamodb.list_tables()["TableNames"] == []
    config = yaml.safe_load((project_dir / "ecsenv.yaml").read_text())
    assert config["state"]["locking"] == "lockfile" and "lock_table" not in config["state"]


def test_kms_encryption_uses_the_key_with_a_bucket_key(boto, project_dir, capsys):
    key = boto.kms.create_key()["KeyMetadata"]
    code, out, err = init_yes(capsys, project_dir, ANSWERS.replace("kms_key_id: null", f"kms_key_id: {key['KeyId']}"))
    assert code == 0, err
    rule = boto.s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    # the key id is resolved to its ARN first (kms:DescribeKey), so IAM policies can name it
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]}
    assert rule["BucketKeyEnabled"] is True


def test_a_kms_alias_is_resolved_to_its_key_arn_everywhere(boto, project_dir, capsys):
    key = boto.kms.create_key()["KeyMetadata"]
    boto.kms.create_alias(AliasName="alias/kmscheck-state", TargetKeyId=key["KeyId"])
    code, out, err = init_yes(capsys, project_dir,
                              ANSWERS.replace("kms_key_id: null", "kms_key_id: alias/kmscheck-state"))
    assert code == 0, err
    assert f"KMS key alias/kmscheck-state is {key['Arn']}" in out
    assert yaml.safe_load((project_dir / "ecsenv.yaml").read_text())["state"]["kms_key_id"] == key["Arn"]
    tfvars = (project_dir / "environments" / "global_aws" / "ecsenv.auto.tfvars").read_text()
    assert f'state_kms_key_arn = "{key["Arn"]}"' in tfvars and "alias/" not in tfvars
    table = boto.dynamodb.describe_table(TableName=TABLE)["Table"]
    assert table["SSEDescription"]["KMSMasterKeyArn"] == key["Arn"]


def test_a_kms_key_that_does_not_exist_is_bad_input_before_any_write(boto, project_dir, capsys, api_calls):
    missing_key = ANSWERS.replace("kms_key_id: null", "kms_key_id: alias/kmscheck-nope")
    code, out, err = init_yes(capsys, project_dir, missing_key)
    assert code == 2 and "alias/kmscheck-nope" in err and "does not exist" in err
    assert api_calls.writes == []
    assert not (project_dir / "ecsenv.yaml").exists()


def test_a_lock_table_encrypted_with_another_key_is_a_pending_change(boto, project_dir, capsys):
    ours, theirs = (boto.kms.create_key()["KeyMetadata"] for _ in range(2))
    boto.dynamodb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST", DeletionProtectionEnabled=True,
                               AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
                               KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
                               SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": theirs["Arn"]})
    answers = write_answers(project_dir, ANSWERS.replace("kms_key_id: null", f"kms_key_id: {ours['Arn']}"))
    # --plan: moto's UpdateTable ignores SSESpecification, so the change itself cannot be applied on the emulator
    code, out, err = run(capsys, "init", "--answers", answers, "--yes", "--plan")
    assert code == 3, err
    line = next(line for line in out.splitlines() if "encryption" in line and theirs["Arn"] in line)
    assert ours["Arn"] in line  # SSE on is not enough: the table's key is compared with ours


def test_config_of_another_account_is_refused(boto, project_dir, capsys, api_calls):
    assert init_yes(capsys, project_dir)[0] == 0
    text = (project_dir / "ecsenv.yaml").read_text().replace(ACCOUNT, "999999999999")
    (project_dir / "ecsenv.yaml").write_text(text)
    api_calls.clear()
    code, out, err = run(capsys, "init", "--yes")
    assert code == 2
    assert "is for account 999999999999" in err
    assert api_calls.writes == []


def _count_writes_of_a_full_run(capsys, project_dir, api_calls):
    api_calls.clear()
    assert init_yes(capsys, project_dir)[0] == 0
    return len(api_calls.writes)


@pytest.mark.parametrize("existing_bucket", [False, True], ids=["new-bucket", "existing-bucket-with-objects"])
def test_a_failure_after_each_write_step_then_rerun_converges(boto, project_dir, capsys, api_calls, aws_env,
                                                              existing_bucket):
    def setup():
        post(f"{aws_env}/moto-api/reset")
        (project_dir / "ecsenv.yaml").unlink(missing_ok=True)
        if existing_bucket:
            boto.s3.create_bucket(Bucket=BUCKET)
            boto.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
            boto.s3.put_object(Bucket=BUCKET, Key="env/production/terraform.tfstate", Body=b'{"serial": 7}')
            boto.s3.put_object(Bucket=BUCKET, Key="env/production/terraform.tfstate", Body=b'{"serial": 8}')
            return object_versions(boto)
        return []

    setup()
    total = _count_writes_of_a_full_run(capsys, project_dir, api_calls)
    assert total >= (6 if existing_bucket else 8)
    for failing_write in range(1, total + 1):
        before = setup()
        api_calls.clear(fail_on_write=failing_write)
        code, out, err = init_yes(capsys, project_dir)
        assert code == 1, f"write {failing_write}: {err}"
        assert "injected fault" in err and "Traceback" not in err
        assert not (project_dir / "ecsenv.yaml").exists(), "config must only be written after a successful apply"

        api_calls.clear()
        code, out, err = init_yes(capsys, project_dir)
        assert code == 0, f"re-run after failing write {failing_write}: {err}"
        assert_hardened(boto)
        assert object_versions(boto) == before
        api_calls.clear()
        code, out, err = init_yes(capsys, project_dir)
        assert code == 0 and api_calls.writes == [], f"not converged after failing write {failing_write}"
        assert not [op for op in api_calls.calls if op.startswith("Delete")]


def test_named_profile_from_the_shared_config_files_is_used(boto, project_dir, capsys, monkeypatch, tmp_path):
    s3 = boto.s3  # made while the environment still has the test's own credentials
    (tmp_path / "config").write_text("[profile acme-admin]\nregion = eu-west-1\n")
    (tmp_path / "credentials").write_text("[acme-admin]\naws_access_key_id = testing\n"
                                          "aws_secret_access_key = testing\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    text = ANSWERS.replace("region: us-east-1\n", "region: eu-west-1\nprofile: acme-admin\n")
    code, out, err = init_yes(capsys, project_dir, text)
    assert code == 0, err
    assert s3.get_bucket_location(Bucket=BUCKET)["LocationConstraint"] == "eu-west-1"
    assert "profile" not in (project_dir / "ecsenv.yaml").read_text()  # a per-user choice, not project config


def test_unknown_profile_is_bad_input(boto, project_dir, capsys, api_calls):
    code, out, err = run(capsys, "init", "--profile", "nope", "--answers", write_answers(project_dir, ANSWERS),
                         "--yes")
    assert code == 2
    assert "AWS profile 'nope' is not configured" in err
    assert api_calls.calls == []


def test_missing_credentials_are_reported_in_one_line(boto, project_dir, capsys, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    code, out, err = init_yes(capsys, project_dir)
    assert code == 2
    assert "no AWS credentials found" in err and "Traceback" not in err


def test_adopt_writes_the_adoption_file_once_and_then_leaves_it_to_its_owners(boto, project_dir, capsys):
    code, out, err = run(capsys, "init", "--answers", write_answers(project_dir, ANSWERS), "--yes", "--adopt")
    assert code == 0, err
    path = project_dir / "environments" / "global_aws" / "state_backend.tf"
    text = path.read_text()
    assert text.startswith("# Written once by `ecsenv init --adopt`")
    assert f'id = "{BUCKET}"' in text and f'id = "{TABLE}"' in text and "prevent_destroy = true" in text
    path.write_text(text + '\n# our own addition\n')
    code, out, err = run(capsys, "init", "--yes", "--adopt")
    assert code == 0, err
    assert path.read_text().endswith("# our own addition\n")
