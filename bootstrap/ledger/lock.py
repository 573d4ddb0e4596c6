"""The deploy lock: `ecsenv/deploy-locks/<env>.json` (keys.py), one deploy per environment at a time, with what tells
a stale lock (its holder's process gone, or older than its holder's timeout) from a held one. Its age is by the
bucket's clock (the Date of S3's answer), not this machine's."""

import datetime
import email.utils
import json
import os
import socket
import time
from dataclasses import dataclass

from bootstrap.aws import call, error_code, failed
from bootstrap.errors import OperationFailed, UserError
from bootstrap.ledger.keys import lock_key
from bootstrap.ledger.objects import NOT_FOUND, get_object, now_iso

LOCK_MAX_AGE_VARIABLE = "ECSENV_DEPLOY_LOCK_MAX_AGE"
DEFAULT_LOCK_MAX_AGE = 3600  # seconds; a lock older than this (and than its holder's own timeout) is stale
LOCK_GRACE = 300  # seconds a holder may take beyond its rollout timeout (checks, registering, recording)
CONFLICT_RETRIES = 3


def format_age(seconds):
    """2 h 5 min, 3 min 20 s, 45 s, 2 d 3 h."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


def _process_start(pid):
    """The start time of a local process in clock ticks since boot (Linux /proc), or None where unknown; it tells a
    reused pid from the holder."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _pid_alive(pid):
    if pid <= 0:
        return True  # not a single process: cannot tell, so not provably dead
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError, TypeError):
        return True  # exists (another user's) or cannot tell: not provably dead
    return True


def lock_max_age():
    value = os.environ.get(LOCK_MAX_AGE_VARIABLE)
    try:
        return float(value) if value else DEFAULT_LOCK_MAX_AGE
    except ValueError:
        raise UserError(f"{LOCK_MAX_AGE_VARIABLE}={value!r} is not a number of seconds") from None


@dataclass
class HeldLock:
    owner: str
    host: str
    pid: int | None
    age: float  # seconds, by the bucket's clock
    etag: str
    timeout: float | None  # the holder's rollout timeout, if it said
    stale: str | None  # why the lock is stale, None while its holder may be alive

    def describe(self):
        return f"{self.owner} on {self.host} (pid {self.pid}), {format_age(self.age)} ago"


def _server_now(answer):
    date = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    try:
        return email.utils.parsedate_to_datetime(date) if date else None
    except (TypeError, ValueError):
        return None


def read_lock(aws, bucket, environment):
    """The held deploy lock of an environment (HeldLock), or None."""
    answer = get_object(aws.client("s3"), bucket, lock_key(environment), f"reading the deploy lock of {environment}")
    if answer is None:
        return None
    try:
        held = json.loads(answer["Body"].read())
    except ValueError:
        held = {}
    now = _server_now(answer) or datetime.datetime.now(datetime.timezone.utc)
    age = (now - answer["LastModified"]).total_seconds()
    pid = held.get("pid") if isinstance(held.get("pid"), int) else None
    timeout = held.get("timeout") if isinstance(held.get("timeout"), (int, float)) else None
    limit = lock_max_age() if timeout is None else max(lock_max_age(), timeout + LOCK_GRACE)
    stale = None
    if held.get("host") == socket.gethostname() and pid is not None:
        if not _pid_alive(pid):
            stale = f"its process {pid} on this host is gone"
        elif held.get("process_start") is not None and _process_start(pid) not in (None, held["process_start"]):
            stale = f"its process {pid} on this host is gone (the pid now belongs to another process)"
    if stale is None and age > limit:
        stale = f"it is older than {format_age(limit)} ({LOCK_MAX_AGE_VARIABLE} or the holder's timeout)"
    return HeldLock(owner=held.get("owner", "?"), host=held.get("host", "?"), pid=pid, age=age,
                    etag=answer.get("ETag", ""), timeout=timeout, stale=stale)


def remove_lock(aws, bucket, environment, etag):
    """Delete the lock only if it is still the one with `etag` (S3 conditional delete: If-Match; a 412 means
    another lock replaced it, https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-deletes.html).
    Returns None when removed, else why not."""
    try:
        call(aws.client("s3").delete_object, Bucket=bucket, Key=lock_key(environment), IfMatch=etag)
    except (UserError, OperationFailed):
        raise
    except Exception as exc:  # noqa: BLE001 - call() passed the AWS error on for us to read its code
        code = error_code(exc)
        if code in ("PreconditionFailed", "412"):
            return "another run has taken the lock since"
        if code in NOT_FOUND or code == "NoSuchKey":
            return "it was already removed"
        if code in ("ConditionalRequestConflict", "409"):
            return "another request changed it at the same moment"
        raise failed(f"removing the deploy lock of {environment}", exc) from None
    return None


class LockHeld(OperationFailed):
    """Another deploy holds the environment's lock (exit 1, as `ecsenv deploy --help` says)."""


class DeployLock:
    """One deploy per environment at a time: a conditional write (If-None-Match: *) of a lock object in the state
    bucket, released on every exit path only while it is still ours (If-Match: its ETag). A 409 from S3 (a
    concurrent conditional request) is retried, as S3 advises."""

    def __init__(self, aws, bucket, environment, owner, timeout=None):
        self.aws, self.s3, self.bucket, self.environment, self.owner = aws, aws.client("s3"), bucket, environment, owner
        self.key, self.timeout = lock_key(environment), timeout
        self.etag = None
        self.release_problem = None

    def __enter__(self):
        body = json.dumps({"owner": self.owner, "host": socket.gethostname(), "pid": os.getpid(),
                           "process_start": _process_start(os.getpid()), "timeout": self.timeout,
                           "started": now_iso()}).encode()
        for attempt in range(CONFLICT_RETRIES + 1):
            try:
                answer = call(self.s3.put_object, Bucket=self.bucket, Key=self.key, Body=body, IfNoneMatch="*",
                              ContentType="application/json")
                self.etag = answer.get("ETag")
                return self
            except (UserError, OperationFailed):
                raise
            except Exception as exc:  # noqa: BLE001 - call() passed the AWS error on for us to read its code
                code = error_code(exc)
                if code in ("ConditionalRequestConflict", "409") and attempt < CONFLICT_RETRIES:
                    time.sleep(0.5 * (attempt + 1))
                    continue
                if code in ("PreconditionFailed", "412", "ConditionalRequestConflict", "409"):
                    raise LockHeld(self._held_message()) from None
                raise failed(f"taking the deploy lock of {self.environment}", exc) from None
        raise AssertionError("unreachable")

    def _held_message(self):
        held = read_lock(self.aws, self.bucket, self.environment)
        if held is None:
            return (f"another deploy to {self.environment} held the lock a moment ago and has just released it: "
                    "run again")
        where = f"s3://{self.bucket}/{self.key}"
        if held.stale:
            return (f"the deploy lock of {self.environment} is stale: held by {held.describe()}, and {held.stale}. "
                    f"Remove it with `ecsenv deploy {self.environment} --force-unlock` ({where})")
        return (f"a deploy to {self.environment} is already running: started by {held.describe()}. Wait for it to "
                f"finish; if it died, `ecsenv deploy {self.environment} --force-unlock` removes its lock")

    def __exit__(self, *exc_info):
        if self.etag is None:
            return False
        try:
            problem = remove_lock(self.aws, self.bucket, self.environment, self.etag)
        except Exception as exc:  # noqa: BLE001 - never hide the deploy's own outcome behind a release problem
            problem = str(exc)
        if problem:
            self.release_problem = f"the deploy lock of {self.environment} was not released: {problem}"
        return False
