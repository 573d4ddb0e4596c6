"""The strict layer (bootstrap/local/strict.py) through boto3 over HTTP: each behaviour AWS documents and moto lacks,
and everything else passing through untouched (S3 streaming and multipart uploads included)."""

import io
import os

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import STRICT_TIMINGS, strict_api

SETTLE = STRICT_TIMINGS["deployment_seconds"] + 0.1
CLUSTER = "strictcheck-cluster"


def client(service, attempts=1):
    """No SDK retries unless asked: the tests see exactly what the layer answers."""
    return boto3.client(service, region_name="us-east-1", config=Config(retries={"total_max_attempts": attempts,
                                                                                   "mode": "standard"}))


def code(exc_info):
    return exc_info.value.response["Error"]["Code"]


# ---------------------------------------------------------------- ECS


@pytest.fixture
def ecs(strict_env):
    strict_api(strict_env, "clock", freeze=True)  # time moves only when a test says so (see later())
    ecs = client("ecs")
    ecs.create_cluster(clusterName=CLUSTER)
    return ecs


def later(seconds=SETTLE):
    """Move the layer's frozen clock on: what a real wait would do, at an exact moment however loaded the machine."""
    strict_api(os.environ["AWS_ENDPOINT_URL"], "clock", advance=seconds)


def register(ecs, image):
    return ecs.register_task_definition(family="strictcheck", containerDefinitions=[
        {"name": "app", "image": image, "memory": 128}])["taskDefinition"]["taskDefinitionArn"]


def create_service(ecs, task_definition, name="strictcheck-web", rollback=True):
    ecs.create_service(cluster=CLUSTER, serviceName=name, taskDefinition=task_definition, desiredCount=2,
                       deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": rollback}})


def service(ecs, name="strictcheck-web"):
    return ecs.describe_services(cluster=CLUSTER, services=[name])["services"][0]


def shape(document):
    return [(d["status"], d["taskDefinition"].rsplit("/", 1)[-1], d["rolloutState"]) for d in document["deployments"]]


def test_describe_services_takes_at_most_ten(ecs):
    v1 = register(ecs, "nginx:1")
    names = [f"strictcheck-{index}" for index in range(11)]
    for name in names:
        create_service(ecs, v1, name=name)
    assert len(ecs.describe_services(cluster=CLUSTER, services=names[:10])["services"]) == 10
    with pytest.raises(ClientError) as refused:
        ecs.describe_services(cluster=CLUSTER, services=names)
    assert code(refused) == "InvalidParameterException"
    assert "at most 10" in refused.value.response["Error"]["Message"]


def test_a_new_task_definition_rolls_out_primary_then_completed(ecs):
    v1, v2 = register(ecs, "nginx:1"), register(ecs, "nginx:2")
    create_service(ecs, v1)
    assert shape(service(ecs)) == [("PRIMARY", "strictcheck:1", "IN_PROGRESS")]
    later()
    done = service(ecs)
    assert shape(done) == [("PRIMARY", "strictcheck:1", "COMPLETED")]
    assert done["runningCount"] == 2 and done["deployments"][0]["runningCount"] == 2

    updated = ecs.update_service(cluster=CLUSTER, service="strictcheck-web", taskDefinition=v2)["service"]
    assert shape(updated) == [("PRIMARY", "strictcheck:2", "IN_PROGRESS"), ("ACTIVE", "strictcheck:1", "COMPLETED")]
    during = service(ecs)
    assert during["deployments"][0]["runningCount"] == 0 and during["deployments"][1]["runningCount"] == 2
    later()
    after = service(ecs)
    assert shape(after) == [("PRIMARY", "strictcheck:2", "COMPLETED")]
    assert after["runningCount"] == after["desiredCount"] == 2

    scaled = ecs.update_service(cluster=CLUSTER, service="strictcheck-web", desiredCount=3)["service"]
    assert shape(scaled) == [("PRIMARY", "strictcheck:2", "COMPLETED")]  # scaling is not a new deployment
    forced = ecs.update_service(cluster=CLUSTER, service="strictcheck-web", forceNewDeployment=True)["service"]
    assert shape(forced) == [("PRIMARY", "strictcheck:2", "IN_PROGRESS"), ("ACTIVE", "strictcheck:2", "COMPLETED")]


def test_a_failed_deployment_is_rolled_back_by_the_circuit_breaker(ecs, strict_env):
    v1, v2 = register(ecs, "nginx:1"), register(ecs, "nginx:2")
    create_service(ecs, v1)
    later()
    strict_api(strict_env, "fail-next-deployment", service="strictcheck-web", reason="tasks failed to start.")
    ecs.update_service(cluster=CLUSTER, service="strictcheck-web", taskDefinition=v2)
    assert shape(service(ecs))[0] == ("PRIMARY", "strictcheck:2", "IN_PROGRESS")
    later()
    rolling_back = service(ecs)
    # the old tasks of :1 run on (ACTIVE) while the rollback deployment starts new ones
    assert shape(rolling_back) == [("PRIMARY", "strictcheck:1", "IN_PROGRESS"), ("ACTIVE", "strictcheck:2", "FAILED"),
                                   ("ACTIVE", "strictcheck:1", "COMPLETED")]
    assert "circuit breaker" in rolling_back["deployments"][1]["rolloutStateReason"]
    assert rolling_back["taskDefinition"] == v1  # moto's own service went back too
    assert any("rolling back" in event["message"] for event in rolling_back["events"])
    later()
    assert shape(service(ecs)) == [("PRIMARY", "strictcheck:1", "COMPLETED")]


def test_without_rollback_the_failed_deployment_stays_primary(ecs, strict_env):
    v1, v2 = register(ecs, "nginx:1"), register(ecs, "nginx:2")
    create_service(ecs, v1, rollback=False)
    later()
    strict_api(strict_env, "fail-next-deployment", service="strictcheck-web")
    ecs.update_service(cluster=CLUSTER, service="strictcheck-web", taskDefinition=v2)
    later()
    failed = service(ecs)
    assert shape(failed)[0] == ("PRIMARY", "strictcheck:2", "FAILED")
    assert failed["deployments"][0]["rolloutStateReason"]


def test_the_health_check_grace_period_is_reported_as_written(ecs):
    # moto reports 0 whatever was written, so a Terraform root with a grace period planned a change after every
    # apply on the emulator (the scaffolded stack's re-plan must be empty: tests/e2e/test_scaffold.py).
    v1 = register(ecs, "nginx:1")
    ecs.create_service(cluster=CLUSTER, serviceName="strictcheck-web", taskDefinition=v1, desiredCount=1,
                       healthCheckGracePeriodSeconds=60)
    assert service(ecs)["healthCheckGracePeriodSeconds"] == 60
    answer = ecs.update_service(cluster=CLUSTER, service="strictcheck-web", healthCheckGracePeriodSeconds=45)
    assert answer["service"]["healthCheckGracePeriodSeconds"] == 45
    ecs.update_service(cluster=CLUSTER, service="strictcheck-web", desiredCount=2)  # not given: kept
    assert service(ecs)["healthCheckGracePeriodSeconds"] == 45


def test_timings_are_configurable_at_run_time(ecs, strict_env):
    assert strict_api(strict_env, "config", deployment_seconds=0)["deployment_seconds"] == 0
    create_service(ecs, register(ecs, "nginx:1"))
    assert shape(service(ecs)) == [("PRIMARY", "strictcheck:1", "COMPLETED")]


# ---------------------------------------------------------------- DynamoDB


def test_pitr_is_unavailable_just_after_create_table(strict_env):
    strict_api(strict_env, "clock", freeze=True)
    ddb = client("dynamodb")
    ddb.create_table(TableName="strictcheck-locks", BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}])
    enable = dict(TableName="strictcheck-locks", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    with pytest.raises(ClientError) as refused:
        ddb.update_continuous_backups(**enable)
    assert code(refused) == "ContinuousBackupsUnavailableException"
    later(STRICT_TIMINGS["pitr_seconds"] + 0.05)
    answer = ddb.update_continuous_backups(**enable)["ContinuousBackupsDescription"]
    assert answer["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


# ---------------------------------------------------------------- S3


def test_a_new_bucket_answers_no_such_bucket_for_a_while(strict_env):
    strict_api(strict_env, "clock", freeze=True)
    s3 = client("s3")
    s3.create_bucket(Bucket="strictcheck-bucket")
    with pytest.raises(ClientError) as refused:
        s3.put_bucket_versioning(Bucket="strictcheck-bucket", VersioningConfiguration={"Status": "Enabled"})
    assert code(refused) == "NoSuchBucket"
    with pytest.raises(ClientError) as head:
        s3.head_bucket(Bucket="strictcheck-bucket")
    assert head.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    later(STRICT_TIMINGS["bucket_seconds"] + 0.05)
    s3.put_bucket_versioning(Bucket="strictcheck-bucket", VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket="strictcheck-bucket")["Status"] == "Enabled"


def test_object_uploads_stream_through_untouched(strict_env):
    s3 = client("s3")
    s3.create_bucket(Bucket="strictcheck-objects")
    s3.put_object(Bucket="strictcheck-objects", Key="small", Body=io.BytesIO(b"state" * 1000))  # streamed body
    payload = bytes(range(256)) * 40000  # ~10 MB: multipart with the SDK's default 8 MB threshold
    s3.upload_fileobj(io.BytesIO(payload), "strictcheck-objects", "big")
    assert s3.get_object(Bucket="strictcheck-objects", Key="small")["Body"].read() == b"state" * 1000
    assert s3.get_object(Bucket="strictcheck-objects", Key="big")["Body"].read() == payload


def test_create_bucket_with_tags_needs_tag_resource(strict_env):
    s3 = client("s3")
    strict_api(strict_env, "deny", actions=["s3:TagResource"])
    with pytest.raises(ClientError) as refused:
        s3.create_bucket(Bucket="strictcheck-tagged",
                         CreateBucketConfiguration={"Tags": [{"Key": "team", "Value": "strict"}]})
    assert code(refused) == "AccessDenied"
    s3.create_bucket(Bucket="strictcheck-tagged")  # the same caller, untagged: allowed


# ---------------------------------------------------------------- throttling


def test_throttling_on_request_and_sdk_retries_absorb_it(strict_env):
    strict_api(strict_env, "throttle", count=1, service="sts")
    with pytest.raises(ClientError) as refused:
        client("sts").get_caller_identity()
    assert code(refused) == "Throttling"
    strict_api(strict_env, "throttle", count=2, service="dynamodb")
    assert client("dynamodb", attempts=3).list_tables()["TableNames"] == []
    strict_api(strict_env, "throttle", count=1, service="s3")
    with pytest.raises(ClientError) as slow:
        client("s3").list_buckets()
    assert code(slow) == "SlowDown"
