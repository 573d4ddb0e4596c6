"""What was applied where: `ecsenv/applied/<env>/latest.json` and `<sha>.json` (promotion checks `<sha>.json`)."""

import json
from dataclasses import asdict, dataclass

from bootstrap.aws import call
from bootstrap.errors import OperationFailed
from bootstrap.ledger.keys import applied_key
from bootstrap.ledger.objects import NOT_FOUND, get_object, now_iso, put_json


@dataclass(frozen=True)
class ApplyRecord:
    environment: str
    sha: str
    applied_at: str
    by: str
    on_main: bool
    emergency: str | None = None  # the reason given with --emergency, if any


def new_apply_record(environment, sha, by, on_main, emergency=None):
    return ApplyRecord(environment, sha, now_iso(), by, on_main, emergency)


def write_apply_record(aws, bucket, record):
    s3 = aws.client("s3")
    for name in (record.sha, "latest"):
        put_json(s3, bucket, applied_key(record.environment, name), asdict(record),
                 f"recording the apply of {record.sha[:12]} to {record.environment} in bucket {bucket}")


def latest_apply(aws, bucket, environment):
    """The environment's last successful apply, or None when ecsenv never applied it."""
    answer = get_object(aws.client("s3"), bucket, applied_key(environment, "latest"),
                        f"reading what was applied to {environment}")
    if answer is None:
        return None
    try:
        return ApplyRecord(**json.loads(answer["Body"].read()))
    except (ValueError, TypeError) as exc:
        raise OperationFailed(f"the record of what was applied to {environment} (s3://{bucket}/"
                              f"{applied_key(environment, 'latest')}) is not one ecsenv can read: {exc}") from None


def was_applied(aws, bucket, environment, sha):
    return call(aws.client("s3").head_object, Bucket=bucket, Key=applied_key(environment, sha), missing=NOT_FOUND,
                doing=f"checking whether {sha[:12]} was applied to {environment}") is not None
