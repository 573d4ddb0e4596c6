"""Everything ecsenv keeps under the state bucket's `ecsenv/` prefix (the IAM policies of environments/global_aws
grant exactly these prefixes; docs/stack.md lists them):

- `ecsenv/applied/<env>/latest.json` and `<sha>.json`: what was applied where (promotion checks `<sha>.json`);
- `ecsenv/deployed/<env>/<time>-<sha>.json`: one object per deploy (rollback and status read them);
- `ecsenv/deploy-locks/<env>.json`: one deploy per environment at a time.

The bucket's versioning keeps every earlier record."""

import datetime
import json
import os
import socket
from dataclasses import asdict, dataclass

from bootstrap.aws import call, error_code, failed, pages
from bootstrap.errors import OperationFailed

ROOT = "ecsenv"
APPLIED_PREFIX = f"{ROOT}/applied"
DEPLOYED_PREFIX = f"{ROOT}/deployed"
LOCK_PREFIX = f"{ROOT}/deploy-locks"
PREFIX = APPLIED_PREFIX  # the first version's name
NOT_FOUND = ("NoSuchKey", "404", "NotFound")


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


# ---------------------------------------------------------------- apply records


@dataclass(frozen=True)
class ApplyRecord:
    environment: str
    sha: str
    applied_at: str
    by: str
    on_main: bool
    emergency: str | None = None  # the reason given with --emergency, if any


def new_record(environment, sha, by, on_main, emergency=None):
    return ApplyRecord(environment, sha, now_iso(), by, on_main, emergency)


def _key(environment, name):
    return f"{APPLIED_PREFIX}/{environment}/{name}.json"


def write(aws, bucket, record):
    s3 = aws.client("s3")
    body = json.dumps(asdict(record), indent=2).encode("utf-8")
    for name in (record.sha, "latest"):
        call(s3.put_object, Bucket=bucket, Key=_key(record.environment, name), Body=body,
             ContentType="application/json",
             doing=f"recording the apply of {record.sha[:12]} to {record.environment} in bucket {bucket}")


def latest(aws, bucket, environment):
    """The environment's last successful apply, or None when ecsenv never applied it."""
    answer = call(aws.client("s3").get_object, Bucket=bucket, Key=_key(environment, "latest"), missing=NOT_FOUND,
                  doing=f"reading what was applied to {environment}")
    if answer is None:
        return None
    try:
        return ApplyRecord(**json.loads(answer["Body"].read()))
    except (ValueError, TypeError) as exc:
        raise OperationFailed(f"the record of what was applied to {environment} (s3://{bucket}/"
                              f"{_key(environment, 'latest')}) is not one ecsenv can read: {exc}") from None


def was_applied(aws, bucket, environment, sha):
    return call(aws.client("s3").head_object, Bucket=bucket, Key=_key(environment, sha), missing=NOT_FOUND,
                doing=f"checking whether {sha[:12]} was applied to {environment}") is not None


# ---------------------------------------------------------------- deploy history


def read_history(aws, bucket, environment):
    """[{"sha", "at"}...] oldest first. Each deploy is one object whose key carries its time and SHA, so recording
    is a single write (no read-modify-write) and reading the history needs no object bodies."""
    prefix = f"{DEPLOYED_PREFIX}/{environment}/"
    contents = pages(aws.client("s3"), "list_objects_v2", "Contents", f"reading the deploy history of {environment}",
                     Bucket=bucket, Prefix=prefix)
    history = []
    for key in sorted(entry["Key"] for entry in contents):
        at, _, sha = key[len(prefix):].removesuffix(".json").partition("-")
        history.append({"at": at, "sha": sha})
    return history


def read_deploy_entry(aws, bucket, environment, at, sha):
    """The body of one deploy record of read_history ({} when it is gone or not JSON)."""
    answer = call(aws.client("s3").get_object, Bucket=bucket, Key=f"{DEPLOYED_PREFIX}/{environment}/{at}-{sha}.json",
                  missing=NOT_FOUND, doing=f"reading the deploy record of {sha[:12]} in {environment}")
    try:
        return json.loads(answer["Body"].read()) if answer else {}
    except ValueError:
        return {}


def record_deploy(aws, bucket, environment, entry):
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    key = f"{DEPLOYED_PREFIX}/{environment}/{stamp}-{entry['sha']}.json"
    call(aws.client("s3").put_object, Bucket=bucket, Key=key, Body=json.dumps(entry, indent=2).encode(),
         ContentType="application/json", doing=f"recording the deploy of {entry['sha'][:12]} to {environment}")


def environment_records(aws, bucket, environment):
    """{prefix or key: how many objects} of what the ledger holds for one environment (apply records, deploy
    history, its deploy lock), listed for `env remove` to say what it keeps."""
    s3 = aws.client("s3")
    found = {}
    for prefix in (f"{APPLIED_PREFIX}/{environment}/", f"{DEPLOYED_PREFIX}/{environment}/",
                   f"{LOCK_PREFIX}/{environment}.json"):
        contents = pages(s3, "list_objects_v2", "Contents", f"listing the records of {environment} in bucket {bucket}",
                         Bucket=bucket, Prefix=prefix)
        if contents:
            found[prefix] = len(contents)
    return found


# ---------------------------------------------------------------- the deploy lock


class DeployLock:
    """One deploy per environment at a time: a conditional write (If-None-Match) of a lock object in the state
    bucket, released on every exit path."""

    def __init__(self, aws, bucket, environment, owner):
        self.s3, self.bucket, self.environment, self.owner = aws.client("s3"), bucket, environment, owner
        self.key = f"{LOCK_PREFIX}/{environment}.json"

    def __enter__(self):
        body = json.dumps({"owner": self.owner, "host": socket.gethostname(), "pid": os.getpid(),
                           "started": now_iso()})
        try:
            call(self.s3.put_object, Bucket=self.bucket, Key=self.key, Body=body.encode(), IfNoneMatch="*")
        except Exception as exc:  # noqa: BLE001 - call() passed the AWS error on for us to read its code
            if error_code(exc) in ("PreconditionFailed", "ConditionalRequestConflict", "412"):
                raise OperationFailed(self._held_message()) from None
            raise failed(f"taking the deploy lock of {self.environment}", exc) from None
        return self

    def _held_message(self):
        try:
            held = json.loads(call(self.s3.get_object, Bucket=self.bucket, Key=self.key)["Body"].read())
            started = datetime.datetime.fromisoformat(held["started"])
            age = int((datetime.datetime.now(datetime.timezone.utc) - started).total_seconds())
            who = f"{held['owner']} on {held['host']} (pid {held['pid']}), {age}s ago"
        except Exception:  # noqa: BLE001 - the lock may have just been released; say what we can
            who = "another run"
        return (f"a deploy to {self.environment} is already running: started by {who}. Wait for it; if it died, "
                f"remove s3://{self.bucket}/{self.key} and retry")

    def __exit__(self, *exc_info):
        try:
            call(self.s3.delete_object, Bucket=self.bucket, Key=self.key)
        except Exception:  # noqa: BLE001 - never hide the deploy's own outcome behind a release problem
            pass
        return False
