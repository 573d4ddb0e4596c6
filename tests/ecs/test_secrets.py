"""bootstrap/secrets.py against the moto server: declared secrets (created like modules/core-services does, without a
value), setting a value, the services that read it, redeploying them, reading a value, and that a value never leaks."""

import io
import json
import logging

import pytest

from bootstrap.aws import Aws
from bootstrap.ecs import secrets
from bootstrap.errors import OperationFailed, UserError
from tests.conftest import ACCOUNT

CANARY = "leak-canary-8f3a"


def declare(boto, project, environment, name):
    """A secret as the stack declares it: named, tagged, WITHOUT a value (moto accepts that, like AWS)."""
    return boto.secretsmanager.create_secret(
        Name=f"{project}/{environment}/{name}",
        Description=f"{name} of {project} {environment}",
        Tags=[{"Key": "ecsenv:project", "Value": project}, {"Key": "ecsenv:environment", "Value": environment},
              {"Key": "ecsenv:secret", "Value": name}, {"Key": "project", "Value": project}])["ARN"]


@pytest.fixture
def aws(aws_env):
    return Aws(region="us-east-1")


@pytest.fixture
def declared(boto):
    arns = {name: declare(boto, "acme", "staging", name) for name in ("DB_PASSWORD", "APP_SECRET_KEY")}
    declare(boto, "acme", "production", "DB_PASSWORD")   # another environment
    declare(boto, "acmeco", "staging", "DB_PASSWORD")    # another project (a prefix of whose name matches)
    declare(boto, "other", "staging", "API_TOKEN")       # another project with the same environment name
    boto.secretsmanager.create_secret(Name="acme/staging/untagged", SecretString="x")  # not declared by ecsenv
    return arns


def test_list_shows_only_this_environment_without_reading_values(aws, declared, api_calls):
    listed = secrets.list_secrets(aws, "acme", "staging")

    assert [s.name for s in listed] == ["APP_SECRET_KEY", "DB_PASSWORD"]
    assert [s.secret_id for s in listed] == ["acme/staging/APP_SECRET_KEY", "acme/staging/DB_PASSWORD"]
    assert [s.arn for s in listed] == [declared["APP_SECRET_KEY"], declared["DB_PASSWORD"]]
    assert all(not s.has_value and s.last_changed is None for s in listed)
    assert "GetSecretValue" not in api_calls.calls
    assert set(api_calls.calls) == {"ListSecrets"}


def test_list_of_an_environment_without_secrets_is_empty(aws, declared):
    assert secrets.list_secrets(aws, "acme", "qa") == []


def test_set_stores_the_value_as_awscurrent(aws, boto, declared, api_calls):
    result = secrets.set_secret(aws, "acme", "staging", "DB_PASSWORD", "s3cr3t")

    assert result.name == "DB_PASSWORD" and result.arn == declared["DB_PASSWORD"]
    assert result.has_value and result.last_changed
    assert api_calls.calls == ["ListSecrets", "PutSecretValue", "DescribeSecret"]
    stored = boto.secretsmanager.get_secret_value(SecretId="acme/staging/DB_PASSWORD")
    assert stored["SecretString"] == "s3cr3t" and "AWSCURRENT" in stored["VersionStages"]

    api_calls.clear()
    listed = {s.name: s for s in secrets.list_secrets(aws, "acme", "staging")}
    assert listed["DB_PASSWORD"].has_value and listed["DB_PASSWORD"].last_changed
    assert not listed["APP_SECRET_KEY"].has_value
    assert api_calls.calls == ["ListSecrets"]
    # The same name in the other environment is untouched.
    other = boto.secretsmanager.list_secret_version_ids(SecretId="acme/production/DB_PASSWORD")
    assert other["Versions"] == []


def test_setting_again_makes_a_new_current_version(aws, boto, declared):
    secrets.set_secret(aws, "acme", "staging", "DB_PASSWORD", "first")
    secrets.set_secret(aws, "acme", "staging", "DB_PASSWORD", "second")
    assert boto.secretsmanager.get_secret_value(SecretId=declared["DB_PASSWORD"])["SecretString"] == "second"
    previous = boto.secretsmanager.get_secret_value(SecretId=declared["DB_PASSWORD"], VersionStage="AWSPREVIOUS")
    assert previous["SecretString"] == "first"


def test_unknown_name_lists_the_declared_ones(aws, declared, api_calls):
    with pytest.raises(UserError) as raised:
        secrets.set_secret(aws, "acme", "staging", "DB_PASS", CANARY)
    assert str(raised.value) == ("no secret 'DB_PASS' is declared for acme staging; "
                                 "declared: APP_SECRET_KEY, DB_PASSWORD")
    assert api_calls.writes == []


def test_unknown_name_when_nothing_is_declared(aws, declared):
    with pytest.raises(UserError, match="declared: none"):
        secrets.set_secret(aws, "acme", "qa", "DB_PASSWORD", "value")


def test_empty_value_is_refused_before_any_call(aws, declared, api_calls):
    with pytest.raises(UserError, match="empty"):
        secrets.set_secret(aws, "acme", "staging", "DB_PASSWORD", "")
    assert api_calls.calls == []


def test_too_long_value_is_refused_before_any_call(aws, declared, api_calls):
    with pytest.raises(UserError, match="65536"):
        secrets.set_secret(aws, "acme", "staging", "DB_PASSWORD", "x" * 65537)
    assert api_calls.calls == []


def test_a_failed_put_says_what_failed_without_the_value(aws, declared, api_calls):
    api_calls.clear(fail_on_write=1)
    with pytest.raises(OperationFailed) as raised:
        secrets.set_secret(aws, "acme", "staging", "DB_PASSWORD", CANARY)
    message = str(raised.value)
    assert "acme/staging/DB_PASSWORD" in message and "InternalError" in message
    assert CANARY not in message
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


# --- services: who reads the secret, redeploy, can they read it ------------------------------------------------

def ecs_setup(boto, secret_arn, other_arn):
    """Cluster acme-staging: `web` injects the secret (JSON key form), `worker` the full ARN, `cron` another secret."""
    iam = boto.iam
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                                "Principal": {"Service": "ecs-tasks.amazonaws.com"}}]})
    role = iam.create_role(RoleName="acme-staging-execution", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName="acme-staging-execution", PolicyName="secrets", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
                                                 "Resource": [secret_arn]}]}))
    ecs = boto.ecs
    ecs.create_cluster(clusterName="acme-staging")
    ecs.create_cluster(clusterName="acme-production")

    def service(cluster, name, value_from):
        family = f"{cluster}-{name}"
        ecs.register_task_definition(
            family=family, executionRoleArn=role, requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
            cpu="256", memory="512",
            containerDefinitions=[{"name": name, "image": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/app:abc",
                                   "essential": True, "secrets": [{"name": "DB_PASSWORD", "valueFrom": value_from}]}])
        ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=family, desiredCount=1)

    service("acme-staging", "web", f"{secret_arn}:password::")
    service("acme-staging", "worker", secret_arn)
    service("acme-staging", "cron", other_arn)
    service("acme-production", "web", secret_arn)  # another cluster: never listed
    return role


@pytest.fixture
def with_services(boto, declared):
    ecs_setup(boto, declared["DB_PASSWORD"], declared["APP_SECRET_KEY"])
    return {s.name: s for s in secrets.list_secrets(Aws(region="us-east-1"), "acme", "staging")}


def test_services_using_finds_the_readers_of_the_secret(aws, with_services):
    def readers(secret):
        return [name for name, _ in secrets.readers_check(aws, "acme", "staging", secret)]

    assert readers(with_services["DB_PASSWORD"]) == ["web", "worker"]
    assert readers(with_services["APP_SECRET_KEY"]) == ["cron"]


def test_services_using_without_a_cluster_is_empty(aws, declared):
    secret = secrets.list_secrets(aws, "acme", "staging")[0]
    assert secrets.readers_check(aws, "acme", "staging", secret) == []


def test_references_match_the_arn_exactly():
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:acme/staging/DB-AbCdEf"
    assert secrets._references(arn, arn)
    assert secrets._references(f"{arn}:password::", arn)
    assert secrets._references("arn:aws:secretsmanager:us-east-1:123456789012:secret:acme/staging/DB", arn)
    assert secrets._references("arn:aws:secretsmanager:us-east-1:123456789012:secret:acme/staging/DB:k::", arn)
    assert not secrets._references("arn:aws:secretsmanager:us-east-1:123456789012:secret:acme/staging/DB_X-AbCdEf",
                                   arn)
    assert not secrets._references("arn:aws:secretsmanager:us-east-1:123456789012:secret:acme/staging/DB-AbCdEfG",
                                   arn)


def test_redeploy_forces_a_new_deployment(aws, boto, with_services, api_calls):
    before = {s["serviceName"]: s for s in
              boto.ecs.describe_services(cluster="acme-staging", services=["web", "worker", "cron"])["services"]}

    secrets.redeploy(aws, "acme", "staging", ["web", "worker"])

    assert api_calls.writes == ["UpdateService", "UpdateService"]
    after = {s["serviceName"]: s for s in
             boto.ecs.describe_services(cluster="acme-staging", services=["web", "worker", "cron"])["services"]}
    for name in ("web", "worker"):
        old_ids = {d["id"] for d in before[name]["deployments"]}
        primary = [d for d in after[name]["deployments"] if d["status"] == "PRIMARY"]
        assert primary and primary[0]["id"] not in old_ids, after[name]["deployments"]
    assert after["cron"]["deployments"] == before["cron"]["deployments"]


def test_redeploy_of_an_unknown_service_fails_clearly(aws, with_services):
    with pytest.raises(OperationFailed, match="redeploying service nope of cluster acme-staging"):
        secrets.redeploy(aws, "acme", "staging", ["nope"])


def test_readers_check_answers_per_service_without_raising(aws, with_services):
    verdicts = secrets.readers_check(aws, "acme", "staging", with_services["DB_PASSWORD"])
    assert [service for service, _ in verdicts] == ["web", "worker"]
    for _, verdict in verdicts:
        # moto does not implement iam:SimulatePrincipalPolicy: "not checked"; real AWS: "allowed".
        assert verdict in ("allowed", "denied") or verdict.startswith("not checked: "), verdict


def test_readers_check_without_execution_role_is_denied(aws, boto, declared):
    boto.ecs.create_cluster(clusterName="acme-staging")
    boto.ecs.register_task_definition(family="bare", containerDefinitions=[
        {"name": "app", "image": "app:1", "memory": 128,
         "secrets": [{"name": "DB_PASSWORD", "valueFrom": declared["DB_PASSWORD"]}]}])
    boto.ecs.create_service(cluster="acme-staging", serviceName="bare", taskDefinition="bare", desiredCount=1)
    secret = {s.name: s for s in secrets.list_secrets(aws, "acme", "staging")}["DB_PASSWORD"]
    [(service, verdict)] = secrets.readers_check(aws, "acme", "staging", secret)
    assert service == "bare" and verdict.startswith("denied: ")


def test_simulation_verdicts(monkeypatch):
    """The verdict mapping, with the IAM client's answer faked (moto has no policy simulator)."""
    from botocore.exceptions import ClientError

    class Iam:
        def __init__(self, answer):
            self.answer = answer

        def simulate_principal_policy(self, **kwargs):
            if isinstance(self.answer, Exception):
                raise self.answer
            return self.answer

    class FakeAws:
        def __init__(self, answer):
            self.iam = Iam(answer)

        def client(self, service):
            return self.iam

    def verdict(answer):
        return secrets._simulate(FakeAws(answer), "arn:role", "arn:secret")

    assert verdict({"EvaluationResults": [{"EvalDecision": "allowed"}]}) == "allowed"
    assert verdict({"EvaluationResults": [{"EvalDecision": "implicitDeny"}]}) == "denied"
    assert verdict({"EvaluationResults": [{"EvalDecision": "explicitDeny"}]}) == "denied"
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "SimulatePrincipalPolicy")
    assert verdict(denied).startswith("not checked: the caller may not simulate")
    assert verdict(RuntimeError("html page")).startswith("not checked: ")


# --- reading a value ---------------------------------------------------------------------------------------------

def test_read_value_from_a_pipe_strips_one_newline():
    assert secrets.read_value(io.StringIO("s3cr3t\n"), is_tty=False) == "s3cr3t"
    assert secrets.read_value(io.StringIO("s3cr3t"), is_tty=False) == "s3cr3t"
    assert secrets.read_value(io.StringIO("s3cr3t\r\n"), is_tty=False) == "s3cr3t"
    assert secrets.read_value(io.StringIO("line1\nline2\n\n"), is_tty=False) == "line1\nline2\n"
    assert secrets.read_value(io.StringIO("  spaced  \n"), is_tty=False) == "  spaced  "


@pytest.mark.parametrize("text", ["", "\n"])
def test_read_value_empty_pipe_is_refused(text):
    with pytest.raises(UserError, match="no secret value on standard input"):
        secrets.read_value(io.StringIO(text), is_tty=False)


def fake_prompt(*answers):
    asked = []
    pending = list(answers)

    def prompt(text):
        asked.append(text)
        answer = pending.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    prompt.asked = asked
    return prompt


def test_read_value_on_a_terminal_asks_twice():
    prompt = fake_prompt("s3cr3t", "s3cr3t")
    stdin = io.StringIO("not this")
    assert secrets.read_value(stdin, is_tty=True, prompt=prompt, name="DB_PASSWORD") == "s3cr3t"
    assert len(prompt.asked) == 2 and all("DB_PASSWORD" in text for text in prompt.asked)
    assert stdin.read() == "not this"  # the terminal path does not consume stdin


def test_read_value_entries_that_differ_are_refused():
    with pytest.raises(UserError, match="differ") as raised:
        secrets.read_value(io.StringIO(), is_tty=True, prompt=fake_prompt("s3cr3t", "s3cr3T"))
    assert "s3cr3" not in str(raised.value)


def test_read_value_empty_entry_or_eof_on_a_terminal_is_refused():
    prompt = fake_prompt("")
    with pytest.raises(UserError, match="empty"):
        secrets.read_value(io.StringIO(), is_tty=True, prompt=prompt)
    assert len(prompt.asked) == 1  # not asked a second time
    with pytest.raises(UserError, match="no value entered"):
        secrets.read_value(io.StringIO(), is_tty=True, prompt=fake_prompt(EOFError()))


def test_read_value_lets_ctrl_c_through():
    with pytest.raises(KeyboardInterrupt):
        secrets.read_value(io.StringIO(), is_tty=True, prompt=fake_prompt(KeyboardInterrupt()))


# --- the value never leaks ---------------------------------------------------------------------------------------

class Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)

    @property
    def text(self):
        return "\n".join(record.getMessage() for record in self.records)


@pytest.fixture
def debug_logs():
    """Every log record at DEBUG, botocore's included (our own handler: the suite runs with -p no:logging, so
    pytest's caplog is not available)."""
    handler = Records()
    names = ("", "botocore", "botocore.endpoint", "botocore.parsers", "botocore.auth", "urllib3", "boto3")
    loggers = [logging.getLogger(name) for name in names]
    saved = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)
    for logger, level in saved:
        logger.setLevel(level)


def test_the_value_appears_in_no_log_output_or_file(aws, boto, declared, debug_logs, capsys, tmp_path, project_dir):
    # Sanity: at DEBUG botocore does log request parameters, so muting it is what keeps the value out.
    boto.secretsmanager.tag_resource(SecretId=declared["APP_SECRET_KEY"], Tags=[{"Key": "probe", "Value": "P-1"}])
    assert "P-1" in debug_logs.text
    debug_logs.records.clear()

    result = secrets.set_secret(aws, "acme", "staging", "DB_PASSWORD", CANARY)

    assert result.has_value
    assert any(r.name.startswith("botocore") for r in debug_logs.records), "botocore logged the other calls"
    assert CANARY not in debug_logs.text
    assert all(CANARY not in repr(r.args) and CANARY not in str(r.msg) for r in debug_logs.records)
    assert logging.getLogger("botocore.endpoint").disabled is False  # logging restored after the call
    captured = capsys.readouterr()
    assert CANARY not in captured.out and CANARY not in captured.err
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path
    # The value did reach Secrets Manager.
    assert boto.secretsmanager.get_secret_value(SecretId=declared["DB_PASSWORD"])["SecretString"] == CANARY
