"""Everything ecsenv keeps under the state bucket's `ecsenv/` prefix (the IAM policies of environments/global_aws
grant exactly these prefixes; docs/stack.md lists them):

- `ecsenv/applied/<env>/latest.json` and `<sha>.json`: what was applied where (promotion checks `<sha>.json`);
- `ecsenv/deployed/<env>/<sequence>-<sha>-<nonce>/started.json` and `.../ended.json`: every deploy attempt (deploy,
  rollback, promote), recorded when it starts (before any service is updated) and when it ends, with its outcome
  (rollback and status read them). Versions before this one wrote `ecsenv/deployed/<env>/<time>-<sha>.json` after a
  successful deploy; those are read as succeeded deploys.
- `ecsenv/deploy-locks/<env>.json`: one deploy per environment at a time.

Times come from the bucket (LastModified, the Date of its answers), never from this machine's clock. The bucket's
versioning keeps every earlier record."""

import datetime
import email.utils
import json
import os
import secrets
import socket
import time
from dataclasses import asdict, dataclass, field

from bootstrap.aws import call, error_code, failed, pages
from bootstrap.errors import OperationFailed, UserError

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

SUCCEEDED, UPDATED, FAILED, ROLLED_BACK, TIMED_OUT, INTERRUPTED, SUPERSEDED = (
    "succeeded", "updated (not waited for)", "failed", "rolled back by ECS", "timed out", "interrupted", "superseded")
STARTED, ENDED = "started.json", "ended.json"


@dataclass
class Attempt:
    """One deploy attempt as listed (keys and the bucket's times); its records' bodies are read on demand."""
    id: str
    sequence: int
    sha: str
    started_at: datetime.datetime
    started_key: str | None = None
    ended_key: str | None = None
    ended_at: datetime.datetime | None = None
    legacy: bool = False
    started: dict = field(default_factory=dict)  # the started record (filled by History.load)
    ended: dict | None = None  # the ended record; None: not ended (still running, or its process died)
    loaded: bool = False

    @property
    def kind(self):
        return self.started.get("kind", "deploy")

    @property
    def outcome(self):
        """The outcome, None while no end is recorded."""
        if self.legacy:
            return SUCCEEDED
        return (self.ended or {}).get("outcome")

    @property
    def rolled_back_from(self):
        return self.started.get("rolled_back_from")

    @property
    def services(self):
        return sorted(self.started.get("services") or {})

    @property
    def pre_deploy(self):
        """The pre-deploy steps that ran before this attempt's update (ecs/predeploy.py), if any."""
        return self.started.get("pre_deploy")

    def as_dict(self):
        return {"sha": self.sha, "kind": self.kind, "outcome": self.outcome, "started_at": _iso(self.started_at),
                "ended_at": _iso(self.ended_at), "by": self.started.get("by"), "services": self.services,
                "rolled_back_from": self.rolled_back_from, "updated": (self.ended or {}).get("updated")}


def _iso(value):
    return value.isoformat() if value else None


class History:
    """The deploy attempts of one environment, oldest first, ordered by the bucket's LastModified of their started
    records (the sequence number breaks ties within a second)."""

    def __init__(self, aws, bucket, environment):
        self.s3, self.bucket, self.environment = aws.client("s3"), bucket, environment
        self.prefix = f"{DEPLOYED_PREFIX}/{environment}/"
        contents = pages(self.s3, "list_objects_v2", "Contents", f"reading the deploy history of {environment}",
                         Bucket=bucket, Prefix=self.prefix)
        attempts = {}
        for entry in contents:
            relative = entry["Key"][len(self.prefix):]
            folder, _, name = relative.partition("/")
            if not name:  # the earlier one-object-per-deploy layout: <time>-<sha>.json, written after success
                stamp, _, sha = relative.removesuffix(".json").partition("-")
                attempts[relative] = Attempt(relative, 0, sha, entry["LastModified"], started_key=entry["Key"],
                                             legacy=True)
                continue
            number, _, rest = folder.partition("-")
            sha = rest.rsplit("-", 1)[0]
            if not number.isdigit() or not sha:
                continue  # not ours
            attempt = attempts.setdefault(folder, Attempt(folder, int(number), sha, entry["LastModified"]))
            if name == STARTED:
                attempt.started_key, attempt.started_at = entry["Key"], entry["LastModified"]
            elif name == ENDED:
                attempt.ended_key, attempt.ended_at = entry["Key"], entry["LastModified"]
        self.attempts = sorted((a for a in attempts.values() if a.legacy or a.started_key),
                               key=lambda a: (a.started_at, a.sequence, a.id))

    def load(self, attempt):
        """Read the attempt's records (once)."""
        if not attempt.loaded:
            attempt.started = self._read(attempt.started_key) or {}
            attempt.ended = self._read(attempt.ended_key) if attempt.ended_key else None
            attempt.loaded = True
        return attempt

    def _read(self, key):
        answer = call(self.s3.get_object, Bucket=self.bucket, Key=key, missing=NOT_FOUND,
                      doing=f"reading the deploy record s3://{self.bucket}/{key}")
        if answer is None:
            return None
        try:
            return json.loads(answer["Body"].read())
        except ValueError:
            return {}

    def load_all(self):
        """Every attempt with its records, oldest first (read side by side)."""
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(self.load, self.attempts))

    def newest_first(self):
        for attempt in reversed(self.attempts):
            yield self.load(attempt)

    def latest(self):
        return next(self.newest_first(), None)

    def next_sequence(self):
        return max((attempt.sequence for attempt in self.attempts), default=0) + 1


def read_history(aws, bucket, environment):
    return History(aws, bucket, environment)


def start_attempt(aws, bucket, environment, sequence, sha, record):
    """Record that an attempt starts (before any service is updated); returns its id."""
    attempt = f"{sequence:08d}-{sha}-{secrets.token_hex(3)}"
    _put(aws, bucket, f"{DEPLOYED_PREFIX}/{environment}/{attempt}/{STARTED}", dict(record, sha=sha),
         f"recording the start of the deploy of {sha[:12]} to {environment}")
    return attempt


def end_attempt(aws, bucket, environment, attempt, record):
    _put(aws, bucket, f"{DEPLOYED_PREFIX}/{environment}/{attempt}/{ENDED}", record,
         f"recording the end of the deploy {attempt} of {environment}")


def _put(aws, bucket, key, record, doing):
    call(aws.client("s3").put_object, Bucket=bucket, Key=key, Body=json.dumps(record, indent=2).encode(),
         ContentType="application/json", doing=doing)


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

LOCK_MAX_AGE_VARIABLE = "ECSENV_DEPLOY_LOCK_MAX_AGE"
DEFAULT_LOCK_MAX_AGE = 3600  # seconds; a lock older than this (and than its holder's own timeout) is stale
LOCK_GRACE = 300  # seconds a holder may take beyond its rollout timeout (checks, registering, recording)
CONFLICT_RETRIES = 3


def lock_key(environment):
    return f"{LOCK_PREFIX}/{environment}.json"


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
    answer = call(aws.client("s3").get_object, Bucket=bucket, Key=lock_key(environment), missing=NOT_FOUND,
                  doing=f"reading the deploy lock of {environment}")
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
