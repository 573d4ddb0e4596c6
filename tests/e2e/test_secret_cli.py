"""`ecsenv secret list / set` as a user runs them, and proof that the value appears nowhere but in the secret."""

import json
import os
import subprocess
import sys
import time

import pytest
from conftest import ACCOUNT

from bootstrap.project.config import EnvironmentConfig, ProjectConfig, StateConfig, save_config

CANARY = "canary-value-5d1e9b"
BUCKET = f"acme-tfstate-{ACCOUNT}"


@pytest.fixture
def project(boto, project_dir):
    save_config(ProjectConfig("acme", StateConfig(ACCOUNT, "us-east-1", BUCKET, "lockfile", None, None, {}),
                              {"staging": EnvironmentConfig(ACCOUNT, "us-east-1")}),
                str(project_dir / "ecsenv.yaml"))
    boto.s3.create_bucket(Bucket=BUCKET)
    for name in ("APP_SECRET_KEY", "DB_PASSWORD"):
        boto.secretsmanager.create_secret(Name=f"acme/staging/{name}", Tags=[
            {"Key": "ecsenv:project", "Value": "acme"}, {"Key": "ecsenv:environment", "Value": "staging"},
            {"Key": "ecsenv:secret", "Value": name}])
    arn = boto.secretsmanager.describe_secret(SecretId="acme/staging/DB_PASSWORD")["ARN"]
    boto.ecs.create_cluster(clusterName="acme-staging")
    task = boto.ecs.register_task_definition(
        family="acme-staging-web", executionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/web-execution",
        containerDefinitions=[{"name": "web", "image": "repo/web:1", "memory": 256,
                               "secrets": [{"name": "DB_PASSWORD", "valueFrom": arn}]}])
    boto.ecs.create_service(cluster="acme-staging", serviceName="web", desiredCount=1,
                            taskDefinition=task["taskDefinition"]["taskDefinitionArn"])
    return project_dir


def ecsenv(project_dir, *args, stdin=None):
    return subprocess.run([sys.executable, "-m", "bootstrap", *args], cwd=project_dir, input=stdin,
                          capture_output=True, text=True, timeout=60)


def test_list_shows_declared_secrets_and_whether_they_have_a_value(project):
    result = ecsenv(project, "secret", "list", "staging")
    assert result.returncode == 3, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "VALUE", "LAST", "CHANGED"]
    assert lines[1].split()[:3] == ["APP_SECRET_KEY", "not", "set"]

    assert ecsenv(project, "secret", "set", "staging", "APP_SECRET_KEY", stdin="one\n").returncode == 0
    assert ecsenv(project, "secret", "set", "staging", "DB_PASSWORD", stdin="two\n").returncode == 0
    result = ecsenv(project, "secret", "list", "staging", "--json")
    assert result.returncode == 0
    listed = json.loads(result.stdout)["secrets"]
    assert [(entry["name"], entry["has_value"]) for entry in listed] == [("APP_SECRET_KEY", True),
                                                                        ("DB_PASSWORD", True)]
    assert "one" not in result.stdout and "two" not in result.stdout


def test_set_with_redeploy_restarts_the_services_that_use_it(project, boto):
    before = boto.ecs.describe_services(cluster="acme-staging", services=["web"])["services"][0]["deployments"][0]
    result = ecsenv(project, "secret", "set", "staging", "DB_PASSWORD", "--redeploy", stdin="s3cr3t\n")
    assert result.returncode == 0, result.stderr
    assert "web: execution role may read it:" in result.stdout and "Redeployed 1 service." in result.stdout
    after = boto.ecs.describe_services(cluster="acme-staging", services=["web"])["services"][0]["deployments"][0]
    assert after["id"] != before["id"]
    assert boto.secretsmanager.get_secret_value(SecretId="acme/staging/DB_PASSWORD")["SecretString"] == "s3cr3t"


def test_unknown_secret_lists_the_declared_ones(project):
    result = ecsenv(project, "secret", "set", "staging", "API_TOKEN", stdin="x\n")
    assert result.returncode == 2
    assert "APP_SECRET_KEY, DB_PASSWORD" in result.stderr and "Traceback" not in result.stderr


def test_the_value_appears_nowhere_but_in_the_secret(project, boto, tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "bootstrap", "secret", "set", "staging", "DB_PASSWORD",
                                "--redeploy"], cwd=project, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    process.stdin.write(CANARY + "\n")
    process.stdin.close()
    seen_in_argv = []
    while process.poll() is None:  # every process's argv, while the command runs
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as handle:
                    if CANARY.encode() in handle.read():
                        seen_in_argv.append(pid)
            except OSError:
                pass
        time.sleep(0.01)
    out, err = process.stdout.read(), process.stderr.read()
    assert process.returncode == 0, err
    assert not seen_in_argv
    assert CANARY not in out and CANARY not in err
    for directory in (project, tmp_path):
        for root, _, files in os.walk(directory):
            for name in files:
                with open(os.path.join(root, name), "rb") as handle:
                    assert CANARY.encode() not in handle.read(), os.path.join(root, name)
    for entry in boto.s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):  # the state bucket, ecsenv records
        assert CANARY.encode() not in boto.s3.get_object(Bucket=BUCKET, Key=entry["Key"])["Body"].read()
    assert boto.secretsmanager.get_secret_value(SecretId="acme/staging/DB_PASSWORD")["SecretString"] == CANARY
