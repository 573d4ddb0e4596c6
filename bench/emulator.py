"""The local emulator the benchmarks measure against, and how they report.

The emulator is moto behind the recording layer (bootstrap/local/recorder.py), a subprocess on 127.0.0.1: every
request is noted with its arrival and completion, so a benchmark prints, besides times, the figure noise cannot
move: how many requests a command made and in how many sequential steps (requests that overlap count as one).
Times are taken with the layer answering at once; the counts come from one more run with every answer held
COUNT_LATENCY seconds, so that requests sent side by side surely overlap (as they do against AWS itself).
Shared by every script in bench/."""

import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bootstrap.local import recorder  # noqa: E402

PYTHON = sys.executable
RUNS = 3  # timed repetitions of every measure: min / median / max are printed
COUNT_LATENCY = 0.05


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Emulator:
    """moto behind the recording layer, in a subprocess."""

    def __init__(self, log_path, env=None):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self._process = subprocess.Popen(
            [PYTHON, "-m", "bootstrap.local.recorder", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self._log, stderr=subprocess.STDOUT, cwd=str(REPO),
            env=dict(os.environ, MOTO_ECS_SERVICE_RUNNING="1", PYTHONPATH=str(REPO), **(env or {})))

    def wait_ready(self, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"emulator exited early (code {self._process.returncode}); see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=3):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        raise RuntimeError(f"emulator did not answer within {timeout:.0f}s; see {self.log_path}")

    def stop(self):
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._log.close()

    def count(self, action):
        """(requests, sequential steps) of action(), run once with every answer held COUNT_LATENCY seconds."""
        recorder.post(self.endpoint, "config", latency=COUNT_LATENCY)
        recorder.post(self.endpoint, "clear")
        try:
            action()
            requests = recorder.fetch(self.endpoint)
        finally:
            recorder.post(self.endpoint, "config", latency=0)
        return len(requests), recorder.sequential_steps(requests), requests


def aws_env(endpoint, scratch, **more):
    """Dummy credentials, the emulator as the endpoint, no real AWS config files, this checkout's code."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_") and key != "PYTHONPATH"}
    env.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=str(Path(scratch) / "no-aws-config"),
               AWS_SHARED_CREDENTIALS_FILE=str(Path(scratch) / "no-aws-credentials"), PYTHONPATH=str(REPO),
               NO_COLOR="1", **more)
    return env


def run(cmd, env, cwd=None, ok_codes=(0,)):
    """Run one command to completion; (wall seconds, stdout). A failed command stops the benchmark."""
    start = time.perf_counter()
    result = subprocess.run(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode not in ok_codes:
        sys.exit(f"benchmark command failed (exit {result.returncode}): {' '.join(map(str, cmd))}\n"
                 f"--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}")
    return elapsed, result.stdout


def spread(samples, unit="s"):
    scale, fmt = (1000, "{:.0f}") if unit == "ms" else (1, "{:.3f}")
    values = [fmt.format(value * scale) for value in (min(samples), statistics.median(samples), max(samples))]
    return "/".join(values) + f" {unit}"


class Report:
    """The rows a benchmark prints at its end: measure, value, target, verdict."""

    def __init__(self, title):
        self.title, self.rows = title, []

    def add(self, measure, value, target="", met=None):
        verdict = "" if met is None else ("met" if met else "NOT MET")
        self.rows.append((measure, value, target, verdict))

    def ratio(self, measure, numerator, denominator, target_text, test):
        """A ratio of medians, with the spread of the per-run ratios (runs were interleaved)."""
        ratios = [a / b for a, b in zip(numerator, denominator)]
        value = statistics.median(numerator) / statistics.median(denominator)
        self.add(measure, f"{value:.2f}x (per run {min(ratios):.2f}..{max(ratios):.2f})", target_text, test(value))

    def counts(self, measure, counted, max_requests=None, max_steps=None):
        requests, steps, _ = counted
        targets, met = [], True
        if max_requests is not None:
            targets.append(f"requests <= {max_requests}")
            met = met and requests <= max_requests
        if max_steps is not None:
            targets.append(f"steps <= {max_steps}")
            met = met and steps <= max_steps
        self.add(measure, f"{requests} requests, {steps} sequential steps", ", ".join(targets),
                 met if targets else None)

    def print(self):
        header = ("measure", f"value (min/median/max of {RUNS} runs)", "target", "")
        widths = [max(len(str(row[col])) for row in [header, *self.rows]) for col in range(4)]
        print(f"\n{self.title}")
        for row in [header, tuple("-" * width for width in widths), *self.rows]:
            print("  " + "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
        print(flush=True)


def operations(requests):
    return ", ".join(request.operation for request in sorted(requests, key=lambda request: request.start))


def dump(path, data):
    Path(path).write_text(json.dumps(data, indent=2))
