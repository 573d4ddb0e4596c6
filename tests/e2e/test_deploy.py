"""`ecsenv deploy / rollback / promote` on the moto server's ECS, ECR, Secrets Manager and S3."""

import json

import pytest
from conftest import ACCOUNT

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
    assert len(history) == 1 and history[0]["Key"].endswith(f"-{SHA2}.json")
    entry = json.loads(boto.s3.get_object(Bucket=BUCKET, Key=history[0]["Key"])["Body"].read())
    assert entry["sha"] == SHA2 and entry["kind"] == "deploy" and entry["services"]["web"].endswith(":2")
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
    (["deploy", "staging", "--sha", "a/b"], "is not a commit SHA / image tag"),
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
