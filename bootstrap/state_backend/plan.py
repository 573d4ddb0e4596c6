"""desired + actual -> an ordered list of Changes, each carrying the one AWS call that makes it (pure: no I/O).
Re-running on a converged account plans only "ok" changes, so it makes no write call at all."""

import json
from dataclasses import dataclass, field

from bootstrap.errors import UserError
from bootstrap.state_backend.actual import BucketState
from bootstrap.state_backend.desired import (
    LOCK_KEY,
    MULTIPART_DAYS,
    NONCURRENT_DAYS,
    PUBLIC_ACCESS_FLAGS,
    TLS_SID,
)


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
