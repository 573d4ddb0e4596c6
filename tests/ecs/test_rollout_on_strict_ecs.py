"""The rollout wait (bootstrap/ecs/rollout.py) against ECS's real deployment behaviour, as the strict layer models
it: it waits through IN_PROGRESS until COMPLETED, and reports the circuit breaker's rollback."""

import os
from types import SimpleNamespace

import boto3
import pytest
from conftest import strict_api

from bootstrap.aws import Aws
from bootstrap.ecs import rollout
from bootstrap.errors import OperationFailed

PROJECT, ENVIRONMENT = "rolloutcheck", "staging"
CLUSTER = f"{PROJECT}-{ENVIRONMENT}"
ROLLOUT_SECONDS = 1.5


@pytest.fixture
def ecs(strict_env):
    strict_api(strict_env, "config", deployment_seconds=ROLLOUT_SECONDS)
    # The layer's clock stands still until the wait has looked once (see wait()): its first look is mid-rollout
    # however loaded the machine is.
    strict_api(strict_env, "clock", freeze=True)
    ecs = boto3.client("ecs", region_name="us-east-1")
    ecs.create_cluster(clusterName=CLUSTER)
    return ecs


def service_on_v1_then_v2(ecs):
    arns = [ecs.register_task_definition(family="rolloutcheck-web", containerDefinitions=[
        {"name": "web", "image": f"web:{n}", "memory": 128}])["taskDefinition"]["taskDefinitionArn"] for n in (1, 2)]
    ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition=arns[0], desiredCount=1,
                       deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}})
    return arns


def wait(new_arn, timeout=30):
    plans = [SimpleNamespace(service="web", new_arn=new_arn)]
    progress = []

    def seen(update):
        progress.append(update)
        if len(progress) == 1:  # time passes once the wait has seen the rollout under way
            strict_api(os.environ["AWS_ENDPOINT_URL"], "clock", advance=ROLLOUT_SECONDS + 0.1)

    rollout.wait(Aws(region="us-east-1"), CLUSTER, plans, timeout, on_progress=seen, poll_seconds=0.05)
    return progress


def test_the_wait_follows_a_rollout_until_completed(ecs):
    v1, v2 = service_on_v1_then_v2(ecs)
    wait(v1)
    ecs.update_service(cluster=CLUSTER, service="web", taskDefinition=v2)
    progress = wait(v2)
    assert [p.rollout for p in progress][0] == "IN_PROGRESS" and progress[-1].rollout == "COMPLETED"


def test_the_wait_reports_the_circuit_breakers_rollback(ecs, strict_env):
    v1, v2 = service_on_v1_then_v2(ecs)
    wait(v1)
    strict_api(strict_env, "fail-next-deployment", service="web", reason="tasks failed to start.")
    ecs.update_service(cluster=CLUSTER, service="web", taskDefinition=v2)
    with pytest.raises(OperationFailed) as failed:
        wait(v2)
    assert "rolled the deployment back to rolloutcheck-web:1" in str(failed.value)
    assert "rolling back" in str(failed.value)  # the service events name it too
