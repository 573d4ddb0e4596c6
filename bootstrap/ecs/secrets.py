"""Secrets Manager: the secrets an environment declares, whether each has a value, and setting a value safely.

The stack (modules/core-services) declares each secret WITHOUT a value, named `<project>/<environment>/<NAME>` and
tagged `ecsenv:project`, `ecsenv:environment` and `ecsenv:secret` = NAME. This module finds them by those tags,
sets a value as the new AWSCURRENT version, tells which ECS services of the environment (cluster
`<project>-<environment>`) inject the secret and whether their execution role may read it, and forces those services
to redeploy so that new tasks pick the new value up (ECS reads secrets only when a task starts).

Secret values: listing never reads one (no GetSecretValue, ever, in this module). The value handed to `set_secret` is
sent in one PutSecretValue call and nowhere else: it is never logged (botocore logs request parameters at DEBUG, so
its loggers are muted for that one call), never put in an exception or message, never written to a file.
"""

import getpass
import logging
from contextlib import contextmanager
from dataclasses import dataclass

from bootstrap.aws import call, error_code, pages
from bootstrap.ecs.services import cluster_name, describe_services, refuse_undeployable
from bootstrap.errors import OperationFailed, UserError

TAG_PROJECT, TAG_ENVIRONMENT, TAG_SECRET = "ecsenv:project", "ecsenv:environment", "ecsenv:secret"
# Secrets Manager's limit on SecretString (https://docs.aws.amazon.com/secretsmanager/latest/apireference/
# API_PutSecretValue.html): 65,536 bytes, of UTF-8 text. ecsenv stores text only: a binary value is refused (base64
# it first), so what ECS injects as an environment variable is what was set.
MAX_VALUE_BYTES = 65536
ALLOWED, DENIED, NOT_CHECKED = "allowed", "denied", "not checked"
# Loggers that may log request parameters (botocore.endpoint logs the whole request dict at DEBUG).
_CHATTY_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer")


@dataclass(frozen=True)
class DeclaredSecret:
    name: str                 # NAME (the ecsenv:secret tag)
    secret_id: str            # full name <project>/<env>/<NAME>
    arn: str
    has_value: bool           # an AWSCURRENT version exists
    last_changed: str | None  # ISO time of the last change (LastChangedDate) once a value exists; None if never set


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else (str(value) if value else None)


def _entry(secret, name):
    """A DeclaredSecret from a ListSecrets entry or a DescribeSecret answer (which name the stages differently)."""
    stages = secret.get("SecretVersionsToStages") or secret.get("VersionIdsToStages") or {}
    has_value = any("AWSCURRENT" in labels for labels in stages.values())
    # LastChangedDate is also set when the secret is created (and by tag/description changes), so it only says
    # something about the value once a value exists.
    return DeclaredSecret(name=name, secret_id=secret["Name"], arn=secret["ARN"], has_value=has_value,
                          last_changed=_iso(secret.get("LastChangedDate")) if has_value else None)


def list_secrets(aws, project, environment):
    """The secrets declared for the environment, sorted by NAME. Reads metadata only, never a value."""
    sm = aws.client("secretsmanager")
    # Server-side: secrets carrying the project tag (ListSecrets filters are prefix matches on any tag, and several
    # values of one filter are ORed), then the exact tags are checked here.
    filters = [{"Key": "tag-key", "Values": [TAG_PROJECT]}, {"Key": "tag-value", "Values": [project]}]
    found = pages(sm, "list_secrets", "SecretList", f"listing the secrets of {project} {environment}",
                  Filters=filters)
    secrets = {}
    for secret in found:
        tags = {tag["Key"]: tag["Value"] for tag in secret.get("Tags", [])}
        if tags.get(TAG_PROJECT) != project or tags.get(TAG_ENVIRONMENT) != environment:
            continue
        if not tags.get(TAG_SECRET) or secret.get("DeletedDate"):
            continue
        secrets[tags[TAG_SECRET]] = _entry(secret, tags[TAG_SECRET])
    return [secrets[name] for name in sorted(secrets)]


def _declared_names(secrets):
    return ", ".join(secret.name for secret in secrets) or "none (add it to the environment's secret_names and apply)"


def find_secret(aws, project, environment, name):
    """The declared secret NAME, or a UserError listing the declared ones."""
    secrets = list_secrets(aws, project, environment)
    for secret in secrets:
        if secret.name == name:
            return secret
    raise UserError(f"no secret {name!r} is declared for {project} {environment}; declared: {_declared_names(secrets)}")


def _check_value(value):
    """Empty, not text or too long: UserError (the message never quotes the value)."""
    if not isinstance(value, str):
        raise UserError("the secret value must be text")
    if "\0" in value:
        raise UserError("the secret value contains a NUL byte, so it is binary, not text: ecsenv stores text "
                        "(SecretString); base64-encode a binary value first. Nothing was set")
    if value == "":
        raise UserError("the secret value is empty; nothing was set")
    if len(value.encode("utf-8")) > MAX_VALUE_BYTES:
        raise UserError(f"the secret value is longer than Secrets Manager's {MAX_VALUE_BYTES} bytes; nothing was set")


@contextmanager
def _quiet_aws_logging():
    """Mute botocore & co. for the one call that carries a value: at DEBUG they log request parameters."""
    manager = logging.root.manager
    saved = []
    for name, logger in list(manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and name.split(".")[0] in _CHATTY_LOGGERS:
            saved.append((logger, logger.disabled, None))
            logger.disabled = True
    for name in _CHATTY_LOGGERS:  # loggers created during the call inherit the parent's level
        parent = logging.getLogger(name)
        saved.append((parent, parent.disabled, parent.level))
        parent.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, disabled, level in reversed(saved):
            logger.disabled = disabled
            if level is not None:
                logger.setLevel(level)


def set_secret(aws, project, environment, name, value):
    """Store `value` as the new AWSCURRENT version of the declared secret NAME; the refreshed DeclaredSecret."""
    _check_value(value)  # before any AWS call: bad input makes none
    secret = find_secret(aws, project, environment, name)
    sm = aws.client("secretsmanager")
    problem = None
    with _quiet_aws_logging():
        try:
            # botocore fills ClientRequestToken itself, so a retried request cannot create a second version.
            call(sm.put_secret_value, SecretId=secret.arn, SecretString=value)
        except (UserError, OperationFailed) as exc:
            problem = exc  # credential/connection problems: aws.call's messages never include parameters
        except Exception as exc:  # noqa: BLE001 - the one call that carries a value: no `doing=`, see below
            # Build the message from the error code and AWS's message only; parameter validation errors (which
            # may quote a parameter) are reduced to their type.
            code = error_code(exc)
            message = getattr(exc, "response", {}).get("Error", {}).get("Message", "") if code else ""
            problem = OperationFailed(f"setting the value of {secret.secret_id}: "
                                      + (f"{code}: {message}" if code else type(exc).__name__))
    if problem is not None:
        raise problem from None
    described = call(sm.describe_secret, SecretId=secret.arn,
                     doing=f"the value of {secret.secret_id} was set, but reading its metadata back")
    return _entry(described, secret.name)


# --- Who reads the secret ---------------------------------------------------------------------------------------

def _references(value_from, arn):
    """Whether a container's `valueFrom` names the secret: its full ARN, or its ARN without the random six-character
    suffix, optionally followed by `:json-key:version-stage:version-id`. Secret names cannot contain ':'."""
    candidates = {arn}
    base, _, suffix = arn.rpartition("-")
    if len(suffix) == 6 and base.count(":") >= 6:
        candidates.add(base)
    return any(value_from == candidate or value_from.startswith(candidate + ":") for candidate in candidates)


def _readers(aws, project, environment, secret, cluster=None):
    """[(service name, task definition)] of the services whose task definition injects the secret."""
    ecs = aws.client("ecs")
    cache = {}

    def task_definition(arn):
        if arn not in cache:
            cache[arn] = call(ecs.describe_task_definition, taskDefinition=arn,
                              doing=f"reading task definition {arn}")["taskDefinition"]
        return cache[arn]

    readers = []
    for service in describe_services(aws, cluster or cluster_name(project, environment)) or []:
        # The service's task definition, and those of deployments still rolling (they may be the ones running).
        arns = [service.get("taskDefinition")] + [d.get("taskDefinition") for d in service.get("deployments", [])]
        for arn in dict.fromkeys(a for a in arns if a):
            definition = task_definition(arn)
            if any(_references(entry.get("valueFrom", ""), secret.arn)
                   for container in definition.get("containerDefinitions", [])
                   for entry in container.get("secrets", [])):
                readers.append((service["serviceName"], definition))
                break
    return sorted(readers, key=lambda reader: reader[0])


def _simulate(aws, role_arn, secret_arn):
    """"allowed", "denied" or "not checked: why" for GetSecretValue by the role on the secret."""
    iam = aws.client("iam")
    try:
        answer = call(iam.simulate_principal_policy, PolicySourceArn=role_arn,
                      ActionNames=["secretsmanager:GetSecretValue"], ResourceArns=[secret_arn])
    except (UserError, OperationFailed) as exc:
        return f"{NOT_CHECKED}: {exc}"
    except Exception as exc:  # noqa: BLE001 - every answer is a verdict here, not an error
        code = error_code(exc)
        if code in ("AccessDenied", "AccessDeniedException"):
            return f"{NOT_CHECKED}: the caller may not simulate IAM policies (iam:SimulatePrincipalPolicy)"
        if code == "NoSuchEntity":
            return f"{NOT_CHECKED}: execution role {role_arn} does not exist"
        if code:
            return f"{NOT_CHECKED}: the IAM policy simulator answered {code}"
        # The local emulator does not implement the simulator: it answers 500 with an HTML page.
        return f"{NOT_CHECKED}: the IAM policy simulator is not available at this endpoint"
    results = answer.get("EvaluationResults", [])
    if not results:
        return f"{NOT_CHECKED}: the IAM policy simulator returned no result"
    return ALLOWED if all(result.get("EvalDecision") == "allowed" for result in results) else DENIED


def readers_check(aws, project, environment, secret, cluster=None):
    """[(service, "allowed" | "denied" | "not checked: why")]: may each service's execution role read the secret?

    Only identity policies are simulated: a key policy of a customer-managed KMS key, or a resource policy on the
    secret, can still deny the read at run time."""
    verdicts, by_role = [], {}
    for service, definition in _readers(aws, project, environment, secret, cluster):
        role = definition.get("executionRoleArn")
        if not role:
            verdicts.append((service, f"{DENIED}: the task definition has no execution role to read secrets with"))
            continue
        if role not in by_role:
            by_role[role] = _simulate(aws, role, secret.arn)
        verdicts.append((service, by_role[role]))
    return verdicts


def refuse_unredeployable(aws, project, environment, name, cluster=None):
    """Before a value is set with --redeploy: UserError naming the services using secret NAME that ecsenv cannot
    redeploy (a CODE_DEPLOY or EXTERNAL controller, a non-ROLLING strategy; services.undeployable_reason)."""
    secret = find_secret(aws, project, environment, name)
    cluster = cluster or cluster_name(project, environment)
    documents = {service["serviceName"]: service for service in describe_services(aws, cluster) or []}
    refuse_undeployable([documents[service] for service, _ in _readers(aws, project, environment, secret, cluster)
                         if service in documents])


def redeploy(aws, project, environment, services, cluster=None):
    """Force a new deployment of each service, so that new tasks read the secret's new value."""
    ecs = aws.client("ecs")
    cluster = cluster or cluster_name(project, environment)
    for service in services:
        call(ecs.update_service, cluster=cluster, service=service, forceNewDeployment=True,
             doing=f"redeploying service {service} of cluster {cluster}")


# --- Reading a value --------------------------------------------------------------------------------------------

def _read_piped(stdin):
    """All of a piped stdin as text: bytes decoded as UTF-8 here (not by the locale), reading no more than one
    value's worth plus its newline, so a huge or binary stream is refused without a traceback or a copy in memory."""
    source = getattr(stdin, "buffer", stdin)
    data = source.read(MAX_VALUE_BYTES + 3)  # + "\r\n" and one byte to tell "too long"
    if isinstance(data, str):
        return data
    if len(data) > MAX_VALUE_BYTES + 2:  # longer even without a trailing "\r\n" (_check_value checks exactly)
        raise UserError(f"the secret value is longer than Secrets Manager's {MAX_VALUE_BYTES} bytes; nothing was set")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError("the secret value is not UTF-8 text (binary data?): ecsenv stores text (SecretString); "
                        "base64-encode a binary value first. Nothing was set") from None


def read_value(stdin, is_tty, prompt=getpass.getpass, name=None):
    """The secret value, never from argv: on a terminal a hidden prompt, twice (the entries must match); otherwise
    all of stdin, minus ONE trailing newline. Empty -> UserError."""
    label = f"Value for {name}" if name else "Secret value"
    if is_tty:
        try:
            first = prompt(f"{label}: ")
            if first == "":
                raise UserError("the secret value is empty; nothing was set")
            second = prompt(f"{label} (again): ")
        except EOFError:
            raise UserError("no value entered; nothing was set") from None
        if first != second:
            raise UserError("the two entries differ; nothing was set")
        value = first
    else:
        value = _read_piped(stdin)
        if value.endswith("\r\n"):
            value = value[:-2]
        elif value.endswith("\n"):
            value = value[:-1]
        if value == "":
            raise UserError("no secret value on standard input (pipe it in, e.g. `ecsenv secret set ENV NAME < file`);"
                            " nothing was set")
    _check_value(value)
    return value
