"""Benchmark `ecsenv deploy --no-wait` of one service against its peers, on the local emulator (moto behind the
recording layer), in one run:
  - a bare boto3 script doing the same ECS steps in one process (describe the service, describe its task
    definition, register the new revision, update the service): target boto3 time / ecsenv time >= 1.0;
  - the aws CLI sequence (the same four steps, one process each): target >= 6x;
  - ecs-deploy (`ecs deploy CLUSTER SERVICE --tag TAG --timeout -1`), installed from PyPI into bench/.peers when
    the package index is reachable (else the row says the peer is unavailable): target >= 1.2x;
  - requests and sequential steps of each, and ecsenv's target: at most 8 calls before the wait.
ecsenv does more in its one process (the image exists, secrets have values, a deploy lock, the deploy history).
Times are min/median/max of RUNS interleaved runs. A report, not a test: exits 0 once measured."""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from emulator import PYTHON, REPO, RUNS, Emulator, Report, aws_env, operations, run, spread

BIN = Path(sys.executable).parent
AWS = str(BIN / "aws")
PEERS = REPO / "bench" / ".peers"  # a venv of its own: ecs-deploy's pins must not touch ecsenv's
ACCOUNT = "123456789012"
IMAGE = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/bench/web"
TAGS = ("a" * 40, "b" * 40)
SIDES = ("ecsenv", "boto3", "cli", "ecsdeploy")


def ecs_deploy_peer():
    """The `ecs` command of ecs-deploy, installed on first use; (path, None) or (None, why not)."""
    command = PEERS / "bin" / "ecs"
    if command.exists():
        return str(command), None
    try:
        subprocess.run([PYTHON, "-m", "venv", str(PEERS)], check=True, capture_output=True)
        result = subprocess.run([str(PEERS / "bin" / "pip"), "install", "--quiet", "ecs-deploy"],
                                capture_output=True, text=True, timeout=300)
    except (subprocess.SubprocessError, OSError) as exc:
        return None, f"could not install ecs-deploy ({exc})"
    if result.returncode != 0 or not command.exists():
        return None, "ecs-deploy could not be installed from the package index (not reachable?): " + (
            result.stderr.strip().splitlines() or ["no output"])[-1]
    return str(command), None


def setup(project, env):
    import boto3

    from bootstrap.project.config import EnvironmentConfig, ProjectConfig, StateConfig, save_config

    os.environ.update({key: env[key] for key in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                                 "AWS_DEFAULT_REGION", "AWS_CONFIG_FILE",
                                                 "AWS_SHARED_CREDENTIALS_FILE")})
    save_config(ProjectConfig("bench", StateConfig(ACCOUNT, "us-east-1", "bench-tfstate", "lockfile", None, None,
                                                   {}), {"staging": EnvironmentConfig(ACCOUNT, "us-east-1")}),
                os.path.join(project, "ecsenv.yaml"))
    s3, ecr, ecs, sm = (boto3.client(name) for name in ("s3", "ecr", "ecs", "secretsmanager"))
    s3.create_bucket(Bucket="bench-tfstate")
    ecr.create_repository(repositoryName="bench/web")
    for tag in TAGS:
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1,
                               "digest": "sha256:" + tag[0] * 64}, "layers": []}
        ecr.put_image(repositoryName="bench/web", imageManifest=json.dumps(manifest), imageTag=tag)
    secret = sm.create_secret(Name="bench/staging/APP_SECRET_KEY", SecretString="x")["ARN"]
    for side in SIDES:  # one cluster per side, so that none waits on another's deployments
        cluster = "bench-staging" if side == "ecsenv" else f"{side}-staging"
        ecs.create_cluster(clusterName=cluster)
        task = ecs.register_task_definition(
            family=f"{cluster}-web", executionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/exec", networkMode="awsvpc",
            cpu="256", memory="512", requiresCompatibilities=["FARGATE"],
            containerDefinitions=[{"name": "web", "image": f"{IMAGE}:{TAGS[0]}", "essential": True,
                                   "secrets": [{"name": "APP_SECRET_KEY", "valueFrom": secret}]}])
        ecs.create_service(cluster=cluster, serviceName="web", desiredCount=1,
                           taskDefinition=task["taskDefinition"]["taskDefinitionArn"])


KEEP = ("family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions", "volumes",
        "requiresCompatibilities", "cpu", "memory")

BOTO3_SCRIPT = r"""
import sys
import boto3
cluster, tag, image, keep = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(",")
ecs = boto3.client("ecs")
service = ecs.describe_services(cluster=cluster, services=["web"])["services"][0]
definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
new = {key: definition[key] for key in keep if definition.get(key) not in (None, [], {})}
for container in new["containerDefinitions"]:
    container["image"] = f"{image}:{tag}"
arn = ecs.register_task_definition(**new)["taskDefinition"]["taskDefinitionArn"]
ecs.update_service(cluster=cluster, service="web", taskDefinition=arn)
"""


def boto3_deploy(tag, env):
    return run([PYTHON, "-c", BOTO3_SCRIPT, "boto3-staging", tag, IMAGE, ",".join(KEEP)], env)[0]


def cli_deploy(tag, env, scratch):
    aws = [AWS, "--output", "json", "--endpoint-url", env["AWS_ENDPOINT_URL"]]
    start = time.perf_counter()
    service = json.loads(run(aws + ["ecs", "describe-services", "--cluster", "cli-staging", "--services", "web"],
                             env)[1])["services"][0]
    definition = json.loads(run(aws + ["ecs", "describe-task-definition", "--task-definition",
                                       service["taskDefinition"]], env)[1])["taskDefinition"]
    new = {key: definition[key] for key in KEEP if definition.get(key) not in (None, [], {})}
    for container in new["containerDefinitions"]:
        container["image"] = f"{IMAGE}:{tag}"
    path = os.path.join(scratch, "taskdef.json")
    with open(path, "w") as handle:
        json.dump(new, handle)
    arn = json.loads(run(aws + ["ecs", "register-task-definition", "--cli-input-json", f"file://{path}"],
                         env)[1])["taskDefinition"]["taskDefinitionArn"]
    run(aws + ["ecs", "update-service", "--cluster", "cli-staging", "--service", "web", "--task-definition", arn],
        env)
    return time.perf_counter() - start


def ecsenv_deploy(tag, env, project):
    return run([PYTHON, "-m", "bootstrap", "deploy", "staging", "--sha", tag, "--no-wait"], env, cwd=project)[0]


def ecs_deploy(command, tag, env):
    return run([command, "deploy", "ecsdeploy-staging", "web", "--tag", tag, "--timeout", "-1",
                "--region", "us-east-1"], env)[0]


def until_update(counted):
    requests, _, recorded = counted
    ordered = sorted(recorded, key=lambda request: request.start)
    names = [request.operation for request in ordered]
    cut = names.index("UpdateService") + 1 if "UpdateService" in names else len(names)
    from bootstrap.local.recorder import sequential_steps

    return cut, sequential_steps(ordered[:cut]), ordered


def main():
    started = time.perf_counter()
    command, unavailable = ecs_deploy_peer()
    report = Report("ecsenv deploy --no-wait, one service")
    with tempfile.TemporaryDirectory(prefix="ecsenv-bench-deploy-") as scratch:
        emulator = Emulator(Path(scratch) / "emulator.log")
        try:
            emulator.wait_ready()
            env = aws_env(emulator.endpoint, scratch)
            project = os.path.join(scratch, "project")
            os.makedirs(project)
            setup(project, env)
            times = {side: [] for side in SIDES}
            for rep in range(RUNS + 1):  # the first round warms every side up and is not counted
                tag = TAGS[(rep + 1) % 2]
                measured = {"ecsenv": ecsenv_deploy(tag, env, project), "boto3": boto3_deploy(tag, env),
                            "cli": cli_deploy(tag, env, scratch)}
                if command:
                    measured["ecsdeploy"] = ecs_deploy(command, tag, env)
                if rep:
                    for side, seconds in measured.items():
                        times[side].append(seconds)
            counted = {"ecsenv": emulator.count(lambda: ecsenv_deploy(TAGS[0], env, project)),
                       "boto3": emulator.count(lambda: boto3_deploy(TAGS[0], env))}
            if command:
                counted["ecsdeploy"] = emulator.count(lambda: ecs_deploy(command, TAGS[0], env))
        finally:
            emulator.stop()

    ours = times["ecsenv"]
    report.add("ecsenv deploy --no-wait", spread(ours))
    report.add("boto3 script, same 4 ECS steps", spread(times["boto3"]))
    report.ratio("boto3 script / ecsenv", times["boto3"], ours, ">= 1.0", lambda value: value >= 1.0)
    report.add("aws CLI sequence, 4 processes", spread(times["cli"]))
    report.ratio("aws CLI / ecsenv", times["cli"], ours, ">= 6.0", lambda value: value >= 6.0)
    if command:
        report.add("ecs-deploy --timeout -1", spread(times["ecsdeploy"]))
        report.ratio("ecs-deploy / ecsenv", times["ecsdeploy"], ours, ">= 1.2", lambda value: value >= 1.2)
    else:
        report.add("ecs-deploy", f"peer unavailable: {unavailable}", ">= 1.2", None)
    calls, steps, recorded = until_update(counted["ecsenv"])
    report.add("ecsenv: calls before the wait", f"{calls} requests, {steps} sequential steps", "requests <= 8",
               calls <= 8)
    report.counts("ecsenv: the whole command", counted["ecsenv"])
    report.counts("boto3 script", counted["boto3"])
    if command:
        report.counts("ecs-deploy", counted["ecsdeploy"])
    print(f"ecsenv requests: {operations(recorded)}")
    if command:
        print(f"ecs-deploy requests: {operations(counted['ecsdeploy'][2])}")
    report.print()
    print(f"(benchmark took {time.perf_counter() - started:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
