"""The Python side of the Terraform contract: what an environment's outputs say, read from its state object, with
the naming convention only as the fallback (moto server for S3)."""

import json

from conftest import ACCOUNT

from bootstrap.aws import Aws
from bootstrap.ecs import outputs
from bootstrap.project.config import EnvironmentConfig, ProjectConfig, StateConfig

REGION = "me-central-1"
BUCKET = f"lantern-state-{ACCOUNT}"


def config(key=None):
    return ProjectConfig(project="lantern",
                         state=StateConfig(ACCOUNT, REGION, BUCKET, locking="lockfile"),
                         environments={"canary": EnvironmentConfig(ACCOUNT, REGION, state_key=key)})


def test_outputs_of_a_state_name_the_cluster_services_and_secrets():
    document = {"version": 4, "outputs": {
        "cluster_name": {"value": "shop-main-cluster", "type": "string"},
        "services": {"value": {"api": {"service_name": "api-svc", "task_definition_family": "api-family"}}},
        "secret_arns": {"value": {"DB_URL": "arn:aws:secretsmanager:me-central-1:1:secret:db-AbCdEf"}},
        "log_group_name": {"value": "/ecs/shop"}}}
    found = outputs.from_state_document(config(), "canary", document)
    assert found.cluster == "shop-main-cluster" and found.from_state
    assert found.services["api"]["service_name"] == "api-svc"
    assert found.secret_arns == {"DB_URL": "arn:aws:secretsmanager:me-central-1:1:secret:db-AbCdEf"}
    assert found.log_group == "/ecs/shop"


def test_without_outputs_the_naming_convention_stands_in():
    found = outputs.from_state_document(config(), "canary", {"version": 4, "outputs": {"cluster_name": {"value": 3}}})
    assert found.cluster == "lantern-canary" and found.services == {}


def test_read_once_from_the_configured_state_key(boto, api_calls):
    s3 = boto.client("s3", REGION)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=BUCKET, Key="apps/canary.tfstate",
                  Body=json.dumps({"outputs": {"cluster_name": {"value": "lantern-canary-blue"}}}).encode())
    aws = Aws(region=REGION)
    api_calls.clear()
    first = outputs.read_outputs(aws, config("apps/canary.tfstate"), "canary")
    again = outputs.read_outputs(aws, config("apps/canary.tfstate"), "canary")
    assert first.cluster == again.cluster == "lantern-canary-blue"
    assert api_calls.calls == ["GetObject"]
    missing = outputs.read_outputs(aws, config("never/applied.tfstate"), "canary")
    assert missing.cluster == "lantern-canary" and not missing.from_state


def test_a_cluster_named_its_own_way_is_found_through_the_outputs(boto):
    """A repository whose cluster is not `<project>-<environment>`: deploy's service lookup follows the state."""
    from bootstrap.ecs.deploy import environment_services

    s3 = boto.client("s3", REGION)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=BUCKET, Key="canary/terraform.tfstate",
                  Body=json.dumps({"outputs": {"cluster_name": {"value": "main-fleet"}}}).encode())
    ecs = boto.client("ecs", REGION)
    ecs.create_cluster(clusterName="main-fleet")
    family = ecs.register_task_definition(family="api", containerDefinitions=[
        {"name": "api", "image": "nginx:1.27", "memory": 128}])["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster="main-fleet", serviceName="api", taskDefinition=family, desiredCount=1)
    services = environment_services(Aws(region=REGION), config(), "canary")
    assert list(services) == ["api"] and services["api"]["clusterArn"].endswith("/main-fleet")
