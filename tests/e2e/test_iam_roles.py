"""The roles environments/global_aws gives GitHub Actions, used for real: with moto's IAM enforcement on,
`ecsenv deploy staging` runs as a principal holding exactly the policy the stack attaches to staging's deploy role,
and fails when one permission is taken away.

moto checks a request's action (and, for S3, the bucket and key), not other services' resources, and no condition
(docs/stack.md). So the principal gets the policy with those services' Resource elements widened to "*", and the
run records the resources it touched: each must be covered by the real policy's Resource patterns for its action."""

import fnmatch
import json
import shutil
import subprocess
import time

import boto3
import pytest
from conftest import ACCOUNT, mirror_cli_config, mirror_or_skip, post
from test_stack import CONFIG, PROJECT, REGION, REPO, copy_stack, emulator_root

from bootstrap.cli import main
from bootstrap.project.config import save_config

pytestmark = pytest.mark.terraform

SHA = "4" * 40
CLUSTER = f"{PROJECT}-staging"
REPOSITORY = f"{PROJECT}/web"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{REPOSITORY}"
EXECUTION_ROLE = f"arn:aws:iam::{ACCOUNT}:role/{CLUSTER}-web-execution"
TASK_ROLE = f"arn:aws:iam::{ACCOUNT}:role/{CLUSTER}-web-task"
LOG_GROUP = f"/ecs/{CLUSTER}"


def _listed(value):
    return value if isinstance(value, list) else [value]


def enforceable(policy):
    """The policy as moto can enforce it: Resource "*" except for S3, whose bucket and key moto does check. moto
    checks HeadBucket as the action "s3:HeadBucket", which AWS does not have (HeadBucket needs s3:ListBucket: S3 API
    reference, HeadBucket): it goes wherever s3:ListBucket is granted."""
    statements = []
    for statement in policy["Statement"]:
        actions = _listed(statement["Action"])
        if not all(action.startswith("s3:") for action in actions):
            statement = dict(statement, Resource="*")
        elif "s3:ListBucket" in actions:
            statement = dict(statement, Action=[*actions, "s3:HeadBucket"])
        statements.append(statement)
    return dict(policy, Statement=statements)


def allows(policy, action, arn):
    """Whether an Allow statement of the policy names the action and a Resource pattern covering the ARN."""
    return any(statement["Effect"] == "Allow"
               and any(fnmatch.fnmatchcase(action, pattern) for pattern in _listed(statement["Action"]))
               and any(fnmatch.fnmatchcase(arn, pattern) for pattern in _listed(statement["Resource"]))
               for statement in policy["Statement"])


class Touched:
    """(action, resource ARN) of every call the run makes that names a resource."""

    def __init__(self):
        self.resources = []

    def record(self, client, operation, params):
        service = client.meta.service_model.signing_name
        prefix = f"arn:aws:{service}:{REGION}:{ACCOUNT}"
        if service == "s3" and "Key" in params:
            verb = {"PutObject": "PutObject", "DeleteObject": "DeleteObject"}.get(operation, "GetObject")
            self.resources.append((f"s3:{verb}", f"arn:aws:s3:::{params['Bucket']}/{params['Key']}"))
        elif operation == "DescribeServices":
            self.resources += [("ecs:DescribeServices", service if service.startswith("arn:") else
                                f"{prefix}:service/{params['cluster']}/{service}") for service in params["services"]]
        elif operation == "UpdateService":
            self.resources.append(("ecs:UpdateService", f"{prefix}:service/{params['cluster']}/{params['service']}"))
        elif operation == "ListTagsForResource" and service == "ecs":
            self.resources.append(("ecs:ListTagsForResource", params["resourceArn"]))
        elif operation == "RunTask":
            self.resources.append(("ecs:RunTask", params["taskDefinition"]))
        elif operation in ("DescribeTasks", "StopTask"):
            tasks = params["tasks"] if operation == "DescribeTasks" else [params["task"]]
            self.resources += [(f"ecs:{operation}", task) for task in tasks]
        elif operation in ("FilterLogEvents", "GetLogEvents"):
            group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{params['logGroupName']}"
            self.resources.append((f"logs:{operation}", group + (f":log-stream:{params['logStreamName']}"
                                                                 if operation == "GetLogEvents" else ":*")))
        elif operation == "RegisterTaskDefinition":
            for key in ("executionRoleArn", "taskRoleArn"):
                if params.get(key):
                    self.resources.append(("iam:PassRole", params[key]))
        elif operation == "DescribeSecret":
            self.resources.append(("secretsmanager:DescribeSecret", params["SecretId"]))
        elif operation == "DescribeImages":
            self.resources.append(("ecr:DescribeImages", f"{prefix}:repository/{params['repositoryName']}"))

    def registered(self, result, operation):
        if operation == "RegisterTaskDefinition":  # tagging the new revision needs ecs:TagResource on its ARN
            self.resources.append(("ecs:TagResource", result["taskDefinition"]["taskDefinitionArn"]))


@pytest.fixture
def touched(monkeypatch):
    from botocore.client import BaseClient

    recorder, real = Touched(), BaseClient._make_api_call

    def recording(client, operation, params):
        recorder.record(client, operation, params)
        result = real(client, operation, params)
        recorder.registered(result, operation)
        return result

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    return recorder


@pytest.fixture
def roles(provider_terraform, boto, aws_env, tmp_path):
    """global_aws applied (the roles and the image repository), and the state bucket."""
    terraform = provider_terraform
    root = emulator_root(copy_stack(tmp_path / "stack", "global_aws"), aws_env)
    terraform(root, "init", "-input=false", "-lockfile=readonly")
    terraform(root, "apply", "-input=false", "-auto-approve")
    s3 = boto.client("s3", REGION)
    s3.create_bucket(Bucket=CONFIG.state.bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=CONFIG.state.bucket, VersioningConfiguration={"Status": "Enabled"})
    return boto


@pytest.fixture
def stack(roles):
    """What staging's apply would leave: the service running an image."""
    boto = roles
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1,
                           "digest": "sha256:" + "4" * 64}, "layers": []}
    ecr = boto.client("ecr", REGION)
    for tag in ("initial", SHA):
        ecr.put_image(repositoryName=REPOSITORY, imageManifest=json.dumps(manifest), imageTag=tag)
    secret = boto.client("secretsmanager", REGION).create_secret(
        Name=f"{PROJECT}/staging/APP_SECRET_KEY", SecretString="v")["ARN"]
    ecs = boto.client("ecs", REGION)
    ecs.create_cluster(clusterName=CLUSTER)
    tags = [{"key": "ecsenv:project", "value": PROJECT}, {"key": "ecsenv:environment", "value": "staging"},
            {"key": "ecsenv:service", "value": "web"}, {"key": "managed-by", "value": "ecsenv"}]
    task = ecs.register_task_definition(
        family=f"{CLUSTER}-web", executionRoleArn=EXECUTION_ROLE, taskRoleArn=TASK_ROLE, networkMode="awsvpc",
        cpu="256", memory="512", requiresCompatibilities=["FARGATE"], tags=tags,
        containerDefinitions=[{"name": "web", "image": f"{IMAGE}:initial", "essential": True, "memory": 512,
                               "secrets": [{"name": "APP_SECRET_KEY", "valueFrom": secret}],
                               "logConfiguration": {"logDriver": "awslogs", "options": {
                                   "awslogs-group": LOG_GROUP, "awslogs-region": REGION,
                                   "awslogs-stream-prefix": "web"}}}])
    # As the first apply leaves it: no task yet, the count of the first deploy in its tag (modules/container-generic).
    ec2 = boto.client("ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})  # as the stack's (moto's RunTask needs it)
    network = {"awsvpcConfiguration": {
        "subnets": [ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.1.0/24")["Subnet"]["SubnetId"]],
        "securityGroups": [ec2.create_security_group(GroupName="services", Description="s", VpcId=vpc)["GroupId"]]}}
    ecs.create_service(cluster=CLUSTER, serviceName="web", desiredCount=0, launchType="FARGATE",
                       networkConfiguration=network,
                       taskDefinition=task["taskDefinition"]["taskDefinitionArn"],
                       tags=tags + [{"key": "ecsenv:desired-count", "value": "2"}])
    logs = boto.client("logs", REGION)
    logs.create_log_group(logGroupName=LOG_GROUP)
    logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName="web/web/0123456789abcdef")
    logs.put_log_events(logGroupName=LOG_GROUP, logStreamName="web/web/0123456789abcdef",
                        logEvents=[{"timestamp": int(time.time() * 1000) - 60_000, "message": "listening on 8080"}])
    return boto


def as_principal(boto, aws_env, monkeypatch, name, policy):
    """Credentials of a new user holding exactly `policy`, in the environment; IAM enforcement on from here."""
    boto.iam.create_user(UserName=name)
    boto.iam.put_user_policy(UserName=name, PolicyName="role", PolicyDocument=json.dumps(policy))
    key = boto.iam.create_access_key(UserName=name)["AccessKey"]
    post(f"{aws_env}/moto-api/reset-auth", b"0")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])


def test_staging_deploys_as_its_deploy_role_and_not_without_one_permission(stack, aws_env, project_dir,
                                                                          monkeypatch, touched, capsys):
    save_config(CONFIG, str(project_dir / "ecsenv.yaml"))
    policy = stack.iam.get_role_policy(RoleName=f"{CLUSTER}-github-deploy",
                                       PolicyName="deploy-staging")["PolicyDocument"]
    as_principal(stack, aws_env, monkeypatch, "staging-deployer", enforceable(policy))

    code = main(["deploy", "staging", "--sha", SHA, "--timeout", "60"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "AccessDenied" not in out + err

    # The first deploy read the count the stack recorded in the service's tag, and started it.
    assert "ecsenv:desired-count" not in out + err
    post(f"{aws_env}/moto-api/reset-auth", b"inf")
    service = stack.client("ecs", REGION).describe_services(cluster=CLUSTER, services=["web"])["services"][0]
    assert service["desiredCount"] == 2
    post(f"{aws_env}/moto-api/reset-auth", b"0")

    # What moto did not check: every resource the deploy touched is one the real policy names for that action.
    assert {action for action, _ in touched.resources} >= {
        "ecs:DescribeServices", "ecs:UpdateService", "ecs:TagResource", "iam:PassRole", "ecr:DescribeImages",
        "secretsmanager:DescribeSecret", "s3:PutObject", "s3:DeleteObject", "ecs:ListTagsForResource"}
    uncovered = [(action, arn) for action, arn in touched.resources if not allows(policy, action, arn)]
    assert uncovered == []

    # The same run without ecs:UpdateService fails, and says so.
    post(f"{aws_env}/moto-api/reset-auth", b"inf")
    reduced = enforceable(policy)
    reduced["Statement"] = [s for s in reduced["Statement"] if s["Sid"] != "UpdateServices"]
    admin = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    admin.client("iam").put_user_policy(UserName="staging-deployer", PolicyName="role",
                                        PolicyDocument=json.dumps(reduced))
    post(f"{aws_env}/moto-api/reset-auth", b"0")
    code = main(["deploy", "staging", "--sha", SHA, "--timeout", "60"])
    out, err = capsys.readouterr()
    assert code != 0 and "AccessDenied" in out + err, out + err


def test_staging_runs_one_off_tasks_and_reads_its_logs_as_its_deploy_role(stack, aws_env, project_dir, monkeypatch,
                                                                          touched, capsys):
    save_config(CONFIG, str(project_dir / "ecsenv.yaml"))
    monkeypatch.setenv("ECSENV_POLL_SECONDS", "0.05")  # moto stops a task by itself after a few DescribeTasks
    policy = stack.iam.get_role_policy(RoleName=f"{CLUSTER}-github-deploy",
                                       PolicyName="deploy-staging")["PolicyDocument"]
    as_principal(stack, aws_env, monkeypatch, "staging-runner", enforceable(policy))

    code = main(["run", "staging", "--sha", SHA, "--timeout", "60", "--", "bin/migrate"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    code = main(["logs", "staging", "web", "--since", "1h"])
    out, err = capsys.readouterr()
    assert code == 0 and "listening on 8080" in out, out + err

    # What moto did not check: the task definition it ran (a one-off revision of the SHA's image), the task it
    # followed, the log group it read and the roles it passed are the ones the real policy names.
    actions = {action for action, _ in touched.resources}
    assert actions >= {"ecs:RunTask", "ecs:DescribeTasks", "logs:FilterLogEvents", "iam:PassRole", "ecs:TagResource"}
    uncovered = [(action, arn) for action, arn in touched.resources if not allows(policy, action, arn)]
    assert uncovered == []

    # Without its log group's events, `ecsenv logs` fails and says so.
    reduced = enforceable(policy)
    reduced["Statement"] = [s for s in reduced["Statement"] if s["Sid"] != "ReadLogs"]
    set_policy(aws_env, "staging-runner", reduced)
    code = main(["logs", "staging", "web", "--since", "1h"])
    out, err = capsys.readouterr()
    assert code != 0 and "AccessDenied" in out + err, out + err


def git(repo, *args):
    result = subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def set_policy(aws_env, user, policy):
    """Replace the user's policy (as the emulator's administrator: enforcement off meanwhile)."""
    post(f"{aws_env}/moto-api/reset-auth", b"inf")
    admin = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    admin.client("iam").put_user_policy(UserName=user, PolicyName="role", PolicyDocument=json.dumps(policy))
    post(f"{aws_env}/moto-api/reset-auth", b"0")


# The stack's options, on in the apply where the emulator can apply them (docs of tests/e2e/test_stack_options.py)
# under IAM enforcement: the assets bucket, the domain's ACM certificate. Route53 records and scheduled tasks are
# planned only: moto's Route53 and EventBridge Scheduler answer 403 to every request of a principal under IAM
# enforcement, even one allowed route53:* (GetHostedZone) or the schedules (GetSchedule).
APPLIED_OPTIONS = """
enable_assets_bucket = true
domain_name          = "{domain}"
"""
# ... and planned only, on top of the applied state: the DNS records, a scheduled task, CloudFront, the cache,
# autoscaling.
PLANNED_OPTIONS = APPLIED_OPTIONS + """
route53_zone_id = "{zone}"
scheduled_tasks = {{
  nightly-report = {{ service = "web", schedule_expression = "cron(0 3 * * ? *)", command = ["bin/report"] }}
}}
assets       = {{ enable_cdn = true }}
enable_cache = true
services = {{
  web = {{
    desired_count = 1
    public        = true
    environment   = {{ APP_ENV = "staging" }}
    secrets       = ["APP_SECRET_KEY"]
    autoscaling   = {{ min_capacity = 1, max_capacity = 3, cpu_target = 60, requests_per_target = 200 }}
  }}
}}
"""
DOMAIN = "ledgerwick.example.org"


def without(policy, sid):
    """The enforceable policy without the statement `sid`."""
    reduced = enforceable(policy)
    assert any(statement["Sid"] == sid for statement in reduced["Statement"]), sid
    reduced["Statement"] = [statement for statement in reduced["Statement"] if statement["Sid"] != sid]
    return reduced


def test_staging_plans_and_applies_as_its_terraform_role_and_plans_as_its_plan_role(
        roles, aws_env, project_dir, monkeypatch, tmp_path, capsys):
    # A project as a fork has it: the stack, ecsenv.yaml, the rendered files, committed; the options on.
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", mirror_cli_config(str(tmp_path), mirror_or_skip()))
    for name in ("S3", "DYNAMODB", "STS"):
        monkeypatch.setenv(f"AWS_ENDPOINT_URL_{name}", aws_env)
    ignore = shutil.ignore_patterns(".terraform", "*.tfstate*", "ecsenv.auto.tfvars", "backend.s3.tfbackend")
    shutil.copytree(REPO / "modules", project_dir / "modules", ignore=ignore)
    shutil.copytree(REPO / "environments" / "staging", project_dir / "environments" / "staging", ignore=ignore)
    save_config(CONFIG, str(project_dir / "ecsenv.yaml"))
    assert main(["render"]) == 0
    zone = roles.client("route53", REGION).create_hosted_zone(Name=DOMAIN, CallerReference="iam")["HostedZone"]["Id"]
    options = project_dir / "environments" / "staging" / "options.auto.tfvars"  # after env.auto.tfvars: it wins
    options.write_text(APPLIED_OPTIONS.format(domain=DOMAIN, zone=zone.split("/")[-1]))
    (project_dir / ".gitignore").write_text(".terraform/\n")
    git(project_dir, "init", "-q", "-b", "main")
    git(project_dir, "add", "-A")
    git(project_dir, "commit", "-q", "-m", "staging")
    capsys.readouterr()

    policy = roles.iam.get_role_policy(RoleName=f"{CLUSTER}-github-terraform",
                                       PolicyName="terraform-staging")["PolicyDocument"]
    plan_policy = roles.iam.get_role_policy(RoleName=f"{CLUSTER}-github-plan",
                                            PolicyName="plan-staging")["PolicyDocument"]
    # Without its log groups, staging's apply fails (and says why) ...
    as_principal(roles, aws_env, monkeypatch, "staging-terraform", without(policy, "Logs"))
    assert main(["plan", "staging"]) == 3, capsys.readouterr()
    code = main(["apply", "staging"])
    out, err = capsys.readouterr()
    assert code != 0 and "CreateLogGroup, https response error StatusCode: 403" in out + err, out + err

    # ... so does it without the assets bucket (an option's permission, which moto checks down to the bucket's
    # name; the apply goes on from the state the first one left) ...
    # Whether the first apply got to create the bucket decides where this one fails: reading it in the plan, or
    # creating it in the apply.
    set_policy(aws_env, "staging-terraform", without(policy, "AssetsBucket"))
    code = main(["plan", "staging"])
    if code == 3:
        code = main(["apply", "staging"])
    out, err = capsys.readouterr()
    assert code not in (0, 3) and f"({PROJECT}-staging-assets-{ACCOUNT})" in out + err, out + err
    assert "StatusCode: 403" in out + err, out + err

    # ... and with the role's whole policy it plans and applies, its state and records where the role may write.
    set_policy(aws_env, "staging-terraform", enforceable(policy))
    assert main(["plan", "staging"]) == 3, capsys.readouterr()
    code = main(["apply", "staging"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    post(f"{aws_env}/moto-api/reset-auth", b"inf")
    keys = {entry["Key"] for entry in roles.client("s3", REGION).list_objects_v2(
        Bucket=CONFIG.state.bucket)["Contents"]}
    sha = git(project_dir, "rev-parse", "HEAD")
    assert keys == {"staging/terraform.tfstate", f"ecsenv/applied/staging/{sha}.json",
                    "ecsenv/applied/staging/latest.json"}

    # What moto did not check: every resource the apply made is one the real policy reaches, by name (ARN patterns
    # for the action that creates it) or by the environment's tag.
    state = json.loads(roles.client("s3", REGION).get_object(Bucket=CONFIG.state.bucket,
                                                             Key="staging/terraform.tfstate")["Body"].read())
    by_name = {"aws_iam_role": "iam:CreateRole", "aws_cloudwatch_log_group": "logs:CreateLogGroup",
               "aws_secretsmanager_secret": "secretsmanager:CreateSecret", "aws_ecs_cluster": "ecs:CreateCluster",
               "aws_ecs_service": "ecs:CreateService", "aws_kms_alias": "kms:CreateAlias",
               "aws_s3_bucket": "s3:CreateBucket"}
    by_tag = {"aws_vpc", "aws_subnet", "aws_security_group", "aws_lb", "aws_lb_target_group", "aws_kms_key",
              "aws_internet_gateway", "aws_route_table", "aws_nat_gateway", "aws_eip", "aws_flow_log",
              "aws_acm_certificate"}
    checked = set()
    for resource in state["resources"]:
        if resource["mode"] != "managed":
            continue
        for instance in resource["instances"]:
            attributes = instance["attributes"]
            if resource["type"] in by_name:
                arn = attributes.get("arn") or attributes["id"]
                assert allows(policy, by_name[resource["type"]], arn), (resource["type"], arn)
                checked.add(resource["type"])
            elif resource["type"] in by_tag:
                assert attributes["tags_all"].get("ecsenv:environment") == "staging", resource["type"]
                checked.add(resource["type"])
    assert checked >= {"aws_iam_role", "aws_cloudwatch_log_group", "aws_secretsmanager_secret", "aws_ecs_service",
                       "aws_vpc", "aws_lb", "aws_kms_key", "aws_s3_bucket", "aws_acm_certificate"}
    # The scheduled task's role is passed to Scheduler, and only the environment's roles are passed at all.
    passed = [s for s in policy["Statement"] if "iam:PassRole" in _listed(s["Action"])]
    assert [s["Sid"] for s in passed] == ["PassOwnRoles"]
    assert "scheduler.amazonaws.com" in passed[0]["Condition"]["StringEquals"]["iam:PassedToService"]

    # The options the emulator cannot apply plan as the terraform role.
    options.write_text(PLANNED_OPTIONS.format(domain=DOMAIN, zone=zone.split("/")[-1]))
    git(project_dir, "commit", "-q", "-am", "every option")
    post(f"{aws_env}/moto-api/reset-auth", b"0")
    code = main(["plan", "staging"])
    out, err = capsys.readouterr()
    assert code == 3, out + err

    # The read-only plan role plans staging (reading its state and every resource, taking the state's lock) ...
    assert not {action for statement in plan_policy["Statement"] for action in _listed(statement["Action"])
                if action == "secretsmanager:GetSecretValue" or action.split(":")[1].startswith(
                    ("Create", "Put", "Delete", "Update", "Register", "Run", "Tag", "Change"))} - {
        "s3:PutObject", "s3:DeleteObject"}  # the lockfile only
    set_policy(aws_env, "staging-terraform", enforceable(plan_policy))
    code = main(["plan", "staging"])
    out, err = capsys.readouterr()
    assert code == 3 and "AccessDenied" not in out + err, out + err
    # ... and cannot apply it.
    code = main(["apply", "staging"])
    out, err = capsys.readouterr()
    assert code != 0 and "403" in out + err, out + err
