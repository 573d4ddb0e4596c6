"""The deploy history of an environment: every deploy attempt (deploy, rollback, promote), recorded when it starts
(before any service is updated) and when it ends, with its outcome (rollback and status read them). Versions before
this one wrote one object per successful deploy; those are read as succeeded deploys. Key layout: keys.py."""

import datetime
import json
import secrets
from dataclasses import dataclass, field

from bootstrap.aws import pages
from bootstrap.ledger.keys import ENDED, STARTED, attempt_key, history_prefix
from bootstrap.ledger.objects import get_object, put_json

SUCCEEDED, UPDATED, FAILED, ROLLED_BACK, TIMED_OUT, INTERRUPTED, SUPERSEDED = (
    "succeeded", "updated (not waited for)", "failed", "rolled back by ECS", "timed out", "interrupted", "superseded")


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
        self.prefix = history_prefix(environment)
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
        answer = get_object(self.s3, self.bucket, key, f"reading the deploy record s3://{self.bucket}/{key}")
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
    put_json(aws.client("s3"), bucket, attempt_key(environment, attempt, STARTED), dict(record, sha=sha),
             f"recording the start of the deploy of {sha[:12]} to {environment}")
    return attempt


def end_attempt(aws, bucket, environment, attempt, record):
    put_json(aws.client("s3"), bucket, attempt_key(environment, attempt, ENDED), record,
             f"recording the end of the deploy {attempt} of {environment}")
