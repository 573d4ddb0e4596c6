"""The guided move from DynamoDB locking to Terraform's S3 lockfile, in two safe steps:
dynamodb -> both (every run takes both locks), then both -> lockfile once every environment that has a state has
taken the lockfile at least once (the bucket's versioning keeps the evidence: `<key>.tflock` versions).
Refused while the table holds an active lock. The table itself is never deleted."""

import json
from concurrent.futures import ThreadPoolExecutor

from bootstrap.aws import call
from bootstrap.errors import OperationFailed
from bootstrap.project.layout import GLOBAL_ENVIRONMENT


def active_locks(aws, state):
    """Lock items currently held in the table (digest items, `...-md5`, are not locks)."""
    ddb = aws.client("dynamodb")
    locks, start = [], None
    while True:
        kwargs = {"TableName": state.lock_table, "ConsistentRead": True}
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = call(ddb.scan, **kwargs, doing=f"reading lock table {state.lock_table}")
        for item in page.get("Items", []):
            if "Info" in item:
                info = _lock_info(item["Info"].get("S", ""))
                locks.append({"lock_id": item["LockID"]["S"], **info})
        start = page.get("LastEvaluatedKey")
        if not start:
            return locks


def _lock_info(text):
    try:
        info = json.loads(text)
    except ValueError:
        return {"who": "unknown", "operation": "unknown", "created": "unknown", "id": ""}
    return {"who": info.get("Who", "unknown"), "operation": info.get("Operation", "unknown"),
            "created": info.get("Created", "unknown"), "id": info.get("ID", "")}


def describe_locks(locks):
    return "; ".join(f"{lock['lock_id']} held by {lock['who']} ({lock['operation']}, since {lock['created']}, "
                     f"lock ID {lock['id']})" for lock in locks)


def environments_without_lockfile(aws, config):
    """Environments that have a state but have never taken the S3 lockfile (their runs have not used `both`)."""
    s3 = aws.client("s3")
    bucket = config.state.bucket

    def has_versions(key):
        # Exactly this key's versions first (a prefix lists `key` before `key.tflock`): one entry answers,
        # however many versions a long-lived state has (a page holds 1000).
        listing = call(s3.list_object_versions, Bucket=bucket, Prefix=key, MaxKeys=1,
                       doing=f"listing {key} in bucket {bucket}")
        return any(entry["Key"] == key for entry in listing.get("Versions", []) + listing.get("DeleteMarkers", []))

    def lacks_lockfile(environment):
        key = config.state_key(environment)
        return has_versions(key) and not has_versions(f"{key}.tflock")

    names = [GLOBAL_ENVIRONMENT, *config.environments]
    with ThreadPoolExecutor(max_workers=min(16, len(names))) as pool:
        lacking = list(pool.map(lacks_lockfile, names))
    return [name for name, lacks in zip(names, lacking) if lacks]


def next_step(aws, config):
    """The locking mode to switch to now, or raise why not. Reads only."""
    state = config.state
    if state.locking == "lockfile":
        return None
    locks = active_locks(aws, state)
    if locks:
        raise OperationFailed(f"the lock table holds an active lock: {describe_locks(locks)}. Wait for it to finish "
                              "(or, if it is stale, `ecsenv tf ENV -- force-unlock LOCK_ID`) and retry")
    if state.locking == "dynamodb":
        return "both"
    lacking = environments_without_lockfile(aws, config)
    if lacking:
        raise OperationFailed(
            f"not yet: {', '.join(lacking)} {'has' if len(lacking) == 1 else 'have'} a state but never took the S3 "
            "lockfile. In each, run `ecsenv plan ENV` (it initialises again with both locks and takes them), then "
            "run this command again")
    return "lockfile"


def keeping_the_table(state):
    """What to tell the user about the table they may now delete (ecsenv never does)."""
    table = state.lock_table
    return (f"The lock table {table} is kept: ecsenv never deletes anything. Keeping it costs next to nothing "
            "(on-demand billing charges only for requests, of which there are no more, and for storage of a few "
            "KB; point-in-time recovery is billed per GB-month of that size). To delete it once no Terraform run "
            f"uses it:\n  aws dynamodb update-table --table-name {table} --no-deletion-protection-enabled\n"
            f"  aws dynamodb delete-table --table-name {table}")
