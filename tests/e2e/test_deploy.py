"""`ecsenv deploy / rollback / promote` on the moto server's ECS, ECR, Secrets Manager and S3."""

import json
import time

import pytest
from conftest import ACCOUNT, strict_api

from bootstrap.cli import main
from bootstrap.project.config import EnvironmentConfig, ProjectConfig, StateConfig, save_config

BUCKET = f"acme-tfstate-{ACCOUNT}"
REPO = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/acme/web"
SHA1, SHA2, SHA3 = "1" * 40, "2" * 40, "3" * 40


def push(boto, tag, content=None):
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1,
                           "digest": "sha256:" + (content or tag)[:1] * 64}, "layers": []}
    boto.ecr.put_image(repositoryName="acme/web", imageManifest=json.dumps(manifest), imageTag=tag)


def secret_arn(boto, environment, with_value=True):
    kwargs = {"SecretString": "v"} if with_value else {}
    return boto.secretsmanager.create_secret(Name=f"acme/{environment}/APP_SECRET_KEY", **kwargs)["ARN"]


def run_service(boto, environment, sha, secret, desired=1):
    ecs = boto.ecs
    ecs.create_cluster(clusterName=f"acme-{environment}")
    role = f"arn:aws:iam::{ACCOUNT}:role/acme-{environment}-web-execution"
    task = ecs.register_task_definition(
        family=f"acme-{environment}-web", executionRoleArn=role, networkMode="awsvpc", cpu="256", memory="512",
        requiresCompatibilities=["FARGATE"], tags=[{"key": "ecsenv:environment", "value": environment}],
        containerDefinitions=[{"name": "web", "image": f"{REPO}:{sha}", "essential": True,
                               "secrets": [{"name": "APP_SECRET_KEY", "valueFrom": secret}],
                               "environment": [{"name": "APP_ENV", "value": environment}]}])
    ecs.create_service(cluster=f"acme-{environment}", serviceName="web", desiredCount=desired,
                       taskDefinition=task["taskDefinition"]["taskDefinitionArn"],
                       deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}})


@pytest.fixture
def project(boto, project_dir):
    config = ProjectConfig("acme", StateConfig(ACCOUNT, "us-east-1", BUCKET, "lockfile", None, None, {}),
                           {"staging": EnvironmentConfig(ACCOUNT, "us-east-1"),
                            "production": EnvironmentConfig(ACCOUNT, "us-east-1", promotes_from="staging")})
    save_config(config, str(project_dir / "ecsenv.yaml"))
    boto.s3.create_bucket(Bucket=BUCKET)
    boto.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    boto.ecr.create_repository(repositoryName="acme/web")
    for sha in (SHA1, SHA2):
        push(boto, sha)
    for environment in ("staging", "production"):
        run_service(boto, environment, SHA1, secret_arn(boto, environment))
    return project_dir


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def running(boto, environment):
    service = boto.ecs.describe_services(cluster=f"acme-{environment}", services=["web"])["services"][0]
    definition = boto.ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    return definition


def revisions(boto, environment):
    return boto.ecs.list_task_definitions(familyPrefix=f"acme-{environment}-web")["taskDefinitionArns"]


def test_deploy_moves_every_service_to_the_new_image_and_deregisters_nothing(project, boto, capsys):
    before = revisions(boto, "staging")
    code, out, err = run(capsys, "deploy", "staging", "--sha", SHA2)
    assert code == 0, err
    assert "rollout COMPLETED" in out and "web: registered acme-staging-web:2" in out
    definition = running(boto, "staging")
    assert definition["containerDefinitions"][0]["image"] == f"{REPO}:{SHA2}"
    assert definition["containerDefinitions"][0]["secrets"][0]["name"] == "APP_SECRET_KEY"
    assert definition["executionRoleArn"].endswith("acme-staging-web-execution") and definition["cpu"] == "256"
    assert len(revisions(boto, "staging")) == len(before) + 1
    assert all(boto.ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]["status"] == "ACTIVE"
               for arn in before)
    history = boto.s3.list_objects_v2(Bucket=BUCKET, Prefix="ecsenv/deployed/staging/")["Contents"]
    keys = sorted(entry["Key"] for entry in history)
    assert len(keys) == 2 and keys[0].endswith("/ended.json") and keys[1].endswith("/started.json")
    assert f"-{SHA2}-" in keys[0]
    started = json.loads(boto.s3.get_object(Bucket=BUCKET, Key=keys[1])["Body"].read())
    ended = json.loads(boto.s3.get_object(Bucket=BUCKET, Key=keys[0])["Body"].read())
    assert started["sha"] == SHA2 and started["kind"] == "deploy" and started["services"]["web"]["to"].endswith(":2")
    assert ended["outcome"] == "succeeded" and ended["updated"] == ["web"]
    keys = [o["Key"] for o in boto.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert "ecsenv/deploy-locks/staging.json" not in keys, "the lock is released"


def test_missing_image_is_refused_before_anything_is_registered(project, boto, capsys):
    before = revisions(boto, "staging")
    code, out, err = run(capsys, "deploy", "staging", "--sha", SHA3)
    assert code == 2
    assert f"image {REPO}:{SHA3} does not exist" in err and "nothing was deployed" in err
    assert revisions(boto, "staging") == before


def test_missing_secret_value_is_refused_before_anything_is_registered(project, boto, capsys):
    run_service(boto, "qa", SHA1, secret_arn(boto, "qa", with_value=False))
    text = (project / "ecsenv.yaml").read_text() + "  qa:\n    account_id: '123456789012'\n    region: us-east-1\n"
    (project / "ecsenv.yaml").write_text(text)
    before = revisions(boto, "qa")
    code, out, err = run(capsys, "deploy", "qa", "--sha", SHA2)
    assert code == 2
    assert "secret APP_SECRET_KEY" in err and "has no value" in err and "ecsenv secret set qa APP_SECRET_KEY" in err
    assert revisions(boto, "qa") == before


def test_rollback_goes_to_the_previous_sha_even_when_its_revision_is_inactive(project, boto, capsys):
    assert run(capsys, "deploy", "staging", "--sha", SHA2)[0] == 0
    assert run(capsys, "deploy", "staging", "--sha", SHA1)[0] == 0
    assert run(capsys, "deploy", "staging", "--sha", SHA2)[0] == 0
    for arn in revisions(boto, "staging")[:-1]:  # every older revision INACTIVE
        boto.ecs.deregister_task_definition(taskDefinition=arn)
    code, out, err = run(capsys, "rollback", "staging")
    assert code == 0, err
    assert f"Rolling staging back to {SHA1[:12]}" in out
    assert running(boto, "staging")["containerDefinitions"][0]["image"] == f"{REPO}:{SHA1}"
    assert running(boto, "staging")["status"] == "ACTIVE"
    code, out, err = run(capsys, "rollback", "staging", "--to", SHA2)
    assert code == 0, err
    assert running(boto, "staging")["containerDefinitions"][0]["image"] == f"{REPO}:{SHA2}"


def test_rollback_without_history_asks_for_a_sha(project, capsys):
    code, out, err = run(capsys, "rollback", "production")
    assert code == 2 and "--to SHA" in err


def test_promote_deploys_the_identical_image_running_in_staging(project, boto, capsys):
    assert run(capsys, "deploy", "staging", "--sha", SHA2)[0] == 0
    code, out, err = run(capsys, "promote", "production")
    assert code == 0, err
    assert f"Promoting {SHA2[:12]} from staging" in out
    assert running(boto, "production")["containerDefinitions"][0]["image"] == f"{REPO}:{SHA2}"


def test_promote_refuses_an_unhealthy_source(project, boto, capsys):
    run_service(boto, "dev", SHA1, secret_arn(boto, "dev"), desired=3)  # the emulator runs one task: stuck
    text = (project / "ecsenv.yaml").read_text().replace("promotes_from: staging", "promotes_from: dev")
    text = text.replace("environments:\n", "environments:\n  dev:\n    account_id: '123456789012'\n"
                                           "    region: us-east-1\n")
    (project / "ecsenv.yaml").write_text(text)
    code, out, err = run(capsys, "promote", "production")
    assert code == 2 and "dev is not healthy" in err


def test_a_second_deploy_while_one_runs_is_refused(project, boto, capsys):
    lock = {"owner": "arn:aws:iam::123456789012:user/alice", "host": "ci-7", "pid": 42,
            "started": "2026-11-27T08:00:00+00:00"}
    boto.s3.put_object(Bucket=BUCKET, Key="ecsenv/deploy-locks/staging.json", Body=json.dumps(lock))
    before = revisions(boto, "staging")
    code, out, err = run(capsys, "deploy", "staging", "--sha", SHA2)
    assert code == 1
    assert "already running" in err and "alice" in err and "ci-7" in err
    assert revisions(boto, "staging") == before


def test_a_circuit_breaker_rollback_fails_the_deploy_with_ecs_reason(project, boto, capsys, monkeypatch):
    """The emulator has no circuit breaker: right after our UpdateService, put the old revision back as ECS does."""
    from botocore.client import BaseClient

    old = boto.ecs.describe_services(cluster="acme-staging", services=["web"])["services"][0]["taskDefinition"]
    real = BaseClient._make_api_call

    def breaker(client, operation, params):
        response = real(client, operation, params)
        if operation == "UpdateService" and params.get("taskDefinition") != old:
            real(client, "UpdateService", {"cluster": params["cluster"], "service": params["service"],
                                           "taskDefinition": old})
        return response

    monkeypatch.setattr(BaseClient, "_make_api_call", breaker)
    code, out, err = run(capsys, "deploy", "staging", "--sha", SHA2)
    assert code == 1
    assert "ECS rolled the deployment back to acme-staging-web:1" in err


def test_a_rollout_that_does_not_finish_times_out_with_exit_1(project, boto, capsys, monkeypatch):
    run_service(boto, "dev", SHA1, secret_arn(boto, "dev"), desired=3)  # the emulator runs one task of three
    text = (project / "ecsenv.yaml").read_text().replace("environments:\n", "environments:\n  dev:\n"
                                                         "    account_id: '123456789012'\n    region: us-east-1\n")
    (project / "ecsenv.yaml").write_text(text)
    monkeypatch.setenv("ECSENV_POLL_SECONDS", "0.2")
    code, out, err = run(capsys, "deploy", "dev", "--sha", SHA2, "--timeout", "1")
    assert code == 1
    assert "timed out after 1s" in err
    assert "1/3 running" in out
    keys = [o["Key"] for o in boto.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert "ecsenv/deploy-locks/dev.json" not in keys, "the lock is released on failure too"


def test_no_wait_returns_after_the_update(project, boto, capsys):
    code, out, err = run(capsys, "deploy", "staging", "--sha", SHA2, "--no-wait", "--service", "web")
    assert code == 0, err
    assert "not waiting" in out
    code, out, err = run(capsys, "deploy", "staging", "--sha", SHA2, "--service", "api")
    assert code == 2 and "no service api" in err


@pytest.mark.parametrize("argv, message", [
    (["deploy", "staging", "--sha", "a b"], "is not a commit"),
    (["deploy", "staging", "--sha", "abc12"], "give at least 7 characters"),
    (["deploy", "staging", "--sha", SHA2, "--timeout", "nan"], "is not a positive number of seconds"),
    (["deploy", "staging", "--sha", SHA2, "--timeout", "-1"], "is not a positive number of seconds"),
    (["deploy", "stagin", "--sha", SHA2], "'stagin' is not an environment"),
    (["rollback", "qa"], "'qa' is not an environment"),
])
def test_bad_deploy_usage_exits_2_before_any_change(project, boto, capsys, argv, message):
    before = revisions(boto, "staging")
    with pytest.raises(SystemExit) as exited:
        code = main(argv)
        raise SystemExit(code)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err
    assert revisions(boto, "staging") == before


# ================================================================ real ECS semantics, in an environment of its own
# Project "tindra": its qa environment in ap-southeast-5, account 731902468135 (the emulator's account for these
# tests), the state bucket in another region (mx-central-1), commits from a git repository made here. Through the
# strict layer (docs/decisions/0003-strict-layer.md): ten services per DescribeServices, and ECS's deployments list
# (our deployment PRIMARY IN_PROGRESS beside the old ACTIVE one, then COMPLETED; the circuit breaker on request).

T_ACCOUNT, T_REGION, T_STATE_REGION = "731902468135", "ap-southeast-5", "mx-central-1"
T_BUCKET = f"tindra-state-{T_ACCOUNT}"
T_REGISTRY = f"{T_ACCOUNT}.dkr.ecr.{T_REGION}.amazonaws.com"
T_APP = f"{T_REGISTRY}/tindra/api"
SIDECARS = [{"name": "proxy", "image": "nginx:1.27", "essential": False, "memory": 64},
            {"name": "otel", "image": "public.ecr.aws/aws-observability/aws-otel-collector:latest", "essential": False,
             "memory": 64},
            {"name": "envoy", "image": f"{T_REGISTRY}/platform/envoy:latest", "essential": False, "memory": 64}]


def git(repo, *args):
    import subprocess

    result = subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


class Tindra:
    def __init__(self, endpoint, directory):
        import boto3

        self.endpoint, self.directory = endpoint, directory
        self.client = lambda service, region=T_REGION: boto3.client(service, region_name=region)
        self.ecs, self.ecr = self.client("ecs"), self.client("ecr")
        self.s3 = self.client("s3", T_STATE_REGION)
        self.shas = []

    def slow_rollouts(self, seconds=120):
        """From now on a deployment takes `seconds` to complete."""
        strict_api(self.endpoint, "config", deployment_seconds=seconds)

    def commit(self, message):
        (self.directory / "CHANGES").write_text(message + "\n")
        git(self.directory, "add", "-A")
        git(self.directory, "commit", "-q", "-m", message)
        sha = git(self.directory, "rev-parse", "HEAD")
        self.push("tindra/api", sha)
        self.shas.append(sha)
        return sha

    def push(self, repository, tag):
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1,
                               "digest": "sha256:" + tag[:1] * 64}, "layers": []}
        self.ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=tag)

    def register(self, service, tag, environment=None, sidecars=True):
        environment = environment or [{"name": "FLAG", "value": "1"}]
        containers = [{"name": service, "image": f"{T_APP}:{tag}", "essential": True, "memory": 256,
                       "environment": environment}] + (SIDECARS if sidecars else [])
        return self.ecs.register_task_definition(
            family=f"tindra-qa-{service}", containerDefinitions=containers, networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            tags=[{"key": "ecsenv:project", "value": "tindra"}])["taskDefinition"]["taskDefinitionArn"]

    def service(self, name, tag, desired=1, **kwargs):
        arn = self.register(name, tag)
        return self.ecs.create_service(cluster="tindra-qa", serviceName=name, taskDefinition=arn,
                                       desiredCount=desired, **kwargs)["service"]

    def running(self, name="api"):
        service = self.ecs.describe_services(cluster="tindra-qa", services=[name])["services"][0]
        return self.ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]

    def revisions(self, name="api"):
        return self.ecs.list_task_definitions(familyPrefix=f"tindra-qa-{name}")["taskDefinitionArns"]

    def records(self):
        contents = self.s3.list_objects_v2(Bucket=T_BUCKET, Prefix="ecsenv/deployed/qa/").get("Contents", [])
        return {entry["Key"]: json.loads(self.s3.get_object(Bucket=T_BUCKET, Key=entry["Key"])["Body"].read())
                for entry in contents}

    def lock(self):
        try:
            return json.loads(self.s3.get_object(Bucket=T_BUCKET, Key="ecsenv/deploy-locks/qa.json")["Body"].read())
        except self.s3.exceptions.NoSuchKey:
            return None


def qa_status(out):
    return next(env for env in json.loads(out)["environments"] if env["environment"] == "qa")


@pytest.fixture
def tindra(strict_env, tmp_path, monkeypatch):
    monkeypatch.setenv("MOTO_ACCOUNT_ID", T_ACCOUNT)  # the emulator answers as this account
    monkeypatch.setenv("ECSENV_POLL_SECONDS", "0.2")
    directory = tmp_path / "tindra"
    directory.mkdir()
    monkeypatch.chdir(directory)
    save_config(ProjectConfig("tindra", StateConfig(T_ACCOUNT, T_STATE_REGION, T_BUCKET, "lockfile", None, None, {}),
                              {"qa": EnvironmentConfig(T_ACCOUNT, T_REGION)}), str(directory / "ecsenv.yaml"))
    git(directory, "init", "-q", "-b", "main")
    project = Tindra(strict_env, directory)
    project.s3.create_bucket(Bucket=T_BUCKET, CreateBucketConfiguration={"LocationConstraint": T_STATE_REGION})
    for _ in range(50):  # S3 answers NoSuchBucket for a moment after CreateBucket (the strict layer too)
        try:
            project.s3.put_bucket_versioning(Bucket=T_BUCKET, VersioningConfiguration={"Status": "Enabled"})
            break
        except project.s3.exceptions.NoSuchBucket:
            time.sleep(0.1)
    for repository in ("tindra/api", "platform/envoy"):
        project.ecr.create_repository(repositoryName=repository)
    project.push("platform/envoy", "latest")  # a sidecar kept at `latest`: never under a commit's tag
    project.ecs.create_cluster(clusterName="tindra-qa")
    return project


def test_deploy_carries_terraforms_newest_revision_and_leaves_sidecars_alone(tindra, capsys):
    first = tindra.commit("first")
    tindra.service("api", first)
    # Terraform adds a variable: it registers a newer revision (its own image tag) that nothing runs yet.
    tindra.register("api", "initial", environment=[{"name": "FLAG", "value": "2"}, {"name": "NEW", "value": "y"}])
    code, out, err = run(capsys, "status", "--json")
    qa = qa_status(out)
    assert qa["services"][0]["undeployed_revision"] is True and qa["services"][0]["app_sha"] == first

    second = tindra.commit("second")
    code, out, err = run(capsys, "deploy", "qa", "--sha", "HEAD")
    assert code == 0, err
    assert f"Deploying {second[:12]} (HEAD) to qa" in out
    assert "api: registered tindra-qa-api:3 from tindra-qa-api:2 (api: " in out
    definition = tindra.running()
    containers = {container["name"]: container for container in definition["containerDefinitions"]}
    assert containers["api"]["image"] == f"{T_APP}:{second}"
    assert {(v["name"], v["value"]) for v in containers["api"]["environment"]} == {("FLAG", "2"), ("NEW", "y")}
    for sidecar in SIDECARS:  # kept exactly, and never checked (envoy has no image under the commit's tag)
        assert containers[sidecar["name"]]["image"] == sidecar["image"]
    code, out, err = run(capsys, "status", "--json")
    service = qa_status(out)["services"][0]
    assert service["undeployed_revision"] is False and service["app_sha"] == second


def test_a_sidecar_in_the_projects_own_namespace_is_left_alone_when_app_repositories_says_so(tindra, capsys):
    sha = tindra.commit("first")
    tindra.ecr.create_repository(repositoryName="tindra/nginx")
    tindra.push("tindra/nginx", "stable")
    arn = tindra.ecs.register_task_definition(family="tindra-qa-api", containerDefinitions=[
        {"name": "api", "image": f"{T_APP}:{sha}", "memory": 256},
        {"name": "nginx", "image": f"{T_REGISTRY}/tindra/nginx:stable", "memory": 64}])["taskDefinition"]
    tindra.ecs.create_service(cluster="tindra-qa", serviceName="api", taskDefinition=arn["taskDefinitionArn"],
                              desiredCount=1)
    second = tindra.commit("second")
    code, out, err = run(capsys, "deploy", "qa", "--sha", second)
    assert code == 2 and f"api: container nginx: image {T_REGISTRY}/tindra/nginx:{second} does not exist" in err
    assert "set app_repositories in ecsenv.yaml" in err
    config = tindra.directory / "ecsenv.yaml"
    config.write_text(config.read_text() + "app_repositories: [tindra/api]\n")
    code, out, err = run(capsys, "deploy", "qa", "--sha", second)
    assert code == 0, err
    images = {c["name"]: c["image"] for c in tindra.running()["containerDefinitions"]}
    assert images == {"api": f"{T_APP}:{second}", "nginx": f"{T_REGISTRY}/tindra/nginx:stable"}


def test_short_shas_and_refs_are_resolved_with_git_before_anything_happens(tindra, capsys):
    first = tindra.commit("first")
    tindra.service("api", first)
    second = tindra.commit("second")
    git(tindra.directory, "tag", "v2")
    code, out, err = run(capsys, "deploy", "qa", "--sha", second[:12])
    assert code == 0, err
    assert tindra.running()["containerDefinitions"][0]["image"] == f"{T_APP}:{second}"
    code, out, err = run(capsys, "rollback", "qa", "--to", first[:7], "--no-wait")
    assert code == 0, err
    assert tindra.running()["containerDefinitions"][0]["image"] == f"{T_APP}:{first}"
    code, out, err = run(capsys, "deploy", "qa", "--sha", "v2")
    assert code == 0 and f"Deploying {second[:12]} (v2)" in out
    before = tindra.revisions()
    for ref, message in (("fedcba9876", "no commit 'fedcba9876' in this repository"),
                         ("no-such-tag", "'no-such-tag' names no commit"), ("abc", "at least 7 characters")):
        code, out, err = run(capsys, "deploy", "qa", "--sha", ref)
        assert code == 2 and message in err
    assert tindra.revisions() == before


def test_rollback_after_a_timed_out_deploy_goes_to_the_release_running_before_it(tindra, capsys):
    a = tindra.commit("a")
    tindra.service("api", a)
    assert run(capsys, "deploy", "qa", "--sha", a)[0] == 0
    tindra.service("worker", a)
    tindra.slow_rollouts()  # b's rollout does not finish within its timeout
    b = tindra.commit("b")
    code, out, err = run(capsys, "deploy", "qa", "--sha", b, "--timeout", "1")
    assert code == 1 and "timed out after 1s" in err
    outcomes = [record["outcome"] for key, record in sorted(tindra.records().items()) if key.endswith("ended.json")]
    assert outcomes == ["succeeded", "timed out"]
    code, out, err = run(capsys, "rollback", "qa", "--no-wait")
    assert code == 0, err
    assert f"Rolling qa back to {a[:12]} (from {b[:12]})" in out
    assert tindra.running()["containerDefinitions"][0]["image"] == f"{T_APP}:{a}"


def test_rollback_twice_never_goes_forward_and_status_shows_a_rollback(tindra, capsys):
    c, a, b = tindra.commit("c"), tindra.commit("a"), tindra.commit("b")
    tindra.service("api", c)
    for sha in (c, a, b):
        assert run(capsys, "deploy", "qa", "--sha", sha)[0] == 0
    code, out, err = run(capsys, "rollback", "qa")
    assert code == 0 and f"Rolling qa back to {a[:12]} (from {b[:12]})" in out, err
    code, out, err = run(capsys, "status")
    assert f"rollback to {a[:12]} (from {b[:12]}): succeeded" in out
    code, out, err = run(capsys, "status", "--json")
    last = qa_status(out)["last_deploy"]
    assert last["kind"] == "rollback" and last["sha"] == a and last["rolled_back_from"] == b
    code, out, err = run(capsys, "rollback", "qa")
    assert code == 0 and f"Rolling qa back to {c[:12]} (from {a[:12]})" in out, err
    code, out, err = run(capsys, "rollback", "qa")
    assert code == 2 and f"no commit deployed healthy to qa before {c[:12]}" in err and "--to" in err
    assert tindra.running()["containerDefinitions"][0]["image"] == f"{T_APP}:{c}"


def test_eleven_and_more_services_are_described_ten_at_a_time(tindra, capsys):
    """The strict layer answers a DescribeServices of more than 10 services as ECS does (InvalidParameterException)."""
    sha = tindra.commit("one")
    names = [f"svc{index:02d}" for index in range(12)]
    for name in names:
        tindra.service(name, sha)
    with pytest.raises(Exception, match="at most 10"):
        tindra.ecs.describe_services(cluster="tindra-qa", services=names)
    second = tindra.commit("two")
    code, out, err = run(capsys, "deploy", "qa", "--sha", second)
    assert code == 0, err
    assert all(tindra.running(name)["containerDefinitions"][0]["image"] == f"{T_APP}:{second}" for name in names)
    code, out, err = run(capsys, "status", "--json")
    assert len(qa_status(out)["services"]) == 12


def test_a_code_deploy_service_is_refused_before_anything_changes(tindra, capsys):
    sha = tindra.commit("one")
    tindra.service("api", sha)
    tindra.service("legacy", sha, deploymentController={"type": "CODE_DEPLOY"})
    second = tindra.commit("two")
    before = tindra.revisions() + tindra.revisions("legacy")
    code, out, err = run(capsys, "deploy", "qa", "--sha", second)
    assert code == 2
    assert "legacy: its deployment controller is CODE_DEPLOY" in err and "nothing was changed" in err
    assert tindra.revisions() + tindra.revisions("legacy") == before
    assert tindra.running()["containerDefinitions"][0]["image"] == f"{T_APP}:{sha}"
    assert tindra.records() == {}


def test_secret_set_redeploy_refuses_a_code_deploy_service_before_setting_the_value(tindra, capsys, monkeypatch):
    import io

    sm = tindra.client("secretsmanager")
    arn = sm.create_secret(Name="tindra/qa/TOKEN", Tags=[
        {"Key": "ecsenv:project", "Value": "tindra"}, {"Key": "ecsenv:environment", "Value": "qa"},
        {"Key": "ecsenv:secret", "Value": "TOKEN"}])["ARN"]
    task = tindra.ecs.register_task_definition(family="tindra-qa-legacy", containerDefinitions=[
        {"name": "legacy", "image": f"{T_APP}:x", "memory": 256, "secrets": [{"name": "TOKEN", "valueFrom": arn}]}])
    tindra.ecs.create_service(cluster="tindra-qa", serviceName="legacy", desiredCount=1,
                              taskDefinition=task["taskDefinition"]["taskDefinitionArn"],
                              deploymentController={"type": "CODE_DEPLOY"})
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret\n"))
    code, out, err = run(capsys, "secret", "set", "qa", "TOKEN", "--redeploy")
    assert code == 2 and "legacy: its deployment controller is CODE_DEPLOY" in err
    assert "VersionIdsToStages" not in sm.describe_secret(SecretId=arn)  # no value was set


def test_a_held_lock_is_exit_1_with_owner_and_age_and_a_stale_one_can_be_forced_open(tindra, capsys, monkeypatch):
    import socket
    import subprocess
    import sys

    sha = tindra.commit("one")
    tindra.service("api", sha)
    lock = {"owner": "arn:aws:iam::731902468135:user/kaito", "host": "runner-17", "pid": 4242}
    tindra.s3.put_object(Bucket=T_BUCKET, Key="ecsenv/deploy-locks/qa.json", Body=json.dumps(lock))
    code, out, err = run(capsys, "deploy", "qa", "--sha", sha)
    assert code == 1 and "already running: started by arn:aws:iam::731902468135:user/kaito on runner-17" in err
    assert " s ago" in err and "--force-unlock" in err

    monkeypatch.setenv("ECSENV_DEPLOY_LOCK_MAX_AGE", "0.5")  # older than the limit: stale
    time.sleep(1.1)
    code, out, err = run(capsys, "deploy", "qa", "--sha", sha)
    assert code == 1 and "is stale" in err and "older than" in err
    monkeypatch.delenv("ECSENV_DEPLOY_LOCK_MAX_AGE")

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid on this host whose process is gone
    lock = dict(lock, host=socket.gethostname(), pid=dead.pid)
    tindra.s3.put_object(Bucket=T_BUCKET, Key="ecsenv/deploy-locks/qa.json", Body=json.dumps(lock))
    code, out, err = run(capsys, "deploy", "qa", "--sha", sha)
    assert code == 1 and f"its process {dead.pid} on this host is gone" in err
    assert "ecsenv deploy qa --force-unlock" in err

    code, out, err = run(capsys, "deploy", "qa", "--force-unlock")  # stdin is not a terminal: --yes needed
    assert code == 2 and "--yes" in err and "kaito" in out and tindra.lock() is not None
    code, out, err = run(capsys, "deploy", "qa", "--force-unlock", "--yes")
    assert code == 0 and "Removed the deploy lock of qa (was held by arn:aws:iam::731902468135:user/kaito)" in out
    assert tindra.lock() is None
    assert run(capsys, "deploy", "qa", "--sha", sha)[0] == 0


def test_the_lock_is_released_only_while_it_is_still_ours(tindra, capsys, monkeypatch):
    from botocore.client import BaseClient

    sha = tindra.commit("one")
    tindra.service("api", sha)
    real = BaseClient._make_api_call
    successor = {"owner": "arn:aws:iam::731902468135:user/next", "host": "runner-2", "pid": 7}

    def taken_over(client, operation, params):
        answer = real(client, operation, params)
        if operation == "UpdateService":  # meanwhile: our lock force-removed, and another deploy took it
            tindra.s3.delete_object(Bucket=T_BUCKET, Key="ecsenv/deploy-locks/qa.json")
            tindra.s3.put_object(Bucket=T_BUCKET, Key="ecsenv/deploy-locks/qa.json", Body=json.dumps(successor))
        return answer

    monkeypatch.setattr(BaseClient, "_make_api_call", taken_over)
    code, out, err = run(capsys, "deploy", "qa", "--sha", sha)
    assert code == 0, err
    assert "the deploy lock of qa was not released: another run has taken the lock since" in err
    assert tindra.lock() == successor


def test_a_service_created_with_no_task_starts_the_count_terraform_recorded(tindra, capsys):
    sha = tindra.commit("one")
    tindra.service("api", "initial", desired=0, tags=[{"key": "ecsenv:desired-count", "value": "2"}])
    code, out, err = run(capsys, "deploy", "qa", "--sha", sha)
    assert code == 0, err
    assert "starting 2 task(s)" in out
    service = tindra.ecs.describe_services(cluster="tindra-qa", services=["api"])["services"][0]
    assert service["desiredCount"] == 2
    tindra.ecs.update_service(cluster="tindra-qa", service="api", desiredCount=0)  # scaled down on purpose
    code, out, err = run(capsys, "deploy", "qa", "--sha", sha)
    assert code == 0, err
    assert "api has a desired count of 0" in err
    assert tindra.ecs.describe_services(cluster="tindra-qa", services=["api"])["services"][0]["desiredCount"] == 0


def test_sigterm_mid_deploy_says_what_already_changed(tindra):
    import signal
    import subprocess
    import sys

    sha = tindra.commit("one")
    tindra.service("api", sha)
    tindra.slow_rollouts()  # still rolling out when the signal comes
    process = subprocess.Popen([sys.executable, "-m", "bootstrap", "deploy", "qa", "--sha", sha, "--timeout", "120"],
                               cwd=tindra.directory, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in process.stdout:
        if "rollout" in line:  # updated, and waiting
            break
    time.sleep(0.3)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert f"interrupted: api in qa were updated to {sha[:12]} and ECS continues their rollout" in err
    assert f"ecsenv deploy qa --sha {sha}" in err and "ecsenv rollback qa" in err
    ended = [record for key, record in tindra.records().items() if key.endswith("ended.json")]
    assert [record["outcome"] for record in ended] == ["interrupted"] and ended[0]["updated"] == ["api"]
    assert tindra.lock() is None


def test_an_environment_in_another_account_is_refused_by_deploy_and_unreadable_for_status(tindra, capsys):
    sha = tindra.commit("one")
    tindra.service("api", sha)
    config = tindra.directory / "ecsenv.yaml"
    config.write_text(config.read_text().replace("environments:\n", "environments:\n  edge:\n"
                                                 "    account_id: '480315927604'\n    region: ap-southeast-5\n"))
    code, out, err = run(capsys, "deploy", "edge", "--sha", sha)
    assert code == 2
    assert ("environment edge is in account 480315927604 (ecsenv.yaml), but the credentials are for account "
            f"{T_ACCOUNT}") in err
    code, out, err = run(capsys, "status", "--json")
    edge = next(env for env in json.loads(out)["environments"] if env["environment"] == "edge")
    assert code == 3 and edge["services"] == [] and "account 480315927604" in edge["services_problem"]


def test_a_circuit_breaker_rollback_reports_our_deployments_reason_and_rollback_goes_back(tindra, capsys):
    a = tindra.commit("a")
    tindra.service("api", a, deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}})
    assert run(capsys, "deploy", "qa", "--sha", a)[0] == 0
    b = tindra.commit("b")
    strict_api(tindra.endpoint, "fail-next-deployment", service="api", reason="tasks failed to start.")
    code, out, err = run(capsys, "deploy", "qa", "--sha", b)
    assert code == 1
    assert "api: ECS rolled the deployment back to tindra-qa-api:2" in err
    assert "(ECS deployment circuit breaker: tasks failed to start.)" in err  # our deployment's reason
    outcomes = [record["outcome"] for key, record in sorted(tindra.records().items()) if key.endswith("ended.json")]
    assert outcomes == ["succeeded", "rolled back by ECS"]
    code, out, err = run(capsys, "rollback", "qa")
    assert code == 0 and f"Rolling qa back to {a[:12]} (from {b[:12]})" in out, err


def test_the_wait_follows_our_deployment_through_in_progress_to_completed(tindra, capsys):
    a = tindra.commit("a")
    tindra.service("api", a)
    tindra.slow_rollouts(1.5)
    code, out, err = run(capsys, "deploy", "qa", "--sha", a)
    assert code == 0, err
    assert "api: rollout IN_PROGRESS" in out and "api: rollout COMPLETED, 1/1 running" in out
