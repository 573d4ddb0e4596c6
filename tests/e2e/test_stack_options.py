"""Every option of the app stack at once (sidecars and an init container, HTTPS with an ACM certificate validated in
Route53, restricted ALB ingress, a scheduled task, an assets bucket, Postgres with its managed master secret handed
to a service): a copy of environments/staging with tests/stack/all_options_override.tf merged in,
applied ONCE against the moto server (a module-scoped fixture: an apply costs one to two minutes), then
`plan -detailed-exitcode` must be 0 and the tests below read what the apply made.

Where the emulator lacks an API (or reports it back differently from AWS), the option is off in the apply and
planned instead, on top of the applied state (the last two tests):
- ECS exec: moto does not keep a service's enableExecuteCommand.
- Autoscaling: moto's Application Auto Scaling has no ListTagsForResource, which the provider calls to read every
  scalable target (it retries until it times out).
- ElastiCache: moto's CreateReplicationGroup creates no member cache clusters, so the provider's read of the new
  replication group (DescribeCacheClusters on <id>-001) fails.
- CloudFront: moto does not report an origin's origin_access_control_id back (and adds forwarded_values and
  ssl_support_method the configuration never set), so every plan would show a change.
- Postgres parameters and Performance Insights: moto reports a parameter group's parameters without their Source
  and does not keep Performance Insights settings; the applied Postgres has neither.
The emulator also needs IAM's AWS-managed policies loaded (MOTO_IAM_LOAD_MANAGED_POLICIES) for the RDS enhanced
monitoring role's AmazonRDSEnhancedMonitoringRole."""

import json

import pytest
from conftest import ACCOUNT, post, terraform_runner
from test_stack import STACK, _resources, copy_stack

from bootstrap.project.config import EnvironmentConfig, ProjectConfig, StateConfig

pytestmark = pytest.mark.terraform

REGION = "us-east-1"
CLUSTER = "acme-staging"
DOMAIN = "orchard.example.net"
TFVARS = f"-var-file={STACK / 'emulator.tfvars'}"
# The identity ecsenv.auto.tfvars gives the copied root (the names the assertions below expect).
IDENTITY = ProjectConfig("acme", StateConfig(ACCOUNT, REGION, f"acme-tfstate-{ACCOUNT}", "lockfile"),
                         {"staging": EnvironmentConfig(ACCOUNT, REGION)})


class Emulator:
    """boto3 clients on the emulator for this module's assertions."""

    def __init__(self, endpoint):
        import boto3

        self._session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                              region_name=REGION)
        self._endpoint = endpoint

    def __getattr__(self, service):
        return self._session.client(service, endpoint_url=self._endpoint)


def _all_options(zone_id, planned_only=False):
    return ((STACK / "all_options_override.tf").read_text().replace("ROUTE53_ZONE_ID", zone_id)
            .replace("PLANNED_ONLY", "true" if planned_only else "false"))


@pytest.fixture(scope="module")
def stack(moto_endpoint, tmp_path_factory):
    """(terraform runner, root, emulator clients, state resources by address) after ONE apply of every option."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_REGION"):
            patch.delenv(name, raising=False)
        tmp = tmp_path_factory.mktemp("all-options")
        for name, value in {"AWS_ENDPOINT_URL": moto_endpoint, "AWS_ACCESS_KEY_ID": "testing",
                            "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION,
                            "AWS_CONFIG_FILE": str(tmp / "no-aws-config"),
                            "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "no-aws-credentials"),
                            # read when the emulator's IAM backend is created, i.e. after the reset below
                            "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}.items():
            patch.setenv(name, value)
        post(f"{moto_endpoint}/moto-api/reset-auth", b"inf")
        post(f"{moto_endpoint}/moto-api/reset")
        aws = Emulator(moto_endpoint)
        zone_id = aws.route53.create_hosted_zone(Name=DOMAIN, CallerReference="all-options")["HostedZone"]["Id"]
        zone_id = zone_id.split("/")[-1]

        root = copy_stack(tmp, "staging", IDENTITY)
        override = (STACK / "emulator_override.tf").read_text().replace("MOTO_ENDPOINT", moto_endpoint)
        (root / "zz_emulator_override.tf").write_text(override)
        (root / "zz_all_options_override.tf").write_text(_all_options(zone_id))
        terraform = terraform_runner({"AWS_REGION": REGION}, tmp_path=tmp)
        terraform(root, "init", "-input=false")
        terraform(root, "apply", "-input=false", "-auto-approve", TFVARS)
        state = json.loads(terraform(root, "show", "-json").stdout)
        resources = {r["address"]: r["values"] for r in _resources(state["values"]["root_module"])}
        yield terraform, root, aws, resources, zone_id
        patch.delenv("MOTO_IAM_LOAD_MANAGED_POLICIES")
        post(f"{moto_endpoint}/moto-api/reset")


def _service(name):
    return f'module.deployment.module.service["{name}"]'


def test_every_option_applies_and_then_plans_clean(stack):
    terraform, root, *_ = stack
    plan = terraform(root, "plan", "-input=false", "-detailed-exitcode", TFVARS, expect=0)
    assert "No changes." in plan.stdout


def test_the_app_container_comes_first_then_init_containers_then_sidecars(stack):
    _, _, aws, resources, _ = stack
    service = aws.ecs.describe_services(cluster=CLUSTER, services=["web"])["services"][0]
    definition = aws.ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    app, migrate, metrics = definition["containerDefinitions"]

    # The app container: named like the service, the load balancer's target, its own command and health check,
    # started only once the migrations container exited 0.
    assert app["name"] == "web" and service["loadBalancers"][0]["containerName"] == "web"
    assert app["image"] == f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/acme/web:initial"
    assert app["dockerLabels"] == {"ecsenv.role": "app"}
    assert app["essential"] is True
    assert app["command"] == ["gunicorn", "app:wsgi"]
    assert app["healthCheck"]["command"] == ["CMD-SHELL", "curl -fs localhost:8080/health || exit 1"]
    assert app["healthCheck"]["startPeriod"] == 20
    assert app["dependsOn"] == [{"containerName": "migrate", "condition": "SUCCESS"}]

    # The init container runs the app's image (deploys retag it with the app's) and may fail without being
    # essential; it sees the app's environment and secrets (migrations need the database).
    assert migrate["name"] == "migrate" and migrate["essential"] is False
    assert migrate["image"] == app["image"]
    assert migrate["command"] == ["python", "manage.py", "migrate"]
    assert migrate["dockerLabels"] == {"ecsenv.role": "init"}
    assert {s["name"] for s in migrate["secrets"]} == {s["name"] for s in app["secrets"]}

    # The sidecar keeps its own image, ports, health check and dependencies.
    assert metrics["name"] == "metrics" and metrics["essential"] is True
    assert metrics["image"].startswith("public.ecr.aws/aws-observability/aws-otel-collector:")
    assert metrics["dockerLabels"] == {"ecsenv.role": "sidecar"}
    assert [p["containerPort"] for p in metrics["portMappings"]] == [4317]
    assert metrics["healthCheck"]["command"] == ["CMD", "/healthcheck"]
    assert metrics["dependsOn"] == [{"containerName": "migrate", "condition": "SUCCESS"}]
    assert [s["name"] for s in metrics["secrets"]] == ["SIDECAR_TOKEN"]


def test_the_services_output_names_each_services_containers_by_role(stack):
    terraform, root, *_ = stack
    services = json.loads(terraform(root, "output", "-json", "services").stdout)
    assert services["web"]["containers"] == {"app": "web", "init": ["migrate"], "sidecar": ["metrics"]}
    assert services["worker"]["containers"] == {"app": "worker", "init": [], "sidecar": []}


def test_the_managed_master_secret_reaches_the_service_by_json_key_and_never_the_state(stack):
    _, root, aws, resources, _ = stack
    database = aws.rds.describe_db_instances(DBInstanceIdentifier="acme-staging-postgres")["DBInstances"][0]
    master_secret = database["MasterUserSecret"]["SecretArn"]
    service = aws.ecs.describe_services(cluster=CLUSTER, services=["web"])["services"][0]
    app = aws.ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"][
        "containerDefinitions"][0]
    secrets = {s["name"]: s["valueFrom"] for s in app["secrets"]}
    assert secrets["DATABASE_PASSWORD"] == f"{master_secret}:password::"
    assert secrets["DATABASE_USER"] == f"{master_secret}:username::"
    environment = {e["name"]: e["value"] for e in app["environment"]}
    assert environment["DATABASE_HOST"] == database["Endpoint"]["Address"]

    # The execution role may read the master secret itself (the ARN without the key suffix) and the app's secrets.
    policy = aws.iam.get_role_policy(RoleName="acme-staging-web-execution", PolicyName="start-task")["PolicyDocument"]
    readable = {s["Sid"]: s for s in policy["Statement"]}["OwnSecretsOnly"]["Resource"]
    assert master_secret in readable and not any(arn.endswith("::") for arn in readable)

    # RDS made the password and keeps it in its own secret: the state holds none.
    instance = resources["module.deployment.module.core_services.aws_db_instance.postgres[0]"]
    assert instance["manage_master_user_password"] is True
    assert instance["password"] is None
    assert instance["master_user_secret"][0]["secret_arn"] == master_secret


def test_the_first_apply_starts_no_task_and_records_the_count_for_the_first_deploy(stack):
    _, _, aws, _, _ = stack
    services = aws.ecs.describe_services(cluster=CLUSTER, services=["web", "worker"], include=["TAGS"])["services"]
    for service, first_count in zip(services, ("2", "1")):
        assert service["desiredCount"] == 0, service["serviceName"]
        assert {t["key"]: t["value"] for t in service["tags"]}["ecsenv:desired-count"] == first_count


def test_https_with_an_acm_certificate_validated_in_route53_and_http_redirected(stack):
    _, _, aws, _, zone_id = stack
    load_balancer = aws.elbv2.describe_load_balancers(Names=[CLUSTER])["LoadBalancers"][0]
    listeners = {listener["Port"]: listener for listener in
                 aws.elbv2.describe_listeners(LoadBalancerArn=load_balancer["LoadBalancerArn"])["Listeners"]}
    https = listeners[443]
    certificate = aws.acm.describe_certificate(CertificateArn=https["Certificates"][0]["CertificateArn"])
    certificate = certificate["Certificate"]
    assert certificate["DomainName"] == DOMAIN and certificate["Status"] == "ISSUED"
    assert set(certificate["SubjectAlternativeNames"]) == {DOMAIN, f"*.{DOMAIN}"}
    redirect = listeners[80]["DefaultActions"][0]
    assert redirect["Type"] == "redirect" and redirect["RedirectConfig"]["Protocol"] == "HTTPS"

    records = aws.route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    validation = {option["ResourceRecord"]["Name"] for option in certificate["DomainValidationOptions"]}
    assert validation <= {r["Name"] for r in records if r["Type"] == "CNAME"}
    alias = [r for r in records if r["Type"] == "A"]
    assert [r["Name"].rstrip(".") for r in alias] == [DOMAIN]
    assert alias[0]["AliasTarget"]["DNSName"].rstrip(".").lower() == load_balancer["DNSName"].lower()

    # The same records are an output of the environment: what to create by hand when the DNS is not in Route53.
    terraform, root, *_ = stack
    output = json.loads(terraform(root, "output", "-json", "certificate_validation_records").stdout)
    assert set(output) == {DOMAIN, f"*.{DOMAIN}"}
    assert {record["name"] for record in output.values()} == validation
    assert {record["type"] for record in output.values()} == {"CNAME"}


def test_the_load_balancer_admits_only_the_environments_cidrs_and_reaches_only_the_public_ports(stack):
    _, _, aws, _, _ = stack
    groups = {g["GroupName"]: g["GroupId"] for g in aws.ec2.describe_security_groups()["SecurityGroups"]}
    rules = aws.ec2.describe_security_group_rules()["SecurityGroupRules"]

    def of(group, egress):
        return sorted((r["FromPort"], r["ToPort"], r.get("CidrIpv4")) for r in rules
                      if r["GroupId"] == groups[group] and r["IsEgress"] is egress)

    cidrs = ["198.51.100.0/24", "203.0.113.0/24"]
    assert of("acme-staging-alb", False) == sorted((port, port, cidr) for port in (80, 443) for cidr in cidrs)
    # Only the public service's port (web: 8080), not the worker's 9000, and not every TCP port.
    public_subnets = ["10.10.0.0/24", "10.10.1.0/24"]
    assert of("acme-staging-services", False) == [(8080, 8080, cidr) for cidr in public_subnets]
    assert of("acme-staging-alb", True) == [(8080, 8080, cidr) for cidr in ("10.10.10.0/24", "10.10.11.0/24")]


def test_the_scheduled_task_runs_the_services_latest_task_definition_with_its_command(stack):
    _, _, aws, _, _ = stack
    schedule = aws.scheduler.get_schedule(Name="acme-staging-nightly-report")
    assert schedule["ScheduleExpression"] == "cron(0 3 * * ? *)"
    assert schedule["ScheduleExpressionTimezone"] == "Europe/Paris"
    target = schedule["Target"]
    cluster_arn = aws.ecs.describe_clusters(clusters=[CLUSTER])["clusters"][0]["clusterArn"]
    assert target["Arn"] == cluster_arn
    parameters = target["EcsParameters"]
    # The family's ARN without a revision: RunTask takes its latest ACTIVE revision, the one the last deploy made.
    assert parameters["TaskDefinitionArn"] == f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/acme-staging-web"
    assert parameters["LaunchType"] == "FARGATE"
    assert json.loads(target["Input"]) == {
        "containerOverrides": [{"name": "web", "command": ["python", "manage.py", "report"]}]}

    role = target["RoleArn"].split("/")[-1]
    policy = aws.iam.get_role_policy(RoleName=role, PolicyName="run-task")["PolicyDocument"]
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["RunTheTask"]["Condition"] == {"ArnEquals": {"ecs:cluster": cluster_arn}}
    assert sorted(statements["PassTheTaskRoles"]["Resource"]) == [
        f"arn:aws:iam::{ACCOUNT}:role/acme-staging-web-execution", f"arn:aws:iam::{ACCOUNT}:role/acme-staging-web-task"]


def test_the_assets_bucket_is_private_encrypted_and_writable_by_the_services_that_ask(stack):
    _, _, aws, _, _ = stack
    bucket = f"acme-staging-assets-{ACCOUNT}"
    block = aws.s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    rule = aws.s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert aws.s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"

    policy = aws.iam.get_role_policy(RoleName="acme-staging-web-task", PolicyName="app")["PolicyDocument"]
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["AssetsObjects"]["Resource"] == f"arn:aws:s3:::{bucket}/*"
    service = aws.ecs.describe_services(cluster=CLUSTER, services=["web"])["services"][0]
    app = aws.ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"][
        "containerDefinitions"][0]
    assert {e["name"]: e["value"] for e in app["environment"]}["ASSETS_BUCKET"] == bucket


def _plan_with_the_planned_only_options(terraform, root, zone_id, name):
    (root / "zz_all_options_override.tf").write_text(_all_options(zone_id, planned_only=True))
    try:
        terraform(root, "validate")
        terraform(root, "plan", "-input=false", f"-out={name}", TFVARS)
        plan = json.loads(terraform(root, "show", "-json", name).stdout)
    finally:
        (root / "zz_all_options_override.tf").write_text(_all_options(zone_id))
    return {c["address"]: c["change"] for c in plan["resource_changes"]}


def test_autoscaling_cache_and_cdn_plan_on_the_emulator(stack):
    # Applied on AWS, planned here (the module docstring says what the emulator lacks).
    terraform, root, aws, _, zone_id = stack
    changes = _plan_with_the_planned_only_options(terraform, root, zone_id, "planned-only.plan")
    created = {address: change["after"] for address, change in changes.items() if change["actions"] == ["create"]}

    # Autoscaling: target tracking on CPU (both) and on the load balancer's requests per target (the public web).
    # While a service runs no task (never deployed), its scalable target's minimum is 0: registering a higher one
    # would start tasks at once.
    web, worker = (created[f'{_service(name)}.aws_appautoscaling_target.this[0]'] for name in ("web", "worker"))
    assert (web["min_capacity"], web["max_capacity"], worker["min_capacity"], worker["max_capacity"]) == (0, 6, 0, 3)
    assert web["resource_id"] == f"service/{CLUSTER}/web"
    cpu = created[f'{_service("web")}.aws_appautoscaling_policy.cpu[0]'][
        "target_tracking_scaling_policy_configuration"][0]
    assert cpu["target_value"] == 60
    assert cpu["predefined_metric_specification"][0]["predefined_metric_type"] == "ECSServiceAverageCPUUtilization"
    requests = created[f'{_service("web")}.aws_appautoscaling_policy.requests[0]'][
        "target_tracking_scaling_policy_configuration"][0]
    metric = requests["predefined_metric_specification"][0]
    assert requests["target_value"] == 500 and metric["predefined_metric_type"] == "ALBRequestCountPerTarget"
    load_balancer = aws.elbv2.describe_load_balancers(Names=[CLUSTER])["LoadBalancers"][0]["LoadBalancerArn"]
    target_group = aws.elbv2.describe_target_groups(Names=["acme-staging-web"])["TargetGroups"][0]["TargetGroupArn"]
    suffix = load_balancer.split(":loadbalancer/")[1] + "/" + target_group.split(":")[-1]
    assert metric["resource_label"] == suffix
    assert f'{_service("worker")}.aws_appautoscaling_policy.requests[0]' not in created  # not public

    # The cache: Valkey, encrypted at rest and in transit, failover over two nodes; the services that asked get its
    # address (a new task definition revision, its address known after apply).
    group = created["module.deployment.module.cache[0].aws_elasticache_replication_group.this"]
    assert group["engine"] == "valkey"
    # (the provider types at_rest_encryption_enabled as a string)
    assert str(group["at_rest_encryption_enabled"]).lower() == "true" and group["transit_encryption_enabled"] is True
    assert group["automatic_failover_enabled"] is True and group["num_cache_clusters"] == 2
    worker_definition = changes[f'{_service("worker")}.aws_ecs_task_definition.this']
    assert worker_definition["actions"] == ["delete", "create"]

    # ECS exec on web (not worker), with the SSM messages channels in its task role.
    updated = {address: change["after"] for address, change in changes.items() if change["actions"] == ["update"]}
    assert updated[f'{_service("web")}.aws_ecs_service.this']["enable_execute_command"] is True
    assert f'{_service("worker")}.aws_ecs_service.this' not in updated
    task_policy = json.loads(updated[f'{_service("web")}.aws_iam_role_policy.task[0]']["policy"])
    actions = {action for statement in task_policy["Statement"] for action in statement["Action"]}
    assert {"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel",
            "ssmmessages:OpenDataChannel"} <= actions

    # CloudFront in front of the assets bucket, reading it through an origin access control.
    assert "module.deployment.module.assets_bucket[0].aws_cloudfront_distribution.this[0]" in created
    origin_access = created["module.deployment.module.assets_bucket[0].aws_cloudfront_origin_access_control.this[0]"]
    assert origin_access["signing_behavior"] == "always"


def test_after_the_first_deploy_the_autoscaling_minimum_is_the_configured_one(stack):
    # The first deploy starts the tagged count (here by hand, as `ecsenv deploy` will); from then on Terraform
    # registers the configured minimum. Runs last: it changes the emulator's service.
    terraform, root, aws, _, zone_id = stack
    aws.ecs.update_service(cluster=CLUSTER, service="web", desiredCount=2)
    changes = _plan_with_the_planned_only_options(terraform, root, zone_id, "first-deploy.plan")
    web, worker = (changes[f'{_service(name)}.aws_appautoscaling_target.this[0]']["after"]
                   for name in ("web", "worker"))
    assert (web["min_capacity"], worker["min_capacity"]) == (2, 0)
    # And Terraform leaves the count the deploy set.
    assert changes[f'{_service("web")}.aws_ecs_service.this']["after"]["desired_count"] == 2
