"""Benchmark `ecsenv init` against the local emulator (moto behind the recording layer), in one run:
  - a fresh `ecsenv init --answers FILE --yes` against a bare boto3 script making the same writes in one process
    (target: boto3 script time / ecsenv time >= 1.0), and against the aws CLI script (one process per command);
  - requests and sequential steps: fresh init <= 6 steps, a converged re-run <= 2 steps and no write;
  - `ecsenv --help` against `python -c pass` of the same interpreter (target <= 2x).
Every time is min/median/max of RUNS interleaved runs. A report, not a test: exits 0 once measured (non-zero only
when a measured command itself fails). Run from the repository root: .venv/bin/python bench/bench_init.py"""

import json
import sys
import tempfile
import time
from pathlib import Path

from emulator import PYTHON, RUNS, Emulator, Report, aws_env, operations, run, spread

BIN = Path(sys.executable).parent
ECSENV, AWS = str(BIN / "ecsenv"), str(BIN / "aws")
TAGS = {"project": "bench", "managed-by": "ecsenv"}
NONCURRENT_RULE_ID = "ecsenv-expire-noncurrent-versions"
MULTIPART_RULE_ID = "ecsenv-abort-incomplete-multipart-uploads"


def names(label):
    return f"bench-tfstate-{label}", f"bench-tfstate-lock-{label}"


def new_project(scratch, label):
    project = Path(scratch) / f"project-{label}"
    project.mkdir()
    bucket, table = names(label)
    (project / "answers.yaml").write_text(
        f"project: bench\nregion: us-east-1\nenvironments: [staging, production]\nlocking: both\nkms_key_id: null\n"
        f"bucket: {bucket}\nlock_table: {table}\ntags: {{project: bench, managed-by: ecsenv}}\n")
    return project


def ecsenv_init(project, env, *extra):
    return run([ECSENV, "-C", str(project), "init", "--answers", "answers.yaml", "--yes", *extra], env, cwd=project)


def settings(bucket):
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
    return policy, lifecycle, encryption


# The bare boto3 script: what someone writes by hand, the same writes one after another, in one process.
BOTO3_SCRIPT = r"""
import json, sys
import boto3
bucket, table, policy, lifecycle, encryption, tags = sys.argv[1], sys.argv[2], *map(json.loads, sys.argv[3:])
s3, ddb = boto3.client("s3"), boto3.client("dynamodb")
tag_list = [{"Key": k, "Value": v} for k, v in tags.items()]
s3.create_bucket(Bucket=bucket, ObjectOwnership="BucketOwnerEnforced")
s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tag_list})
s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=encryption)
s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
    "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration=lifecycle)
ddb.create_table(TableName=table, AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
                 KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST",
                 SSESpecification={"Enabled": True, "SSEType": "KMS"}, DeletionProtectionEnabled=True, Tags=tag_list)
ddb.update_continuous_backups(TableName=table,
                              PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
"""


def boto3_script(label, env):
    bucket, table = names(label)
    policy, lifecycle, encryption = settings(bucket)
    return run([PYTHON, "-c", BOTO3_SCRIPT, bucket, table, *(json.dumps(value) for value in (
        policy, lifecycle, encryption, TAGS))], env)[0]


def aws_cli_script(label, endpoint, env):
    bucket, table = names(label)
    policy, lifecycle, encryption = settings(bucket)
    aws = [AWS, "--endpoint-url", endpoint, "--region", "us-east-1", "--output", "json"]
    s3api, ddb = [*aws, "s3api"], [*aws, "dynamodb"]
    s3_tags = {"TagSet": [{"Key": key, "Value": value} for key, value in TAGS.items()]}
    commands = [
        [*s3api, "create-bucket", "--bucket", bucket, "--object-ownership", "BucketOwnerEnforced"],
        [*s3api, "put-bucket-tagging", "--bucket", bucket, "--tagging", json.dumps(s3_tags)],
        [*s3api, "put-bucket-versioning", "--bucket", bucket, "--versioning-configuration", "Status=Enabled"],
        [*s3api, "put-bucket-encryption", "--bucket", bucket, "--server-side-encryption-configuration",
         json.dumps(encryption)],
        [*s3api, "put-public-access-block", "--bucket", bucket, "--public-access-block-configuration",
         "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"],
        [*s3api, "put-bucket-policy", "--bucket", bucket, "--policy", json.dumps(policy)],
        [*s3api, "put-bucket-lifecycle-configuration", "--bucket", bucket, "--lifecycle-configuration",
         json.dumps(lifecycle)],
        [*ddb, "create-table", "--table-name", table, "--attribute-definitions",
         "AttributeName=LockID,AttributeType=S", "--key-schema", "AttributeName=LockID,KeyType=HASH",
         "--billing-mode", "PAY_PER_REQUEST", "--sse-specification", "Enabled=true,SSEType=KMS",
         "--deletion-protection-enabled", "--tags", *(f"Key={k},Value={v}" for k, v in TAGS.items())],
        [*ddb, "update-continuous-backups", "--table-name", table, "--point-in-time-recovery-specification",
         "PointInTimeRecoveryEnabled=true"],
    ]
    start = time.perf_counter()
    for command in commands:
        run(command, env)
    return time.perf_counter() - start


def main():
    started = time.perf_counter()
    report = Report("ecsenv init")
    with tempfile.TemporaryDirectory(prefix="ecsenv-bench-init-") as scratch:
        emulator = Emulator(Path(scratch) / "emulator.log")
        try:
            emulator.wait_ready()
            env = aws_env(emulator.endpoint, scratch)
            ecsenv_init(new_project(scratch, "warm"), env)  # warm-ups: .pyc files, the page cache
            boto3_script("warm-boto3", env)
            ours, bare, cli = [], [], []
            for rep in range(RUNS):  # interleaved, so load on the machine hits each alike
                ours.append(ecsenv_init(new_project(scratch, f"fresh{rep}"), env)[0])
                bare.append(boto3_script(f"boto3-{rep}", env))
                cli.append(aws_cli_script(f"cli-{rep}", emulator.endpoint, env))
            # is the boto3 script's backend the same as ecsenv's? ecsenv's own --plan says (exit 0 = converged)
            check = new_project(scratch, "boto3-0-check")
            (check / "answers.yaml").write_text((check / "answers.yaml").read_text().replace(
                "boto3-0-check", "boto3-0"))
            plan_text = run([ECSENV, "-C", str(check), "init", "--answers", "answers.yaml", "--plan"], env,
                            cwd=check, ok_codes=(0, 3))[1]
            same = "0 to create, 0 to change" in plan_text  # the backend's plan (the project files are new here)

            fresh = emulator.count(lambda: ecsenv_init(new_project(scratch, "counted"), env))
            converged = emulator.count(lambda: ecsenv_init(Path(scratch) / "project-counted", env))
            writes = [r for r in converged[2] if r.method in ("PUT", "DELETE") or r.operation in (
                "CreateTable", "UpdateTable", "UpdateContinuousBackups", "TagResource", "CreateBucket")]
            converged_times = [ecsenv_init(Path(scratch) / "project-counted", env)[0] for _ in range(RUNS)]

            help_times, bare_python = [], []
            run([PYTHON, "-m", "bootstrap", "--help"], env)
            for _ in range(RUNS * 3):
                help_times.append(run([PYTHON, "-m", "bootstrap", "--help"], env)[0])
                bare_python.append(run([PYTHON, "-c", "pass"], env)[0])
        finally:
            emulator.stop()

    report.add("ecsenv init, fresh", spread(ours))
    report.add("bare boto3 script, same writes", spread(bare))
    report.ratio("boto3 script / ecsenv init", bare, ours, ">= 1.0", lambda value: value >= 1.0)
    report.add("aws CLI script, same writes", spread(cli))
    report.ratio("aws CLI script / ecsenv init", cli, ours, "(no target)", lambda value: None)
    report.counts("fresh init: round trips", fresh, max_steps=6)
    report.counts("converged re-run: round trips", converged, max_steps=2)
    report.add("converged re-run: writes", str(len(writes)), "== 0", not writes)
    report.add("converged re-run", spread(converged_times))
    report.add("ecsenv --help", spread(help_times, "ms"))
    report.add("python -c pass", spread(bare_python, "ms"))
    report.ratio("--help / python -c pass", help_times, bare_python, "<= 2.0", lambda value: value <= 2.0)
    print(f"fresh init requests: {operations(fresh[2])}")
    print(f"converged re-run requests: {operations(converged[2])}")
    print("ecsenv init --plan on the boto3 script's backend: " + (
        "converged (the same backend)" if same else "CHANGES PENDING (the script does not make the same backend):\n"
        + plan_text))
    report.print()
    print(f"(benchmark took {time.perf_counter() - started:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
