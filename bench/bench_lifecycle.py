"""Benchmark, in one run against one local emulator (moto behind the recording layer):
  (a) `ecsenv plan ENV` against bare `terraform plan` with the same flags on the same environment: the wrapper's
      overhead (target: ratio <= 1.05);
  (b) `ecsenv status` over 8 and over 128 environments (target: 128 cost at most 3x 8: git answers once per commit,
      connections shared, each environment's reads issued together, bounded concurrency), with the requests and
      sequential steps of each.
Times are min/median/max of RUNS interleaved runs.
The environment is a root with the hashicorp/aws provider (from the offline mirror in ECSENV_TF_PROVIDER_MIRROR)
and a few S3 buckets, so both sides pay for provider start-up and refresh as a real plan does.
Prints numbers and ratios; exits 0 whatever they are.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time

from emulator import RUNS, Emulator, Report, spread  # bench/emulator.py: the emulator and the report

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUCKET = "bench-tfstate-123456789012"


def sh(args, cwd, env, check=True):
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if check and result.returncode not in (0, 2, 3):
        sys.exit(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return result


def ecsenv(args, cwd, env):
    return sh([sys.executable, "-m", "bootstrap", *args], cwd, dict(env, PYTHONPATH=REPO))


def root_tf(endpoint, buckets):
    resources = "".join(f'\nresource "aws_s3_bucket" "b{index}" {{\n  bucket = "bench-assets-{index}"\n}}\n'
                        for index in range(buckets))
    return textwrap.dedent(f"""\
        terraform {{
          backend "s3" {{}}
          required_providers {{
            aws = {{
              source  = "hashicorp/aws"
              version = "5.100.0"
            }}
          }}
        }}

        provider "aws" {{
          region                      = "us-east-1"
          access_key                  = "testing"
          secret_key                  = "testing"
          s3_use_path_style           = true
          skip_credentials_validation = true
          skip_requesting_account_id  = true
          skip_metadata_api_check     = true
          endpoints {{
            s3  = "{endpoint}"
            sts = "{endpoint}"
          }}
        }}
        """) + resources


def make_project(directory, endpoint, env, environments):
    answers = os.path.join(directory, "answers.yaml")
    with open(answers, "w") as handle:
        handle.write(f"project: bench\nregion: us-east-1\nenvironments: {json.dumps(environments)}\n"
                     f"locking: lockfile\nbucket: {BUCKET}\n")
    ecsenv(["init", "--answers", answers, "--yes"], directory, env)
    os.unlink(answers)
    # The emulator applies the TLS-only Deny without its condition (docs/decisions/0001): lift it for the bench.
    sh([sys.executable, "-c", f"import boto3; boto3.client('s3').delete_bucket_policy(Bucket='{BUCKET}')"],
       directory, env)
    with open(os.path.join(directory, ".gitignore"), "w") as handle:
        handle.write(".terraform/\n.terraform.lock.hcl\n*.tfplan\n")
    sh(["git", "init", "-q", "-b", "main"], directory, env)


def commit(directory, env):
    sh(["git", "add", "-A"], directory, env)
    sh(["git", "-c", "user.name=bench", "-c", "user.email=b@example.com", "commit", "-q", "-m", "bench"], directory,
       env)


def bench_plan(endpoint, env):
    directory = tempfile.mkdtemp(prefix="ecsenv-bench-plan-")
    try:
        make_project(directory, endpoint, env, ["staging"])
        root = os.path.join(directory, "environments", "staging")
        with open(os.path.join(root, "main.tf"), "w") as handle:
            handle.write(root_tf(endpoint, buckets=5))
        commit(directory, env)
        ecsenv(["plan", "staging"], directory, env)
        ecsenv(["apply", "staging"], directory, env)  # so both sides refresh real resources
        bare = ["terraform", f"-chdir={root}", "plan", "-input=false", "-detailed-exitcode",
                f"-out={os.path.join(directory, 'bare.tfplan')}", "-no-color"]
        wrapper, terraform = [], []
        for _ in range(RUNS):  # interleaved, so machine load hits both alike
            start = time.perf_counter()
            ecsenv(["plan", "staging"], directory, env)
            wrapper.append(time.perf_counter() - start)
            start = time.perf_counter()
            sh(bare, directory, env)
            terraform.append(time.perf_counter() - start)
        return wrapper, terraform
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def bench_status(emulator, env, count):
    import boto3

    names = [f"env{index}" for index in range(count)]
    directory = tempfile.mkdtemp(prefix=f"ecsenv-bench-status-{count}-")
    try:
        make_project(directory, emulator.endpoint, env, names)
        commit(directory, env)
        sha = sh(["git", "rev-parse", "HEAD"], directory, env).stdout.strip()
        s3, ecs = boto3.client("s3"), boto3.client("ecs")
        for name in names:  # what applies and deploys would have left behind: a record and a running service
            record = {"environment": name, "sha": sha, "applied_at": "2026-01-01T00:00:00+00:00",
                      "by": "arn:aws:iam::123456789012:user/bench", "on_main": True, "emergency": None}
            for key in (sha, "latest"):
                s3.put_object(Bucket=BUCKET, Key=f"ecsenv/applied/{name}/{key}.json", Body=json.dumps(record))
            cluster = f"bench-{name}"
            ecs.create_cluster(clusterName=cluster)
            task = ecs.register_task_definition(family=f"{cluster}-web", containerDefinitions=[
                {"name": "web", "image": f"repo/web:{sha}", "memory": 512}])["taskDefinition"]["taskDefinitionArn"]
            ecs.create_service(cluster=cluster, serviceName="web", taskDefinition=task, desiredCount=1)
        ecsenv(["status"], directory, env)  # warm-up
        samples = []
        for _ in range(RUNS):
            start = time.perf_counter()
            ecsenv(["status"], directory, env)
            samples.append(time.perf_counter() - start)
        return samples, emulator.count(lambda: ecsenv(["status"], directory, env))
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def main():
    mirror = os.environ.get("ECSENV_TF_PROVIDER_MIRROR", "/opt/tf-plugins")
    if not shutil.which("terraform") or not os.path.isdir(mirror):
        sys.exit("needs terraform on PATH and the provider mirror (ECSENV_TF_PROVIDER_MIRROR)")
    work = tempfile.mkdtemp(prefix="ecsenv-bench-")
    emulator = Emulator(os.path.join(work, "moto.log"))
    emulator.wait_ready()
    endpoint = emulator.endpoint
    cli_config = os.path.join(work, "terraform.rc")
    with open(cli_config, "w") as handle:
        handle.write(f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n  }}\n}}\n'
                     f'plugin_cache_dir = "{work}"\n')
    env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=os.path.join(work, "none"),
               AWS_SHARED_CREDENTIALS_FILE=os.path.join(work, "none"), TF_CLI_CONFIG_FILE=cli_config,
               TF_IN_AUTOMATION="1")
    os.environ.update({key: env[key] for key in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                                 "AWS_DEFAULT_REGION")})
    try:
        wrapper, bare = bench_plan(endpoint, env)
        status_8, counted_8 = bench_status(emulator, env, 8)
        status_128, counted_128 = bench_status(emulator, env, 128)
    finally:
        emulator.stop()
        shutil.rmtree(work, ignore_errors=True)
    report = Report("ecsenv plan and status")
    report.add("ecsenv plan staging", spread(wrapper))
    report.add("bare terraform plan, same flags", spread(bare))
    report.ratio("ecsenv plan / terraform plan", wrapper, bare, "<= 1.05", lambda value: value <= 1.05)
    report.add("ecsenv status, 8 environments", spread(status_8))
    report.add("ecsenv status, 128 environments", spread(status_128))
    report.ratio("status 128 / status 8", status_128, status_8, "<= 3.0", lambda value: value <= 3.0)
    report.counts("status, 8 environments", counted_8)
    report.counts("status, 128 environments", counted_128)
    report.print()


if __name__ == "__main__":
    main()
