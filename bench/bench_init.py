"""Benchmark `ecsenv init` against a local AWS emulator (moto) that this script starts and stops itself.

Run from the repository root:  .venv/bin/python bench/bench_init.py   (or `make bench`)

It measures, in one run against one emulator:
  (a) a fresh `ecsenv init --answers FILE --yes` (one process, as a user runs it)
  (b) the same hardened bucket + lock table made by the equivalent aws CLI script (one process per command)
      -> ratio aws CLI / ecsenv, target >= 8x
  (c) a converged re-run of `ecsenv init`: time, AWS API calls, writes (target 0), max calls in flight at once
  (d) `ecsenv --help` against a bare `python -c pass` -> ratio, target <= 3x

This is a report, not a test: it always exits 0 once the measurements are made, and marks a missed target "MISS".
It exits non-zero only when a measured command itself fails (then the numbers would mean nothing).
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from emulator import Emulator  # bench/emulator.py: the moto server subprocess, shared by the benchmarks

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the venv's bin: run as .venv/bin/python, so ecsenv and aws sit next to it
PYTHON = str(BIN / "python")
ECSENV = str(BIN / "ecsenv")
AWS = str(BIN / "aws")

FRESH_REPS = 5      # (a) and (b)
CONVERGED_REPS = 5  # (c)
HELP_REPS = 10      # (d)

TARGET_CLI_RATIO = 8.0   # (a)/(b): aws CLI time / ecsenv time >= 8
TARGET_WRITES = 0        # (c): a converged re-run writes nothing
TARGET_HELP_RATIO = 3.0  # (d): help time / bare python time <= 3

READ_PREFIXES = ("Get", "Head", "List", "Describe")  # same rule as tests/conftest.py
TAGS = {"project": "bench", "managed-by": "ecsenv"}
# The lifecycle rule IDs ecsenv uses, so the aws CLI script makes exactly the configuration ecsenv checks for.
NONCURRENT_RULE_ID = "ecsenv-expire-noncurrent-versions"
MULTIPART_RULE_ID = "ecsenv-abort-incomplete-multipart-uploads"


# ---------------------------------------------------------------- the emulator


def describe_logged(requests):
    """A one-line breakdown of logged requests. S3 reads and writes show in the HTTP method; DynamoDB and STS
    send every call as `POST /`, so the log alone cannot tell their reads from writes."""
    s3_reads = sum(1 for method, path in requests if path != "/" and method in ("GET", "HEAD"))
    s3_writes = sum(1 for method, path in requests if path != "/" and method not in ("GET", "HEAD"))
    json_posts = sum(1 for method, path in requests if path == "/")
    return (f"{len(requests)} HTTP requests: S3 {s3_reads} GET/HEAD + {s3_writes} PUT/POST/DELETE, "
            f"{json_posts} `POST /` (DynamoDB/STS, read or write unknown from the log)")


# ---------------------------------------------------------------- running commands


def aws_env(endpoint, scratch):
    """Dummy credentials, the emulator as the endpoint, and no real AWS config files (they must not exist)."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("AWS_") and key != "PYTHONPATH"}
    env.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE=str(scratch / "no-aws-config"),
               AWS_SHARED_CREDENTIALS_FILE=str(scratch / "no-aws-credentials"),
               # measure this checkout's code whatever the venv's install points at
               PYTHONPATH=str(REPO),
               NO_COLOR="1")
    return env


def run(cmd, env, cwd=None, ok_codes=(0,)):
    """Run one command to completion; return (wall seconds, stdout). A failed command stops the benchmark."""
    start = time.perf_counter()
    result = subprocess.run(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode not in ok_codes:
        sys.exit(f"benchmark command failed (exit {result.returncode}): {' '.join(cmd)}\n"
                 f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}")
    return elapsed, result.stdout


def names(rep):
    return f"bench-tfstate-{rep}", f"bench-tfstate-lock-{rep}"


def new_project(scratch, label, rep):
    """A project directory with an answers file for bucket/table number `rep`."""
    project = scratch / f"{label}-{rep}"
    project.mkdir()
    bucket, table = names(rep)
    (project / "answers.yaml").write_text(
        "project: bench\n"
        "region: us-east-1\n"
        "environments: [staging, production]\n"
        "locking: both\n"
        "kms_key_id: null\n"
        f"bucket: {bucket}\n"
        f"lock_table: {table}\n"
        "tags: {project: bench, managed-by: ecsenv}\n")
    return project


def ecsenv_init(project, env, *extra, ok_codes=(0,)):
    return run([ECSENV, "-C", str(project), "init", "--answers", "answers.yaml", *extra], env, cwd=project,
               ok_codes=ok_codes)


# ---------------------------------------------------------------- (b) the aws CLI script


def aws_cli_script(bucket, table, endpoint):
    """The commands a careful shell script runs for the same hardened backend, one aws process each.

    No `aws dynamodb wait table-exists` before update-continuous-backups: the emulator creates tables ACTIVE,
    and leaving it out only makes the CLI side faster (against real AWS a script would need it)."""
    aws = [AWS, "--endpoint-url", endpoint, "--region", "us-east-1", "--output", "json"]
    arn = f"arn:aws:s3:::{bucket}"
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
    lifecycle = {"Rules": [
        {"ID": NONCURRENT_RULE_ID, "Status": "Enabled", "Filter": {"Prefix": ""},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 90}},
        {"ID": MULTIPART_RULE_ID, "Status": "Enabled", "Filter": {"Prefix": ""},
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]}
    encryption = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
    public_access = ("BlockPublicAcls=true,IgnorePublicAcls=true,"
                     "BlockPublicPolicy=true,RestrictPublicBuckets=true")
    s3_tags = {"TagSet": [{"Key": key, "Value": value} for key, value in TAGS.items()]}
    ddb_tags = [f"Key={key},Value={value}" for key, value in TAGS.items()]
    s3api = [*aws, "s3api"]
    ddb = [*aws, "dynamodb"]
    return [
        [*s3api, "create-bucket", "--bucket", bucket, "--object-ownership", "BucketOwnerEnforced"],
        [*s3api, "put-bucket-versioning", "--bucket", bucket, "--versioning-configuration", "Status=Enabled"],
        [*s3api, "put-bucket-encryption", "--bucket", bucket,
         "--server-side-encryption-configuration", json.dumps(encryption)],
        [*s3api, "put-public-access-block", "--bucket", bucket, "--public-access-block-configuration", public_access],
        [*s3api, "put-bucket-policy", "--bucket", bucket, "--policy", json.dumps(policy)],
        [*s3api, "put-bucket-lifecycle-configuration", "--bucket", bucket,
         "--lifecycle-configuration", json.dumps(lifecycle)],
        [*s3api, "put-bucket-tagging", "--bucket", bucket, "--tagging", json.dumps(s3_tags)],
        [*ddb, "create-table", "--table-name", table,
         "--attribute-definitions", "AttributeName=LockID,AttributeType=S",
         "--key-schema", "AttributeName=LockID,KeyType=HASH",
         "--billing-mode", "PAY_PER_REQUEST",
         "--sse-specification", "Enabled=true,SSEType=KMS",
         "--deletion-protection-enabled",
         "--tags", *ddb_tags],
        [*ddb, "update-continuous-backups", "--table-name", table,
         "--point-in-time-recovery-specification", "PointInTimeRecoveryEnabled=true"],
    ]


def run_aws_cli_script(bucket, table, endpoint, env):
    """Wall time of the whole script: each command a process, run one after another like `set -e` bash."""
    start = time.perf_counter()
    for cmd in aws_cli_script(bucket, table, endpoint):
        run(cmd, env)
    return time.perf_counter() - start


# ---------------------------------------------------------------- (c) traced converged re-run

# Runs `ecsenv` in a fresh interpreter with botocore's single API entry point wrapped, so every AWS call is
# recorded by operation name with its start/end time. Runs as `python -c TRACER OUT_FILE ecsenv-args...`
# so that its timing still includes interpreter start-up, like the real console script.
TRACER = r"""
import json, sys, threading, time
from botocore.client import BaseClient

calls, lock = [], threading.Lock()
real = BaseClient._make_api_call

def traced(client, operation_name, api_params):
    start = time.perf_counter()
    try:
        return real(client, operation_name, api_params)
    finally:
        with lock:
            calls.append({"op": operation_name, "service": client.meta.service_model.service_name,
                          "start": start, "end": time.perf_counter()})

BaseClient._make_api_call = traced
out_file, argv = sys.argv[1], sys.argv[2:]
from bootstrap.cli import main
code = main(argv)
with open(out_file, "w") as handle:
    json.dump(calls, handle)
sys.exit(code)
"""


def traced_init(project, env, trace_file):
    elapsed, _ = run([PYTHON, "-c", TRACER, str(trace_file), "-C", str(project), "init",
                      "--answers", "answers.yaml", "--yes"], env, cwd=project)
    calls = json.loads(Path(trace_file).read_text())
    return elapsed, sorted(calls, key=lambda call: call["start"])


def is_read(operation):
    return operation.startswith(READ_PREFIXES)


def max_in_flight(calls):
    """The most calls whose [start, end] intervals overlap at one instant (a sweep over start/end events).
    At equal times an end sorts before a start, so back-to-back calls do not count as overlapping."""
    events = sorted([(call["start"], 1) for call in calls] + [(call["end"], -1) for call in calls])
    in_flight = peak = 0
    for _, step in events:
        in_flight += step
        peak = max(peak, in_flight)
    return peak


# ---------------------------------------------------------------- the measurements


def bench_fresh(emulator, env, scratch):
    """(a) and (b), interleaved rep by rep so any drift (the emulator holding more buckets) hits both alike."""
    print(f"(a)/(b) fresh init: ecsenv vs aws CLI script, {FRESH_REPS} repetitions each")
    # Warm-ups (untimed, their own names): first runs pay for .pyc compilation and a cold page cache.
    ecsenv_init(new_project(scratch, "fresh", 0), env, "--yes")
    run([AWS, "--endpoint-url", emulator.endpoint, "s3api", "list-buckets"], env)

    ecsenv_times, cli_times, logged = [], [], []
    for rep in range(1, FRESH_REPS + 1):
        project = new_project(scratch, "fresh", rep)
        offset = emulator.log_offset()
        elapsed, _ = ecsenv_init(project, env, "--yes")
        logged.append(emulator.requests_since(offset))
        ecsenv_times.append(elapsed)

        bucket, table = names(100 + rep)  # the CLI script's own names, never touched by ecsenv
        cli_times.append(run_aws_cli_script(bucket, table, emulator.endpoint, env))
        print(f"  rep {rep}: ecsenv {elapsed:.2f}s   aws CLI script {cli_times[-1]:.2f}s")

    # Is the CLI script's result really the same hardened backend? ecsenv's own --plan says (exit 0 = converged).
    check = new_project(scratch, "cli-check", 100 + FRESH_REPS)
    _, plan = ecsenv_init(check, env, "--plan", ok_codes=(0, 3))
    cli_converged = "Converged" in plan

    ecsenv_median, cli_median = statistics.median(ecsenv_times), statistics.median(cli_times)
    print(f"  ecsenv fresh init median: {ecsenv_median:.3f}s   ({describe_logged(logged[-1])}, last rep)")
    print(f"  aws CLI script median:    {cli_median:.3f}s   ({len(aws_cli_script('b', 't', ''))} aws processes)")
    verdict = "converged (same result)" if cli_converged else "CHANGES PENDING"
    print(f"  ecsenv --plan on the CLI-made backend: {verdict}")
    if not cli_converged:
        print("\n".join("    " + line for line in plan.splitlines()))
    print()
    return ecsenv_median, cli_median, cli_converged


def bench_converged(emulator, env, scratch):
    """(c) re-runs on a project that is already applied: time, API calls, writes, concurrency."""
    print(f"(c) converged re-run of ecsenv init, {CONVERGED_REPS} repetitions (plain and traced)")
    project = new_project(scratch, "converged", 200)
    ecsenv_init(project, env, "--yes")  # the apply; every run after it must find nothing to do
    _, out = ecsenv_init(project, env, "--yes")  # and a warm-up re-run
    if "Converged" not in out:
        sys.exit(f"the re-run did not converge:\n{out}")

    plain_times, logged = [], []
    for _ in range(CONVERGED_REPS):
        offset = emulator.log_offset()
        elapsed, _ = ecsenv_init(project, env, "--yes")
        plain_times.append(elapsed)
        logged.append(emulator.requests_since(offset))

    traced_times, traces = [], []
    for rep in range(CONVERGED_REPS):
        elapsed, calls = traced_init(project, env, scratch / f"trace-{rep}.json")
        traced_times.append(elapsed)
        traces.append(calls)

    calls = traces[-1]
    writes = [call["op"] for call in calls if not is_read(call["op"])]
    peak = max(max_in_flight(trace) for trace in traces)
    write_counts = {len([c for c in trace if not is_read(c["op"])]) for trace in traces}
    call_counts = {len(trace) for trace in traces}
    print(f"  plain re-run median:  {statistics.median(plain_times):.3f}s   ({describe_logged(logged[-1])})")
    print(f"  traced re-run median: {statistics.median(traced_times):.3f}s")
    print(f"  API calls (last traced run, in start order): {len(calls)}")
    for call in calls:
        kind = "read " if is_read(call["op"]) else "WRITE"
        print(f"    {kind} {call['service']:<9} {call['op']:<36} "
              f"{(call['start'] - calls[0]['start']) * 1000:7.1f} .. "
              f"{(call['end'] - calls[0]['start']) * 1000:7.1f} ms")
    print(f"  calls per run across reps: {sorted(call_counts)}; writes per run: {sorted(write_counts)}"
          f"{' -> ' + ', '.join(writes) if writes else ''}")
    print(f"  max calls in flight at once: {peak} (1 would mean strictly one after another)")
    print()
    return {"plain": statistics.median(plain_times), "traced": statistics.median(traced_times),
            "calls": len(calls), "writes": max(write_counts), "peak": peak, "logged": len(logged[-1])}


def bench_help(env):
    """(d) `ecsenv --help` vs the interpreter doing nothing, alternated so both see the same machine state."""
    print(f"(d) ecsenv --help vs bare python start-up, {HELP_REPS} runs each")
    help_cmd = [PYTHON, "-m", "bootstrap", "--help"]
    bare_cmd = [PYTHON, "-c", "pass"]
    run(help_cmd, env, cwd=REPO)  # warm-ups
    run(bare_cmd, env, cwd=REPO)
    help_times, bare_times = [], []
    for _ in range(HELP_REPS):
        help_times.append(run(help_cmd, env, cwd=REPO)[0])
        bare_times.append(run(bare_cmd, env, cwd=REPO)[0])
    help_median, bare_median = statistics.median(help_times), statistics.median(bare_times)
    print(f"  ecsenv --help median: {help_median * 1000:.1f} ms   python -c pass median: {bare_median * 1000:.1f} ms")
    print()
    return help_median, bare_median


# ---------------------------------------------------------------- report


def verdict(ok):
    return "ok" if ok else "MISS"


def print_summary(fresh, converged, help_result):
    ecsenv_s, cli_s, cli_converged = fresh
    help_s, bare_s = help_result
    cli_ratio, help_ratio = cli_s / ecsenv_s, help_s / bare_s
    rows = [
        ("(a) ecsenv fresh init (median)", f"{ecsenv_s:.3f} s", "", ""),
        ("(b) aws CLI script (median)", f"{cli_s:.3f} s", "", "" if cli_converged else "result differs"),
        ("(a/b) aws CLI / ecsenv", f"{cli_ratio:.1f}x", f">= {TARGET_CLI_RATIO:g}x",
         verdict(cli_ratio >= TARGET_CLI_RATIO)),
        ("(c) converged re-run (median)", f"{converged['plain']:.3f} s", "", ""),
        ("(c) converged re-run, traced (median)", f"{converged['traced']:.3f} s", "", ""),
        ("(c) AWS API calls", f"{converged['calls']}", "", ""),
        ("(c) write calls", f"{converged['writes']}", f"== {TARGET_WRITES}",
         verdict(converged["writes"] == TARGET_WRITES)),
        ("(c) max calls in flight", f"{converged['peak']}", "", ""),
        ("(d) ecsenv --help (median)", f"{help_s * 1000:.1f} ms", "", ""),
        ("(d) python -c pass (median)", f"{bare_s * 1000:.1f} ms", "", ""),
        ("(d) help / bare python", f"{help_ratio:.2f}x", f"<= {TARGET_HELP_RATIO:g}x",
         verdict(help_ratio <= TARGET_HELP_RATIO)),
    ]
    widths = [max(len(row[col]) for row in rows + [("measure", "value", "target", "")]) for col in range(4)]
    print("Summary")
    for row in [("measure", "value", "target", ""), tuple("-" * width for width in widths)] + rows:
        print("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def main():
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ecsenv-bench-") as tmp:
        scratch = Path(tmp)
        emulator = Emulator(scratch / "moto.log")
        try:
            emulator.wait_ready()
            env = aws_env(emulator.endpoint, scratch)
            version = run([AWS, "--version"], env)[1].strip() or "aws (version on stderr)"
            print(f"emulator: moto at {emulator.endpoint}; python {sys.version.split()[0]}; {version}\n")
            fresh = bench_fresh(emulator, env, scratch)
            converged = bench_converged(emulator, env, scratch)
            help_result = bench_help(env)
        finally:
            emulator.stop()
    print_summary(fresh, converged, help_result)
    print(f"\n(benchmark took {time.perf_counter() - started:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
