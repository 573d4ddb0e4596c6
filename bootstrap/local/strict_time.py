"""The strict layer's timings (how long each documented delay lasts) and its clock."""

import os
import time
from dataclasses import dataclass


@dataclass
class Timings:
    deployment_seconds: float = 5.0  # an ECS deployment's rollout, IN_PROGRESS -> COMPLETED
    pitr_seconds: float = 2.0  # PITR unavailable after CreateTable
    bucket_seconds: float = 1.0  # NoSuchBucket for bucket-level calls after CreateBucket

    @classmethod
    def from_env(cls, environ=None, **overrides):
        environ = os.environ if environ is None else environ
        values = {}
        for name in ("deployment_seconds", "pitr_seconds", "bucket_seconds"):
            raw = environ.get(f"ECSENV_STRICT_{name.upper()}")
            if raw is not None:
                values[name] = float(raw)
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)


class Clock:
    """The layer's sense of time: the monotonic clock, unless a test freezes it (POST /strict-api/clock
    {"freeze": true}) and then moves it on by hand ({"advance": seconds}), so that a rollout's states can be checked
    at exact moments however loaded the machine is."""

    def __init__(self, source=time.monotonic):
        self._source, self._frozen_at = source, None

    def now(self):
        return self._frozen_at if self._frozen_at is not None else self._source()

    def set(self, freeze=None, advance=0.0):
        if freeze is True and self._frozen_at is None:
            self._frozen_at = self._source()
        elif freeze is False:
            self._frozen_at = None
        if advance and self._frozen_at is not None:
            self._frozen_at += advance
        return {"frozen": self._frozen_at is not None}
