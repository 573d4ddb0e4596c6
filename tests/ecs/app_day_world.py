"""A project with ECS services on the moto server, for the tests of one-off tasks, logs, pre-deploy steps and failure
diagnosis; and the way those tests make tasks end.

Moto cannot run containers: RunTask creates a task that stays RUNNING (or, by moto's default, drifts to STOPPED with
exit code 0 after four DescribeTasks). The session's moto server is a ThreadedMotoServer inside the test process, so
the tests reach its ECS backend (`moto.backends.get_backend("ecs")[account][region]`) and end a task there the way
ECS would: lastStatus/desiredStatus STOPPED, stoppedReason and stopCode, each container's exitCode and reason. The
task's transitions are frozen through moto's own state-manager API, so a task ends only when a test says so.

Names, region and account appear nowhere else in the repository, so nothing here can pass by matching a default."""

import datetime
import json
import time

from conftest import post

from bootstrap.project.config import EnvironmentConfig, ProjectConfig, ServiceConfig, StateConfig, save_config

ACCOUNT = "318406527194"
REGION = "ap-south-2"
PROJECT = "tallowmere"
BUCKET = f"{PROJECT}-tfstate-{ACCOUNT}"
REPOSITORY = f"{PROJECT}/web"
REPO = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{REPOSITORY}"
SHA1, SHA2, SHA3 = "a1" * 20, "b2" * 20, "c3" * 20


def log_group(environment):
    return f"/ecs/{PROJECT}-{environment}"


class World:
    """The clients and ids of the project's AWS, and moto's ECS tasks."""

    def __init__(self, boto, endpoint):
        self.boto = boto
        self.endpoint = endpoint
        self.subnets, self.security_groups = {}, {}

    def client(self, service):
        return self.boto.client(service, REGION)

    # ------------------------------------------------------------ setting up

    def push(self, tag):
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1,
                               "digest": "sha256:" + tag[:1] * 64}, "layers": []}
        self.client("ecr").put_image(repositoryName=REPOSITORY, imageManifest=json.dumps(manifest), imageTag=tag)

    def network(self, environment):
        ec2 = self.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
        # moto gives a task's network interface a private DNS name only in a VPC with DNS host names (as the
        # stack's VPC has); RunTask fails inside moto without one.
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
        self.subnets[environment] = ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.1.0/24")["Subnet"]["SubnetId"]
        self.security_groups[environment] = ec2.create_security_group(
            GroupName=f"{PROJECT}-{environment}-web", Description="web tasks", VpcId=vpc)["GroupId"]

    def service(self, environment, sha, name="web", desired=1):
        ecs = self.client("ecs")
        cluster = f"{PROJECT}-{environment}"
        ecs.create_cluster(clusterName=cluster)
        role = f"arn:aws:iam::{ACCOUNT}:role/{cluster}-{name}-execution"
        definition = ecs.register_task_definition(
            family=f"{cluster}-{name}", executionRoleArn=role, networkMode="awsvpc", cpu="256", memory="512",
            requiresCompatibilities=["FARGATE"], tags=[{"key": "ecsenv:project", "value": PROJECT}],
            containerDefinitions=[{
                "name": name, "image": f"{REPO}:{sha}", "essential": True,
                # Fargate needs no container memory (the task's is enough); moto's RunTask does.
                "memoryReservation": 256,
                "dockerLabels": {"ecsenv.role": "app"},
                "environment": [{"name": "APP_ENV", "value": environment}],
                "logConfiguration": {"logDriver": "awslogs", "options": {
                    "awslogs-group": log_group(environment), "awslogs-region": REGION,
                    "awslogs-stream-prefix": name}}}])["taskDefinition"]["taskDefinitionArn"]
        ecs.create_service(cluster=cluster, serviceName=name, desiredCount=desired, taskDefinition=definition,
                           launchType="FARGATE", platformVersion="1.4.0",
                           networkConfiguration={"awsvpcConfiguration": {
                               "subnets": [self.subnets[environment]],
                               "securityGroups": [self.security_groups[environment]], "assignPublicIp": "DISABLED"}},
                           deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}})
        return definition

    # ------------------------------------------------------------ reading

    def running_definition(self, environment, name="web"):
        ecs = self.client("ecs")
        service = ecs.describe_services(cluster=f"{PROJECT}-{environment}", services=[name])["services"][0]
        return ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]

    def revisions(self, family):
        return self.client("ecs").list_task_definitions(familyPrefix=family)["taskDefinitionArns"]

    def history(self, environment):
        """One entry per deploy attempt, oldest first: its started record with its ended record over it."""
        s3 = self.client("s3")
        contents = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"ecsenv/deployed/{environment}/").get("Contents", [])
        attempts = {}
        for item in sorted(contents, key=lambda item: item["Key"]):
            folder, _, name = item["Key"].rpartition("/")
            body = json.loads(s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read())
            entry = attempts.setdefault(folder, {})
            entry.update(body) if name == "ended.json" else entry.update({**body, **entry})
        return list(attempts.values())

    # ------------------------------------------------------------ logs

    def put_logs(self, environment, stream, messages, at=None):
        """Log events in `stream` of the environment's group: (offset in ms from `at`, message) pairs."""
        logs = self.client("logs")
        group = log_group(environment)
        try:
            logs.create_log_stream(logGroupName=group, logStreamName=stream)
        except logs.exceptions.ResourceAlreadyExistsException:
            pass
        base = at if at is not None else int(time.time() * 1000) - 60_000
        logs.put_log_events(logGroupName=group, logStreamName=stream,
                            logEvents=[{"timestamp": base + offset, "message": message}
                                       for offset, message in messages])

    # ------------------------------------------------------------ moto's tasks

    @staticmethod
    def ecs_backend():
        from moto.backends import get_backend

        return get_backend("ecs")[ACCOUNT][REGION]

    def tasks(self):
        """moto's Task objects, oldest first."""
        return [task for tasks in self.ecs_backend().tasks.values() for task in tasks.values()]

    def start_service_task(self, environment, definition_arn, name="web"):
        """A task of the service, as ECS would start it for a deployment (moto starts none for a service)."""
        ecs = self.client("ecs")
        arn = ecs.run_task(cluster=f"{PROJECT}-{environment}", taskDefinition=definition_arn, launchType="FARGATE",
                           startedBy="ecs-svc/1234567890", group=f"service:{name}",
                           networkConfiguration={"awsvpcConfiguration": {
                               "subnets": [self.subnets[environment]],
                               "securityGroups": [self.security_groups[environment]]}})["tasks"][0]["taskArn"]
        return next(task for task in self.tasks() if task.task_arn == arn)

    @staticmethod
    def end(task, exit_code=0, reason="Essential container in task exited", stop_code="EssentialContainerExited",
            container_reason=None):
        """End a moto task as ECS ends one. exit_code None: its containers never ran."""
        for container in task.containers:
            container.exitCode = exit_code
            container.last_status = "STOPPED"
            if container_reason:
                container.reason = container_reason
        task.stopped_reason = reason
        task.stop_code = stop_code
        task.stopped_at = datetime.datetime.now(datetime.timezone.utc)
        task.last_status = "STOPPED"
        task.desired_status = "STOPPED"


def freeze_tasks(endpoint):
    """Tasks stay as they are until a test ends them (moto's own state-manager API)."""
    post(f"{endpoint}/moto-api/state-manager/set-transition",
         json.dumps({"model_name": "ecs::task", "transition": {"progression": "manual", "times": 10 ** 9}}).encode())


def thaw_tasks(endpoint):
    post(f"{endpoint}/moto-api/state-manager/unset-transition", json.dumps({"model_name": "ecs::task"}).encode())


def build(boto, endpoint, project_dir, monkeypatch, services=None, environments=("staging", "production")):
    """The project: ecsenv.yaml, the state bucket, the image repository (SHA1 and SHA2 pushed), and per environment a
    VPC, a cluster, a log group and the service `web` running SHA1. Returns the World."""
    monkeypatch.setenv("MOTO_ACCOUNT_ID", ACCOUNT)  # read by the in-process moto server on every request
    monkeypatch.setenv("ECSENV_POLL_SECONDS", "0.05")
    world = World(boto, endpoint)
    config = ProjectConfig(PROJECT, StateConfig(ACCOUNT, REGION, BUCKET, "lockfile", None, None, {}),
                           {"staging": EnvironmentConfig(ACCOUNT, REGION),
                            "production": EnvironmentConfig(ACCOUNT, REGION, promotes_from="staging")},
                           services={name: ServiceConfig(command) for name, command in (services or {}).items()})
    save_config(config, str(project_dir / "ecsenv.yaml"))
    s3 = world.client("s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    world.client("ecr").create_repository(repositoryName=REPOSITORY)
    for sha in (SHA1, SHA2):
        world.push(sha)
    for environment in environments:
        world.network(environment)
        world.client("logs").create_log_group(logGroupName=log_group(environment))
        world.service(environment, SHA1)
    return world


def on_call(monkeypatch, operation, actions):
    """Run actions[n] just before the (n+1)th call of `operation` made through botocore reaches the emulator (the
    way tests/e2e/test_deploy.py plays ECS's circuit breaker). Returns the list of calls seen."""
    from botocore.client import BaseClient

    real = BaseClient._make_api_call
    seen = []

    def hooked(client, name, params):
        if name == operation:
            seen.append(params)
            action = actions.get(len(seen) - 1) if isinstance(actions, dict) else None
            if action:
                action(params)
        return real(client, name, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", hooked)
    return seen
