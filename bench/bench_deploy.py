"""Benchmark (issue 6): `ecsenv deploy` of one service against the equivalent aws CLI sequence, on the same local
emulator, in one run. Target: ecsenv at least 5x faster.

The aws CLI sequence is what a deploy script does (and what the seed's CI did): describe-services,
describe-task-definition, register-task-definition (the same definition, new image tag), update-service,
wait services-stable; each command its own process. ecsenv does more in its one process (checks the image exists,
checks secrets have values, takes and releases a deploy lock, records history), so the comparison is conservative.
Prints numbers and the ratio; exits 0 whatever they are."""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from emulator import Emulator  # bench/emulator.py: the moto server subprocess, shared by the benchmarks

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
AWS = os.path.join(os.path.dirname(sys.executable), "aws")
RUNS = 5
ACCOUNT = "123456789012"
IMAGE = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/bench/web"
TAGS = ("a" * 40, "b" * 40)


def setup(directory, endpoint):
    import boto3

    from bootstrap.project.config import EnvironmentConfig, ProjectConfig, StateConfig, save_config

    save_config(ProjectConfig("bench", StateConfig(ACCOUNT, "us-east-1", "bench-tfstate", "lockfile", None, None,
                                                   {}), {"staging": EnvironmentConfig(ACCOUNT, "us-east-1")}),
                os.path.join(directory, "ecsenv.yaml"))
    s3, ecr, ecs, sm = (boto3.client(name) for name in ("s3", "ecr", "ecs", "secretsmanager"))
    s3.create_bucket(Bucket="bench-tfstate")
    ecr.create_repository(repositoryName="bench/web")
    for tag in TAGS:
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1,
                               "digest": "sha256:" + tag[0] * 64}, "layers": []}
        ecr.put_image(repositoryName="bench/web", imageManifest=json.dumps(manifest), imageTag=tag)
    secret = sm.create_secret(Name="bench/staging/APP_SECRET_KEY", SecretString="x")["ARN"]
    for cluster in ("bench-staging", "cli-staging"):  # one cluster per side, so neither waits on the other
        ecs.create_cluster(clusterName=cluster)
        task = ecs.register_task_definition(
            family=f"{cluster}-web", executionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/exec", networkMode="awsvpc",
            cpu="256", memory="512", requiresCompatibilities=["FARGATE"],
            containerDefinitions=[{"name": "web", "image": f"{IMAGE}:{TAGS[0]}", "essential": True,
                                   "secrets": [{"name": "APP_SECRET_KEY", "valueFrom": secret}]}])
        ecs.create_service(cluster=cluster, serviceName="web", desiredCount=1,
                           taskDefinition=task["taskDefinition"]["taskDefinitionArn"])


def run(args, env, cwd=None):
    result = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        sys.exit(f"{' '.join(args[:4])} failed:\n{result.stdout[-1500:]}\n{result.stderr[-1500:]}")
    return result.stdout


def aws_cli_deploy(tag, env, scratch):
    """The sequence a shell deploy script runs (with jq's work done here, untimed-cheap)."""
    aws = [AWS, "--output", "json", "--endpoint-url", env["AWS_ENDPOINT_URL"]]
    service = json.loads(run(aws + ["ecs", "describe-services", "--cluster", "cli-staging", "--services", "web"],
                             env))["services"][0]
    definition = json.loads(run(aws + ["ecs", "describe-task-definition", "--task-definition",
                                       service["taskDefinition"]], env))["taskDefinition"]
    keep = ("family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions", "volumes",
            "requiresCompatibilities", "cpu", "memory")
    new = {key: definition[key] for key in keep if definition.get(key) not in (None, [], {})}
    for container in new["containerDefinitions"]:
        container["image"] = f"{IMAGE}:{tag}"
    path = os.path.join(scratch, "taskdef.json")
    with open(path, "w") as handle:
        json.dump(new, handle)
    arn = json.loads(run(aws + ["ecs", "register-task-definition", "--cli-input-json", f"file://{path}"],
                         env))["taskDefinition"]["taskDefinitionArn"]
    run(aws + ["ecs", "update-service", "--cluster", "cli-staging", "--service", "web", "--task-definition", arn],
        env)
    run(aws + ["ecs", "wait", "services-stable", "--cluster", "cli-staging", "--services", "web"], env)


def main():
    scratch = tempfile.mkdtemp(prefix="ecsenv-bench-deploy-")
    emulator = Emulator(os.path.join(scratch, "moto.log"))
    try:
        emulator.wait_ready()
        env = dict(os.environ, AWS_ENDPOINT_URL=emulator.endpoint, AWS_ACCESS_KEY_ID="testing",
                   AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1", PYTHONPATH=REPO,
                   AWS_CONFIG_FILE=os.path.join(scratch, "none"),
                   AWS_SHARED_CREDENTIALS_FILE=os.path.join(scratch, "none"))
        os.environ.update({key: env[key] for key in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID",
                                                     "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")})
        project = os.path.join(scratch, "project")
        os.makedirs(project)
        setup(project, emulator.endpoint)
        ecsenv_times, cli_times = [], []
        for rep in range(RUNS + 1):  # the first round warms both up and is not counted
            tag = TAGS[(rep + 1) % 2]
            start = time.perf_counter()
            run([sys.executable, "-m", "bootstrap", "deploy", "staging", "--sha", tag], env, cwd=project)
            elapsed_ecsenv = time.perf_counter() - start
            start = time.perf_counter()
            aws_cli_deploy(tag, env, scratch)
            elapsed_cli = time.perf_counter() - start
            if rep:
                ecsenv_times.append(elapsed_ecsenv)
                cli_times.append(elapsed_cli)
    finally:
        emulator.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    ours, theirs = statistics.median(ecsenv_times), statistics.median(cli_times)
    ratio = theirs / ours
    print(f"{'measure':<40} {'value':>9}  target")
    print(f"{'ecsenv deploy, one service (median)':<40} {ours:>8.3f}s")
    print(f"{'aws CLI sequence, 5 commands (median)':<40} {theirs:>8.3f}s")
    print(f"{'aws CLI / ecsenv':<40} {ratio:>8.1f}x  >= 5x {'ok' if ratio >= 5 else 'MISS'}")


if __name__ == "__main__":
    main()
