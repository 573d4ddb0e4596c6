"""What was applied where, recorded in the state bucket under `ecsenv/applied/<env>/`: `latest.json` (what the
environment runs now) and `<sha>.json` (proof that this SHA was applied there; promotion checks it). The bucket's
versioning keeps every earlier record."""

import datetime
import json
from dataclasses import asdict, dataclass

from bootstrap.aws import call, error_code, failed
from bootstrap.errors import OperationFailed

PREFIX = "ecsenv/applied"


@dataclass(frozen=True)
class ApplyRecord:
    environment: str
    sha: str
    applied_at: str
    by: str
    on_main: bool
    emergency: str | None = None  # the reason given with --emergency, if any


def new_record(environment, sha, by, on_main, emergency=None):
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
    return ApplyRecord(environment, sha, now, by, on_main, emergency)


def _key(environment, name):
    return f"{PREFIX}/{environment}/{name}.json"


def write(aws, bucket, record):
    s3 = aws.client("s3")
    body = json.dumps(asdict(record), indent=2).encode("utf-8")
    for name in (record.sha, "latest"):
        try:
            call(s3.put_object, Bucket=bucket, Key=_key(record.environment, name), Body=body,
                 ContentType="application/json")
        except Exception as exc:  # noqa: BLE001
            raise failed(f"recording the apply of {record.sha[:12]} to {record.environment} in bucket {bucket}",
                         exc) from None


def latest(aws, bucket, environment):
    """The environment's last successful apply, or None when ecsenv never applied it."""
    s3 = aws.client("s3")
    try:
        body = call(s3.get_object, Bucket=bucket, Key=_key(environment, "latest"))["Body"].read()
    except Exception as exc:  # noqa: BLE001
        if error_code(exc) in ("NoSuchKey", "404"):
            return None
        raise failed(f"reading what was applied to {environment}", exc) from None
    try:
        return ApplyRecord(**json.loads(body))
    except (ValueError, TypeError) as exc:
        raise OperationFailed(f"the record of what was applied to {environment} "
                              f"(s3://{bucket}/{_key(environment, 'latest')}) is not one ecsenv can read: {exc}") from None


def was_applied(aws, bucket, environment, sha):
    s3 = aws.client("s3")
    try:
        call(s3.head_object, Bucket=bucket, Key=_key(environment, sha))
        return True
    except Exception as exc:  # noqa: BLE001
        if error_code(exc) in ("NoSuchKey", "404", "NotFound"):
            return False
        raise failed(f"checking whether {sha[:12]} was applied to {environment}", exc) from None
