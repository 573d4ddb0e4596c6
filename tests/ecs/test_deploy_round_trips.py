"""`ecsenv deploy --no-wait` of one service in few calls and round trips (issue 15), counted by the recording layer
in front of the emulator. The issue's target is 8 calls before the wait; what every remaining call is for (so the
target is not met yet): STS (the account check, the lock's owner), the state's outputs (the cluster), ListServices
(not with --service), DescribeServices, DescribeTaskDefinition, DescribeImages (the image exists), DescribeSecret
(it has a value), the history listing, the lock, RegisterTaskDefinition, the started record, UpdateService."""

import json

import boto3

from bootstrap.cli import main
from bootstrap.local.recorder import describe, sequential_steps
from bootstrap.project.config import EnvironmentConfig, ProjectConfig, StateConfig, save_config

ACCOUNT = "123456789012"  # moto's account
BUCKET = "quillon-tfstate-7731"
REPOSITORY = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/quillon/web"
OLD, NEW = "4" * 40, "5" * 40


def setup_service(project_dir):
    clients = {name: boto3.client(name, region_name="us-east-1") for name in ("s3", "ecr", "ecs", "secretsmanager")}
    save_config(ProjectConfig("quillon", StateConfig(ACCOUNT, "us-east-1", BUCKET, "lockfile", None, None, {}),
                              {"staging": EnvironmentConfig(ACCOUNT, "us-east-1")}),
                str(project_dir / "ecsenv.yaml"))
    clients["s3"].create_bucket(Bucket=BUCKET)
    clients["ecr"].create_repository(repositoryName="quillon/web")
    for tag in (OLD, NEW):
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1,
                               "digest": "sha256:" + tag[0] * 64}, "layers": []}
        clients["ecr"].put_image(repositoryName="quillon/web", imageManifest=json.dumps(manifest), imageTag=tag)
    secret = clients["secretsmanager"].create_secret(Name="quillon/staging/KEY", SecretString="v")["ARN"]
    ecs = clients["ecs"]
    ecs.create_cluster(clusterName="quillon-staging")
    task = ecs.register_task_definition(
        family="quillon-staging-web", networkMode="awsvpc", cpu="256", memory="512",
        requiresCompatibilities=["FARGATE"],
        containerDefinitions=[{"name": "web", "image": f"{REPOSITORY}:{OLD}", "essential": True,
                               "secrets": [{"name": "KEY", "valueFrom": secret}]}])
    ecs.create_service(cluster="quillon-staging", serviceName="web", desiredCount=1,
                       taskDefinition=task["taskDefinition"]["taskDefinitionArn"])


def deploy(recorded, capsys, *extra):
    recorded.clear()
    code = main(["deploy", "staging", "--sha", NEW, "--no-wait", *extra])
    out, err = capsys.readouterr()
    assert code == 0, err
    requests = sorted(recorded.requests, key=lambda request: request.start)
    operations = [request.operation for request in requests]
    update = operations.index("UpdateService")
    return requests[:update + 1], f"{describe(requests)}: {', '.join(operations)}"


def test_deploy_of_one_service_sends_its_reads_together(recorded, project_dir, capsys):
    setup_service(project_dir)
    before_wait, said = deploy(recorded, capsys)
    assert len(before_wait) <= 12, said
    # STS beside the first read, the image and secret checks side by side, the history read beside the lock
    assert sequential_steps(before_wait) <= 9, said
    before_wait, said = deploy(recorded, capsys, "--service", "web")  # named: described without listing
    assert "ListServices" not in said
    assert len(before_wait) <= 11 and sequential_steps(before_wait) <= 8, said
