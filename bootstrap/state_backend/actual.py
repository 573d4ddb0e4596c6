"""The state backend as it is: the bucket's and the table's settings, read concurrently (reads only)."""

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from bootstrap.aws import call, failed, http_status
from bootstrap.errors import OperationFailed, UserError


@dataclass
class BucketState:
    region: str
    versioning: str | None
    encryption_rule: dict | None
    public_access_block: dict | None
    ownership: str | None
    policy: dict | None
    lifecycle_rules: list = field(default_factory=list)
    tags: dict = field(default_factory=dict)


@dataclass
class TableState:
    arn: str
    key_schema: list
    attribute_types: dict
    billing_mode: str
    sse_enabled: bool
    deletion_protection: bool
    pitr: bool
    tags: dict = field(default_factory=dict)
    sse_kms_key_arn: str | None = None  # SSEDescription.KMSMasterKeyArn: the key the table is encrypted with


@dataclass
class ActualBackend:
    bucket: BucketState | None
    table: TableState | None


def read_backend(aws, desired, owner=None):
    """Read what exists, bucket and table concurrently; each one's independent reads concurrently too: two round
    trips at most (HeadBucket and DescribeTable, then the details of what exists).

    owner: when desired.account_id is None (a first `ecsenv init`, whose STS call runs side by side with these
    reads), a function answering the caller's account; the bucket's detail reads wait for it, so that each names
    the ExpectedBucketOwner (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html)."""
    with ThreadPoolExecutor(max_workers=12) as pool:
        table_future = pool.submit(_read_table, aws, desired, pool) if desired.table else None
        bucket = _read_bucket(aws, desired, pool, owner)
        table = table_future.result() if table_future else None
    return ActualBackend(bucket=bucket, table=table)


def _not_accessible(name, account_id):
    return UserError(f"bucket {name!r} exists but is not accessible to account {account_id}: it belongs to "
                     "another account, or this caller lacks s3:ListBucket on it. Choose another bucket name, "
                     "or use credentials of the owning account")


def _read_bucket(aws, desired, pool, owner=None):
    s3 = aws.client("s3")
    name = desired.bucket
    expected = {"ExpectedBucketOwner": desired.account_id} if desired.account_id else {}
    try:
        head = call(s3.head_bucket, Bucket=name, **expected, missing=("404", "NoSuchBucket", "NotFound"))
    except Exception as exc:  # noqa: BLE001 - 403 (someone else's bucket, or no permission) has its own message
        if http_status(exc) == 403:
            raise _not_accessible(name, desired.account_id or owner()) from None
        raise failed(f"checking bucket {name}", exc) from None
    if head is None:
        return None
    account_id = desired.account_id or owner()

    def optional(method, missing_codes, **kwargs):
        try:
            return call(method, Bucket=name, ExpectedBucketOwner=account_id, **kwargs, missing=missing_codes)
        except Exception as exc:  # noqa: BLE001 - a bucket HeadBucket could see without naming the owner
            if http_status(exc) == 403 and not expected:
                raise _not_accessible(name, account_id) from None
            raise failed(f"reading {method.__name__} of bucket {name}", exc) from None

    futures = {
        "location": pool.submit(optional, s3.get_bucket_location, ()),
        "versioning": pool.submit(optional, s3.get_bucket_versioning, ()),
        "encryption": pool.submit(optional, s3.get_bucket_encryption,
                                  ("ServerSideEncryptionConfigurationNotFoundError",)),
        "pab": pool.submit(optional, s3.get_public_access_block, ("NoSuchPublicAccessBlockConfiguration",)),
        "ownership": pool.submit(optional, s3.get_bucket_ownership_controls, ("OwnershipControlsNotFoundError",)),
        "policy": pool.submit(optional, s3.get_bucket_policy, ("NoSuchBucketPolicy",)),
        "lifecycle": pool.submit(optional, s3.get_bucket_lifecycle_configuration, ("NoSuchLifecycleConfiguration",)),
        "tagging": pool.submit(optional, s3.get_bucket_tagging, ("NoSuchTagSet",)),
    }
    got = {key: future.result() for key, future in futures.items()}

    real_region = _location_region(got["location"])
    if real_region != desired.region:
        raise UserError(f"bucket {name!r} already exists in region {real_region}, not {desired.region}: "
                        f"set the region to {real_region} or choose another bucket name")
    encryption_rules = ((got["encryption"] or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
    ownership_rules = ((got["ownership"] or {}).get("OwnershipControls") or {}).get("Rules") or []
    policy_text = (got["policy"] or {}).get("Policy")
    try:
        policy = json.loads(policy_text) if policy_text else None
    except ValueError:
        raise OperationFailed(f"bucket {name!r} has a policy that is not valid JSON; fix it by hand first") from None
    return BucketState(
        region=real_region,
        versioning=(got["versioning"] or {}).get("Status"),
        encryption_rule=encryption_rules[0] if encryption_rules else None,
        public_access_block=(got["pab"] or {}).get("PublicAccessBlockConfiguration"),
        ownership=ownership_rules[0].get("ObjectOwnership") if ownership_rules else None,
        policy=policy,
        lifecycle_rules=(got["lifecycle"] or {}).get("Rules") or [],
        tags={tag["Key"]: tag["Value"] for tag in (got["tagging"] or {}).get("TagSet") or []},
    )


def _location_region(location):
    constraint = (location or {}).get("LocationConstraint")
    if not constraint:
        return "us-east-1"  # S3 reports us-east-1 as an empty constraint
    if constraint == "EU":
        return "eu-west-1"  # the legacy name S3 still reports for old eu-west-1 buckets
    return constraint


def _read_table(aws, desired, pool):
    ddb = aws.client("dynamodb")
    name = desired.table
    described = call(ddb.describe_table, TableName=name, missing=("ResourceNotFoundException",),
                     doing=f"reading lock table {name}")
    if described is None:
        return None
    table = described["Table"]

    def read(method, **kwargs):
        return call(method, **kwargs, doing=f"reading {method.__name__} of lock table {name}")

    backups = pool.submit(read, ddb.describe_continuous_backups, TableName=name)
    tags = pool.submit(read, ddb.list_tags_of_resource, ResourceArn=table["TableArn"])
    pitr = (backups.result()["ContinuousBackupsDescription"].get("PointInTimeRecoveryDescription") or {})
    return TableState(
        arn=table["TableArn"],
        key_schema=[(key["AttributeName"], key["KeyType"]) for key in table["KeySchema"]],
        attribute_types={attr["AttributeName"]: attr["AttributeType"] for attr in table["AttributeDefinitions"]},
        billing_mode=(table.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED"),
        sse_enabled=(table.get("SSEDescription") or {}).get("Status") in ("ENABLED", "ENABLING", "UPDATING"),
        sse_kms_key_arn=(table.get("SSEDescription") or {}).get("KMSMasterKeyArn"),
        deletion_protection=bool(table.get("DeletionProtectionEnabled")),
        pitr=pitr.get("PointInTimeRecoveryStatus") == "ENABLED",
        tags={tag["Key"]: tag["Value"] for tag in tags.result().get("Tags") or []},
    )
