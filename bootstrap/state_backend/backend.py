"""The Terraform state backend: the S3 bucket and DynamoDB lock table, hardened as
docs/decisions/0001-state-backend-bootstrap.md says.

Three steps, kept apart so the middle one is pure and tested without AWS:
  read_backend()  actual state, read concurrently (reads only)
  plan_backend()  desired + actual -> an ordered list of Changes (no I/O)
  apply_changes() one AWS call per Change that needs one, in order; never a Delete* call
Re-running on a converged account plans only "ok" changes, so it makes no write call at all.
"""

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from bootstrap.aws import call, call_until_ready, error_code, failed, http_status, partition
from bootstrap.errors import OperationFailed, UserError

TLS_SID = "DenyInsecureTransport"
NONCURRENT_RULE_ID = "ecsenv-expire-noncurrent-versions"
MULTIPART_RULE_ID = "ecsenv-abort-incomplete-multipart-uploads"
NONCURRENT_DAYS = 90  # old state versions (and every .tflock version) are kept this long, then expire
MULTIPART_DAYS = 7
PUBLIC_ACCESS_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
LOCK_KEY = "LockID"  # the hash key Terraform's S3 backend writes lock items under
# How long a just-created bucket or table may answer "not there yet" before we give up. The Terraform AWS provider
# retries NoSuchBucket on a new bucket for two minutes; S3 documents that bucket configuration changes take time to
# propagate (https://docs.aws.amazon.com/AmazonS3/latest/userguide/Welcome.html#ConsistencyModel). PITR answers
# ContinuousBackupsUnavailableException while a new table's backups are being enabled
# (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateContinuousBackups.html).
NEW_BUCKET_SETTLE_SECONDS = 120
PITR_SETTLE_SECONDS = 300
# CreateBucket with Tags needs s3:TagResource besides s3:CreateBucket
# (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html); a caller without it gets AccessDenied.
ACCESS_DENIED = ("AccessDenied", "AccessDeniedException")


# ---------------------------------------------------------------- desired state


@dataclass(frozen=True)
class DesiredBackend:
    account_id: str
    region: str
    bucket: str
    table: str | None  # None when locking is "lockfile" only
    kms_key_id: str | None
    tags: tuple  # ((key, value), ...) so the dataclass stays hashable
    # False only on the embedded emulator: moto enforces a Deny statement without evaluating its Condition, so the
    # TLS-only statement would refuse every object read and write there (Terraform's state included).
    tls_only: bool = True

    @classmethod
    def from_state_config(cls, state, tls_only=True):
        return cls(account_id=state.account_id, region=state.region, bucket=state.bucket,
                   table=state.lock_table if state.uses_table else None,
                   kms_key_id=state.kms_key_id, tags=tuple(sorted(state.tags.items())), tls_only=tls_only)

    def tls_statement(self):
        arn = f"arn:{partition(self.region)}:s3:::{self.bucket}"
        return {
            "Sid": TLS_SID,
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }

    def encryption_rule(self):
        if self.kms_key_id:
            return {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                           "KMSMasterKeyID": self.kms_key_id},
                    "BucketKeyEnabled": True}
        return {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}

    def lifecycle_rules(self):
        return [
            {"ID": NONCURRENT_RULE_ID, "Status": "Enabled", "Filter": {"Prefix": ""},
             "NoncurrentVersionExpiration": {"NoncurrentDays": NONCURRENT_DAYS}},
            {"ID": MULTIPART_RULE_ID, "Status": "Enabled", "Filter": {"Prefix": ""},
             "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": MULTIPART_DAYS}},
        ]


# ---------------------------------------------------------------- actual state


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


def read_backend(aws, desired):
    """Read what exists, bucket and table concurrently; each one's independent reads concurrently too."""
    with ThreadPoolExecutor(max_workers=12) as pool:
        table_future = pool.submit(_read_table, aws, desired, pool) if desired.table else None
        bucket = _read_bucket(aws, desired, pool)
        table = table_future.result() if table_future else None
    return ActualBackend(bucket=bucket, table=table)


def _read_bucket(aws, desired, pool):
    s3 = aws.client("s3")
    name = desired.bucket
    try:
        head = call(s3.head_bucket, Bucket=name, ExpectedBucketOwner=desired.account_id,
                    missing=("404", "NoSuchBucket", "NotFound"))
    except Exception as exc:  # noqa: BLE001 - 403 (someone else's bucket, or no permission) has its own message
        if http_status(exc) == 403:
            raise UserError(
                f"bucket {name!r} exists but is not accessible to account {desired.account_id}: it belongs to "
                "another account, or this caller lacks s3:ListBucket on it. Choose another bucket name, "
                "or use credentials of the owning account") from None
        raise failed(f"checking bucket {name}", exc) from None
    if head is None:
        return None

    def optional(method, missing_codes, **kwargs):
        return call(method, Bucket=name, ExpectedBucketOwner=desired.account_id, **kwargs, missing=missing_codes,
                    doing=f"reading {method.__name__} of bucket {name}")

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


# ---------------------------------------------------------------- the plan (pure)


@dataclass(frozen=True)
class Change:
    resource: str  # "bucket NAME" / "lock table NAME"
    setting: str
    action: str  # "create" | "change" | "ok"
    before: str
    after: str
    service: str = ""
    operation: str = ""  # the boto3 method; "" when another change's call covers it (or nothing to do)
    params: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def pending(self):
        return self.action != "ok"


def plan_backend(desired, actual):
    changes = _plan_bucket(desired, actual.bucket)
    if desired.table:
        changes += _plan_table(desired, actual.table)
    return changes


def _plan_bucket(desired, state):
    resource = f"bucket {desired.bucket}"
    name = desired.bucket
    new = state is None
    changes = []

    def add(setting, ok, before, after, operation="", **params):
        if ok:
            changes.append(Change(resource, setting, "ok", before, before))
        else:
            action = "create" if new else "change"
            changes.append(Change(resource, setting, action, before, after, "s3", operation,
                                  dict(params, Bucket=name) if operation else {}))

    if new:
        create = {"ObjectOwnership": "BucketOwnerEnforced"}
        configuration = {"Tags": _tag_list(desired.tags)} if desired.tags else {}
        if desired.region != "us-east-1":
            configuration["LocationConstraint"] = desired.region
        if configuration:
            create["CreateBucketConfiguration"] = configuration
        add("bucket", False, "absent", f"created in {desired.region}", "create_bucket", **create)
        state = BucketState(region=desired.region, versioning=None, encryption_rule=None, public_access_block=None,
                            ownership="BucketOwnerEnforced", policy=None, tags=dict(desired.tags))
        changes.append(Change(resource, "object ownership", "create", "absent", "BucketOwnerEnforced (on create)"))
        if desired.tags:
            # Sent on CreateBucket for tag-enforcing SCPs, and put once more: CreateBucket's Tags parameter (2025)
            # is not honoured everywhere (S3-compatible endpoints, the emulator), and this one write is cheaper
            # than finding out on the read-back and making a second pass.
            add("tags", False, "absent", _describe_tags(dict(desired.tags)) + " (on create, then confirmed)",
                "put_bucket_tagging", Tagging={"TagSet": _tag_list(desired.tags)})

    add("versioning", state.versioning == "Enabled", state.versioning or "never enabled", "Enabled",
        "put_bucket_versioning", VersioningConfiguration={"Status": "Enabled"})

    wanted_rule = desired.encryption_rule()
    add("default encryption", _encryption_matches(wanted_rule, state.encryption_rule),
        _describe_encryption(state.encryption_rule), _describe_encryption(wanted_rule),
        "put_bucket_encryption", ServerSideEncryptionConfiguration={"Rules": [wanted_rule]})

    block_all = {flag: True for flag in PUBLIC_ACCESS_FLAGS}
    current_block = state.public_access_block or {}
    add("public access block", all(current_block.get(flag) for flag in PUBLIC_ACCESS_FLAGS),
        _describe_public_access(current_block), _describe_public_access(block_all),
        "put_public_access_block", PublicAccessBlockConfiguration=block_all)

    if not new:
        add("object ownership", state.ownership == "BucketOwnerEnforced",
            state.ownership or "not set (ACLs enabled)", "BucketOwnerEnforced",
            "put_bucket_ownership_controls",
            OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})

    if desired.tls_only:
        merged_policy, policy_ok, others = _merge_policy(state.policy, desired.tls_statement())
        kept = f" ({others} other statement{'s' if others != 1 else ''} kept)" if others else ""
        add("TLS-only policy", policy_ok,
            ("statement " + TLS_SID + " present" if policy_ok else _describe_policy(state.policy)) + kept,
            f"deny non-TLS access (Sid {TLS_SID}){kept}",
            "put_bucket_policy", Policy=json.dumps(merged_policy))
    else:
        changes.append(Change(resource, "TLS-only policy", "ok", "left out on the local emulator (it would enforce "
                              "the Deny without its condition)", ""))

    merged_rules, missing_rules, other_rules = _merge_lifecycle(state.lifecycle_rules, desired.lifecycle_rules())
    kept = f" ({other_rules} other rule{'s' if other_rules != 1 else ''} kept)" if other_rules else ""
    add("lifecycle rules", not missing_rules,
        ("expire noncurrent versions, abort incomplete uploads" if not missing_rules
         else "missing or different: " + ", ".join(missing_rules)) + kept,
        f"noncurrent versions expire after {NONCURRENT_DAYS} days, incomplete uploads abort after "
        f"{MULTIPART_DAYS} days{kept}",
        "put_bucket_lifecycle_configuration", LifecycleConfiguration={"Rules": merged_rules})

    if not new:
        merged_tags = dict(state.tags, **dict(desired.tags))
        add("tags", merged_tags == state.tags, _describe_tags(state.tags), _describe_tags(merged_tags),
            "put_bucket_tagging", Tagging={"TagSet": _tag_list(merged_tags.items())})
    return changes


def _plan_table(desired, state):
    resource = f"lock table {desired.table}"
    name = desired.table
    sse = {"Enabled": True, "SSEType": "KMS"}
    if desired.kms_key_id:
        sse["KMSMasterKeyId"] = desired.kms_key_id
    if state is None:
        create = dict(TableName=name,
                      AttributeDefinitions=[{"AttributeName": LOCK_KEY, "AttributeType": "S"}],
                      KeySchema=[{"AttributeName": LOCK_KEY, "KeyType": "HASH"}],
                      BillingMode="PAY_PER_REQUEST", SSESpecification=sse, DeletionProtectionEnabled=True)
        if desired.tags:
            create["Tags"] = _tag_list(desired.tags)
        changes = [Change(resource, "table", "create", "absent", f"hash key {LOCK_KEY} (string), in {desired.region}",
                          "dynamodb", "create_table", create)]
        for setting, after in (("billing", "on-demand (PAY_PER_REQUEST)"), ("encryption", "SSE with KMS"),
                               ("deletion protection", "on")):
            changes.append(Change(resource, setting, "create", "absent", after + " (on create)"))
        if desired.tags:
            changes.append(Change(resource, "tags", "create", "absent", _describe_tags(dict(desired.tags)) +
                                  " (on create)"))
        changes.append(Change(resource, "point-in-time recovery", "create", "absent", "on", "dynamodb",
                              "update_continuous_backups",
                              dict(TableName=name,
                                   PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})))
        return changes

    if state.key_schema != [(LOCK_KEY, "HASH")] or state.attribute_types.get(LOCK_KEY) != "S":
        raise UserError(f"lock table {name!r} exists but its key is {state.key_schema}; Terraform needs a string "
                        f"hash key {LOCK_KEY!r}. Choose another lock table name")
    changes = []

    def add(setting, ok, before, after, operation, **params):
        if ok:
            changes.append(Change(resource, setting, "ok", before, before))
        else:
            changes.append(Change(resource, setting, "change", before, after, "dynamodb", operation, params))

    add("billing", state.billing_mode == "PAY_PER_REQUEST", state.billing_mode, "PAY_PER_REQUEST",
        "update_table", TableName=name, BillingMode="PAY_PER_REQUEST")
    add("encryption", _table_encryption_matches(desired.kms_key_id, state),
        _describe_table_encryption(state.sse_enabled, state.sse_kms_key_arn),
        _describe_table_encryption(True, desired.kms_key_id), "update_table", TableName=name, SSESpecification=sse)
    add("deletion protection", state.deletion_protection, "on" if state.deletion_protection else "off", "on",
        "update_table", TableName=name, DeletionProtectionEnabled=True)
    add("point-in-time recovery", state.pitr, "on" if state.pitr else "off", "on", "update_continuous_backups",
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    missing = {key: value for key, value in desired.tags if state.tags.get(key) != value}
    add("tags", not missing, _describe_tags(state.tags), _describe_tags(dict(state.tags, **missing)),
        "tag_resource", ResourceArn=state.arn, Tags=_tag_list(missing.items()))
    return changes


def _table_encryption_matches(kms_key_id, state):
    """SSE with KMS on, and with our key when we name one: a table encrypted with another key is not ours to keep.
    (ecsenv init resolves the configured key to its ARN first, so ARNs compare; an unresolved alias cannot.)"""
    if not state.sse_enabled:
        return False
    if kms_key_id and ":key/" in kms_key_id:
        return state.sse_kms_key_arn == kms_key_id
    return True


def _describe_table_encryption(enabled, key_arn):
    if not enabled:
        return "AWS owned key only"
    return f"SSE with KMS key {key_arn}" if key_arn else "SSE with KMS"


def _tag_list(pairs):
    return [{"Key": key, "Value": value} for key, value in pairs]


def _encryption_matches(wanted, actual):
    if not actual:
        return False
    want, have = wanted["ApplyServerSideEncryptionByDefault"], actual.get("ApplyServerSideEncryptionByDefault") or {}
    if want["SSEAlgorithm"] != have.get("SSEAlgorithm"):
        return False
    if want["SSEAlgorithm"] == "aws:kms":
        return want["KMSMasterKeyID"] == have.get("KMSMasterKeyID") and bool(actual.get("BucketKeyEnabled"))
    return True


def _normalise_statement(statement):
    """Statements compare equal when they differ only in list-vs-string spelling or order."""
    normal = dict(statement)
    for key in ("Action", "Resource"):
        value = normal.get(key)
        normal[key] = sorted(value) if isinstance(value, list) else [value]
    return json.dumps(normal, sort_keys=True)


def _merge_policy(policy, statement):
    """(merged policy, already right?, number of others' statements kept). Ours replaces only its own Sid."""
    statements = _statements(policy)
    others = [existing for existing in statements if existing.get("Sid") != TLS_SID]
    ours = [existing for existing in statements if existing.get("Sid") == TLS_SID]
    ok = len(ours) == 1 and _normalise_statement(ours[0]) == _normalise_statement(statement)
    merged = dict(policy or {"Version": "2012-10-17"})
    merged["Statement"] = others + [statement]
    return merged, ok, len(others)


def _rule_matches(wanted, actual):
    for key, value in wanted.items():
        if key == "Filter":
            prefix = (actual.get("Filter") or {}).get("Prefix", actual.get("Prefix", ""))
            if actual.get("Filter") and set(actual["Filter"]) - {"Prefix"} or prefix:
                return False
        elif actual.get(key) != value:
            return False
    return True


def _merge_lifecycle(rules, wanted_rules):
    """(merged rules, IDs of ours missing or different, number of others' rules kept). Merged by rule ID."""
    by_id = {rule.get("ID"): rule for rule in rules}
    missing = [wanted["ID"] for wanted in wanted_rules
               if wanted["ID"] not in by_id or not _rule_matches(wanted, by_id[wanted["ID"]])]
    wanted_ids = {wanted["ID"] for wanted in wanted_rules}
    others = [rule for rule in rules if rule.get("ID") not in wanted_ids]
    return others + wanted_rules, missing, len(others)


def _describe_encryption(rule):
    if not rule:
        return "none"
    default = rule.get("ApplyServerSideEncryptionByDefault") or {}
    if default.get("SSEAlgorithm") == "AES256":
        return "SSE-S3 (AES256)"
    key = default.get("KMSMasterKeyID") or "aws/s3"
    return f"SSE-KMS {key}, bucket key {'on' if rule.get('BucketKeyEnabled') else 'off'}"


def _describe_public_access(block):
    on = sum(1 for flag in PUBLIC_ACCESS_FLAGS if block.get(flag))
    return "all four flags on" if on == 4 else f"{on} of 4 flags on"


def _statements(policy):
    """A policy's statements as a list: IAM also allows one statement written as an object."""
    raw = (policy or {}).get("Statement") or []
    return [raw] if isinstance(raw, dict) else [statement for statement in raw if isinstance(statement, dict)]


def _describe_policy(policy):
    if not policy:
        return "no policy"
    if any(statement.get("Sid") == TLS_SID for statement in _statements(policy)):
        return f"statement {TLS_SID} differs"
    return f"no {TLS_SID} statement"


def _describe_tags(tags):
    return ", ".join(f"{key}={value}" for key, value in sorted(tags.items())) or "none"


# ---------------------------------------------------------------- apply


def apply_changes(aws, changes, on_step=None, on_note=None):
    """Make one call per pending change that owns a call. The bucket's and the table's steps run side by side
    (they are independent); each resource's own steps run in plan order. Returns the number of calls made.
    on_note(text) hears of anything done differently from the plan (an untagged CreateBucket, say)."""
    groups = {}
    for change in changes:
        if change.pending and change.operation:
            groups.setdefault(change.resource, []).append(change)
    if not groups:
        return 0
    with ThreadPoolExecutor(max_workers=len(groups)) as pool:
        futures = [pool.submit(_apply_in_order, aws, group, on_step, on_note) for group in groups.values()]
        outcomes = [(future.exception(), future) for future in futures]
    for error, _ in outcomes:
        if error:
            raise error  # the other resource's steps were finished first, so a re-run has less left to do
    return sum(future.result() for _, future in outcomes)


def _apply_in_order(aws, changes, on_step, on_note):
    created_bucket = False
    for change in changes:
        if on_step:
            on_step(change)
        client = aws.client(change.service)
        doing = f"{change.operation.replace('_', ' ')} on {change.resource}"
        method = getattr(client, change.operation)
        if change.operation == "create_bucket":
            _create_bucket(method, change.params, doing, on_note)
            created_bucket = True
            continue
        not_ready, within = (), 0
        if created_bucket and change.service == "s3":
            not_ready, within = ("NoSuchBucket",), NEW_BUCKET_SETTLE_SECONDS
        elif change.operation == "update_continuous_backups":
            not_ready, within = ("ContinuousBackupsUnavailableException",), PITR_SETTLE_SECONDS
        response = call_until_ready(method, **change.params, not_ready=not_ready, within=within, doing=doing)
        if change.service == "dynamodb" and change.operation in ("create_table", "update_table"):
            call(_wait_until_active, client, change.params["TableName"], response, doing=doing)
    return len(changes)


def _create_bucket(method, params, doing, on_note):
    """CreateBucket, with its tags when the caller may tag (s3:TagResource); refused for that, untagged: the plan's
    PutBucketTagging that follows a tagged create puts the same tags (s3:PutBucketTagging)."""
    tags = (params.get("CreateBucketConfiguration") or {}).get("Tags")
    if not tags:
        return call(method, **params, doing=doing)
    import botocore.exceptions

    try:
        return call(method, **params)
    except botocore.exceptions.ClientError as exc:
        if error_code(exc) not in ACCESS_DENIED:
            raise failed(doing, exc) from None
    untagged = dict(params, CreateBucketConfiguration={
        key: value for key, value in params["CreateBucketConfiguration"].items() if key != "Tags"})
    if not untagged["CreateBucketConfiguration"]:
        del untagged["CreateBucketConfiguration"]
    if on_note:
        on_note(f"CreateBucket with tags was refused (AccessDenied: the caller lacks s3:TagResource); created "
                f"{params['Bucket']} untagged, its tags follow with PutBucketTagging")
    return call(method, **untagged, doing=doing)


def _wait_until_active(ddb, name, response):
    """DynamoDB takes one table update at a time: wait for ACTIVE before the next (only when not ACTIVE yet)."""
    status = (response.get("TableDescription") or {}).get("TableStatus")
    if status == "ACTIVE":
        return
    waiter = ddb.get_waiter("table_exists")
    waiter.wait(TableName=name, WaiterConfig={"Delay": 2, "MaxAttempts": 300})


def converge(aws, desired, changes, on_step=None, on_note=None):
    """Apply the plan, then read back. What AWS did not keep from a create call (an API or emulator that ignores
    tags on CreateBucket, say) gets one more pass of its own calls; anything still different after that fails."""
    apply_changes(aws, changes, on_step, on_note)
    left = [change for change in plan_backend(desired, read_backend(aws, desired)) if change.pending]
    if left:
        apply_changes(aws, left, on_step, on_note)
        left = [change for change in plan_backend(desired, read_backend(aws, desired))
                if change.pending]
    if left:
        raise OperationFailed("after applying, these settings still differ: " +
                              "; ".join(f"{change.resource} {change.setting}" for change in left) +
                              ". Re-run `ecsenv init` to retry")
