"""The pure part of the backend: desired + actual -> changes, with no AWS involved."""

import json

import pytest

from bootstrap.errors import UserError
from bootstrap.state_backend import plan as backend
from bootstrap.state_backend.actual import ActualBackend, BucketState, TableState
from bootstrap.state_backend.desired import PUBLIC_ACCESS_FLAGS, DesiredBackend

DESIRED = DesiredBackend(account_id="123456789012", region="eu-west-1", bucket="acme-state", table="acme-lock",
                         kms_key_id=None, tags=(("project", "acme"),))


def hardened_bucket(**overrides):
    state = BucketState(
        region="eu-west-1", versioning="Enabled",
        encryption_rule={"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}},
        public_access_block={flag: True for flag in PUBLIC_ACCESS_FLAGS},
        ownership="BucketOwnerEnforced",
        policy={"Version": "2012-10-17", "Statement": [DESIRED.tls_statement()]},
        lifecycle_rules=DESIRED.lifecycle_rules(), tags={"project": "acme"})
    for key, value in overrides.items():
        setattr(state, key, value)
    return state


def hardened_table(**overrides):
    state = TableState(arn="arn:aws:dynamodb:eu-west-1:123456789012:table/acme-lock",
                       key_schema=[("LockID", "HASH")], attribute_types={"LockID": "S"},
                       billing_mode="PAY_PER_REQUEST", sse_enabled=True, deletion_protection=True, pitr=True,
                       tags={"project": "acme"})
    for key, value in overrides.items():
        setattr(state, key, value)
    return state


def by_setting(changes, resource_prefix="bucket"):
    return {change.setting: change for change in changes if change.resource.startswith(resource_prefix)}


def test_converged_backend_plans_nothing():
    changes = backend.plan_backend(DESIRED, ActualBackend(hardened_bucket(), hardened_table()))
    assert changes and not [change for change in changes if change.pending]


def test_empty_account_plans_creates_with_location_constraint_tags_and_ownership():
    changes = backend.plan_backend(DESIRED, ActualBackend(None, None))
    assert all(change.action == "create" for change in changes)
    create = changes[0]
    assert create.operation == "create_bucket"
    assert create.params["CreateBucketConfiguration"]["LocationConstraint"] == "eu-west-1"
    assert create.params["CreateBucketConfiguration"]["Tags"] == [{"Key": "project", "Value": "acme"}]
    assert create.params["ObjectOwnership"] == "BucketOwnerEnforced"
    table = by_setting(changes, "lock table")["table"]
    assert table.params["BillingMode"] == "PAY_PER_REQUEST" and table.params["DeletionProtectionEnabled"] is True
    assert table.params["SSESpecification"]["Enabled"] is True
    operations = [change.operation for change in changes if change.operation]
    assert not [op for op in operations if op.startswith("delete")]


def test_us_east_1_bucket_is_created_without_location_constraint():
    desired = DesiredBackend("123456789012", "us-east-1", "acme-state", None, None, ())
    create = backend.plan_backend(desired, ActualBackend(None, None))[0]
    assert "CreateBucketConfiguration" not in create.params


def test_policy_merge_keeps_other_statements_and_replaces_only_ours():
    others = {"Sid": "Audit", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "s3:Get*",
              "Resource": "arn:aws:s3:::acme-state/*"}
    stale_ours = dict(DESIRED.tls_statement(), Action="s3:GetObject")
    changes = by_setting(backend.plan_backend(DESIRED, ActualBackend(
        hardened_bucket(policy={"Version": "2012-10-17", "Statement": [others, stale_ours]}), hardened_table())))
    change = changes["TLS-only policy"]
    assert change.action == "change"
    statements = json.loads(change.params["Policy"])["Statement"]
    assert statements == [others, DESIRED.tls_statement()]


def test_policy_spelling_differences_are_not_changes():
    ours = dict(DESIRED.tls_statement(), Resource=list(reversed(DESIRED.tls_statement()["Resource"])),
                Action=["s3:*"])
    changes = by_setting(backend.plan_backend(DESIRED, ActualBackend(
        hardened_bucket(policy={"Statement": [ours]}), hardened_table())))
    assert changes["TLS-only policy"].action == "ok"


def test_lifecycle_merge_keeps_others_rules_by_id():
    others = {"ID": "logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 3}}
    changed_ours = dict(DESIRED.lifecycle_rules()[0], NoncurrentVersionExpiration={"NoncurrentDays": 5})
    changes = by_setting(backend.plan_backend(DESIRED, ActualBackend(
        hardened_bucket(lifecycle_rules=[others, changed_ours]), hardened_table())))
    change = changes["lifecycle rules"]
    assert change.action == "change"
    assert change.params["LifecycleConfiguration"]["Rules"] == [others] + DESIRED.lifecycle_rules()


def test_tags_merge_keeps_others_keys():
    changes = by_setting(backend.plan_backend(DESIRED, ActualBackend(
        hardened_bucket(tags={"project": "old", "owner": "me"}), hardened_table())))
    tag_set = changes["tags"].params["Tagging"]["TagSet"]
    assert {"Key": "owner", "Value": "me"} in tag_set and {"Key": "project", "Value": "acme"} in tag_set


def test_kms_encryption_needs_the_key_and_a_bucket_key():
    desired = DesiredBackend("123456789012", "eu-west-1", "acme-state", None, "alias/state", ())
    rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/state"}}
    change = by_setting(backend.plan_backend(desired, ActualBackend(hardened_bucket(encryption_rule=rule), None)))[
        "default encryption"]
    assert change.action == "change" and "bucket key off" in change.before
    assert change.params["ServerSideEncryptionConfiguration"]["Rules"][0]["BucketKeyEnabled"] is True


def test_table_settings_each_get_their_own_update():
    changes = by_setting(backend.plan_backend(DESIRED, ActualBackend(hardened_bucket(), hardened_table(
        billing_mode="PROVISIONED", sse_enabled=False, deletion_protection=False, pitr=False, tags={}))),
        "lock table")
    assert changes["billing"].params == {"TableName": "acme-lock", "BillingMode": "PAY_PER_REQUEST"}
    assert changes["encryption"].params["SSESpecification"] == {"Enabled": True, "SSEType": "KMS"}
    assert changes["deletion protection"].params["DeletionProtectionEnabled"] is True
    assert changes["point-in-time recovery"].operation == "update_continuous_backups"
    assert changes["tags"].params["Tags"] == [{"Key": "project", "Value": "acme"}]


def test_table_with_a_wrong_key_is_refused():
    with pytest.raises(UserError, match="string hash key 'LockID'"):
        backend.plan_backend(DESIRED, ActualBackend(hardened_bucket(), hardened_table(key_schema=[("id", "HASH")])))


def test_lockfile_only_plans_no_table():
    desired = DesiredBackend("123456789012", "eu-west-1", "acme-state", None, None, ())
    changes = backend.plan_backend(desired, ActualBackend(None, None))
    assert not [change for change in changes if change.resource.startswith("lock table")]


def test_china_and_govcloud_regions_use_their_partition_in_the_policy():
    desired = DesiredBackend("123456789012", "cn-north-1", "acme-state", None, None, ())
    assert desired.tls_statement()["Resource"][0] == "arn:aws-cn:s3:::acme-state"


def test_a_policy_with_one_statement_written_as_an_object_is_merged():
    others = {"Sid": "Audit", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
              "Resource": "arn:aws:s3:::acme-state/*"}
    changes = by_setting(backend.plan_backend(DESIRED, ActualBackend(
        hardened_bucket(policy={"Version": "2012-10-17", "Statement": others}), hardened_table())))
    change = changes["TLS-only policy"]
    assert change.action == "change" and "(1 other statement kept)" in change.after
    assert json.loads(change.params["Policy"])["Statement"] == [others, DESIRED.tls_statement()]


def test_the_lock_table_key_is_compared_not_only_sse_on():
    ours = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    theirs = "arn:aws:kms:eu-west-1:123456789012:key/99999999-8888-7777-6666-555555555555"
    desired = DesiredBackend("123456789012", "eu-west-1", "acme-state", "acme-lock", ours, (("project", "acme"),))
    stale = by_setting(backend._plan_table(desired, hardened_table(sse_kms_key_arn=theirs)), "lock table")
    assert stale["encryption"].action == "change"
    assert stale["encryption"].params["SSESpecification"] == {"Enabled": True, "SSEType": "KMS",
                                                              "KMSMasterKeyId": ours}
    same = by_setting(backend._plan_table(desired, hardened_table(sse_kms_key_arn=ours)), "lock table")
    assert not same["encryption"].pending
