"""`ecsenv status` over many environments stays near-flat (issue 15): one STS call for every environment in one
region and account (connections share their session, clients and identity), git asked once per commit, each
environment's reads issued together; counted by the recording layer in front of the emulator."""

import subprocess

import boto3

from bootstrap.aws import Aws
from bootstrap.cli import main
from bootstrap.ledger.records import new_apply_record, write_apply_record
from bootstrap.lifecycle import git
from bootstrap.local.recorder import describe, sequential_steps
from bootstrap.project.config import EnvironmentConfig, ProjectConfig, StateConfig, save_config

ACCOUNT = "123456789012"  # moto's account
BUCKET = "vexhollow-tfstate-5521"
NAMES = [f"zone{index}" for index in range(6)]


def sh(directory, *args):
    subprocess.run(args, cwd=directory, check=True, capture_output=True)


def project(project_dir):
    environments = {name: EnvironmentConfig(ACCOUNT, "us-east-1") for name in NAMES}
    save_config(ProjectConfig("vexhollow", StateConfig(ACCOUNT, "us-east-1", BUCKET, "lockfile", None, None, {}),
                              environments), str(project_dir / "ecsenv.yaml"))
    sh(project_dir, "git", "init", "-q", "-b", "main")
    sh(project_dir, "git", "add", "-A")
    sh(project_dir, "git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "one")
    sha = git.head_sha(str(project_dir))
    s3, ecs = boto3.client("s3", region_name="us-east-1"), boto3.client("ecs", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    aws = Aws(region="us-east-1")
    for name in ["global_aws", *NAMES]:
        write_apply_record(aws, BUCKET, new_apply_record(name, sha, f"arn:aws:iam::{ACCOUNT}:user/t", True))
    for name in NAMES:
        cluster = f"vexhollow-{name}"
        ecs.create_cluster(clusterName=cluster)
        task = ecs.register_task_definition(family=f"{cluster}-web", containerDefinitions=[
            {"name": "web", "image": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/vexhollow/web:{sha}",
             "memory": 512}])["taskDefinition"]["taskDefinitionArn"]
        ecs.create_service(cluster=cluster, serviceName="web", taskDefinition=task, desiredCount=1)


def test_status_over_many_environments_asks_sts_once_and_git_once_per_commit(recorded, project_dir, capsys,
                                                                             monkeypatch):
    project(project_dir)
    asked = []
    real = git._git
    monkeypatch.setattr(git, "_git", lambda directory, *args, **kwargs: (asked.append(args[0]),
                                                                         real(directory, *args, **kwargs))[1])
    recorded.clear()
    code = main(["status"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    requests = recorded.requests
    operations = [request.operation for request in requests]
    assert operations.count("GetCallerIdentity") == 1, describe(requests)
    assert asked.count("merge-base") == 1 and asked.count("rev-list") <= 1, asked
    # six environments side by side: as many round trips as one environment takes, not six times as many
    assert sequential_steps(requests) <= 6, f"{describe(requests)}: {operations}"
