"""Applying a backend plan: one AWS call per pending Change, the bucket's and the table's steps side by side, the
bucket's settings all at once after its create; never a Delete* call."""

from concurrent.futures import ThreadPoolExecutor

from bootstrap.aws import call, call_until_ready, error_code, failed

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


def apply_changes(aws, changes, on_step=None, on_note=None):
    """Make one call per pending change that owns a call, in as few round trips as the APIs allow: the bucket's and
    the table's steps run side by side (they are independent); a resource's create comes first; after it, the
    bucket's settings are put all at once (each is its own S3 sub-resource, independent of the others, as the
    Terraform AWS provider's separate aws_s3_bucket_* resources are applied in parallel), while the table's updates
    stay one after another (DynamoDB takes one update of a table at a time). Returns the number of calls made.
    on_note(text) hears of anything done differently from the plan (an untagged CreateBucket, say)."""
    groups = {}
    for change in changes:
        if change.pending and change.operation:
            groups.setdefault(change.resource, []).append(change)
    if not groups:
        return 0
    with ThreadPoolExecutor(max_workers=16) as pool:
        futures = [pool.submit(_apply_resource, aws, group, on_step, on_note, pool) for group in groups.values()]
        outcomes = [(future.exception(), future) for future in futures]
    for error, _ in outcomes:
        if error:
            raise error  # the other resource's steps were finished first, so a re-run has less left to do
    return sum(future.result() for _, future in outcomes)


def _apply_resource(aws, changes, on_step, on_note, pool):
    created = False
    first = changes[0]
    if first.operation in ("create_bucket", "create_table"):
        _apply_one(aws, first, False, on_step, on_note)
        created, changes = True, changes[1:]
    if changes and changes[0].service == "s3":
        futures = [pool.submit(_apply_one, aws, change, created, on_step, on_note) for change in changes]
        errors = [future.exception() for future in futures]  # every put has finished, or failed, before we report
        for error in errors:
            if error:
                raise error
    else:
        for change in changes:
            _apply_one(aws, change, created, on_step, on_note)
    return len(changes) + created


def _apply_one(aws, change, created, on_step, on_note):
    if on_step:
        on_step(change)
    client = aws.client(change.service)
    doing = f"{change.operation.replace('_', ' ')} on {change.resource}"
    method = getattr(client, change.operation)
    if change.operation == "create_bucket":
        return _create_bucket(method, change.params, doing, on_note)
    not_ready, within = (), 0
    if created and change.service == "s3":
        not_ready, within = ("NoSuchBucket",), NEW_BUCKET_SETTLE_SECONDS
    elif change.operation == "update_continuous_backups":
        not_ready, within = ("ContinuousBackupsUnavailableException",), PITR_SETTLE_SECONDS
    response = call_until_ready(method, **change.params, not_ready=not_ready, within=within, doing=doing)
    if change.service == "dynamodb" and change.operation in ("create_table", "update_table"):
        call(_wait_until_active, client, change.params["TableName"], response, doing=doing)
    return response


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
    """Apply the plan. No read-back: every call's success answers for its setting (a Put* that returns 200 has
    set it; CreateBucket and CreateTable answer for what they were given: ownership, billing, encryption,
    deletion protection, the table's tags), and the bucket's tags, which CreateBucket's Tags parameter does not
    set everywhere, have their own PutBucketTagging in the plan. A re-run reads everything and shows anything
    that did not stick."""
    apply_changes(aws, changes, on_step, on_note)
