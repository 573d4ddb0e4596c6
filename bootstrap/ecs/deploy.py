"""Deploy an image SHA to an environment's ECS services, roll back by SHA, promote what runs in the source
environment. The seed's CI deploy (render the SHA into the Terraform-made task definition, deploy, wait for
stability), plus what its users asked for: checks before anything is registered, a failing result when ECS rolls
the deployment back, visible progress, a lock against concurrent deploys, and nothing ever deregistered.

A service "runs" the task definition in its service document (on AWS the same as its PRIMARY deployment's)."""

import datetime
import json
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from bootstrap.aws import call, error_code, failed
from bootstrap.errors import OperationFailed, UserError
from bootstrap.ecs.images import ecr_reference, with_tag
from bootstrap.lifecycle.status import cluster_name, describe_services

LOCK_PREFIX = "ecsenv/deploy-locks"
HISTORY_PREFIX = "ecsenv/deployed"
# What RegisterTaskDefinition accepts of what DescribeTaskDefinition returns; the rest is ECS's bookkeeping.
REGISTRABLE = ("family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions", "volumes",
               "placementConstraints", "requiresCompatibilities", "cpu", "memory", "pidMode", "ipcMode",
               "proxyConfiguration", "inferenceAccelerators", "ephemeralStorage", "runtimePlatform",
               "enableFaultInjection")


@dataclass
class ServicePlan:
    service: str
    task_definition: dict  # the one the service runs now
    images: dict  # container name -> the image it will run
    previous_images: dict  # container name -> the image it runs now
    new_arn: str | None = None


@dataclass
class DeployResult:
    environment: str
    sha: str
    services: list = field(default_factory=list)  # ServicePlan


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


# ---------------------------------------------------------------- the lock


class DeployLock:
    """One deploy per environment at a time: a conditional write (If-None-Match) of a lock object in the state
    bucket, released on every exit path."""

    def __init__(self, aws, bucket, environment, owner):
        self.s3, self.bucket, self.environment, self.owner = aws.client("s3"), bucket, environment, owner
        self.key = f"{LOCK_PREFIX}/{environment}.json"

    def __enter__(self):
        body = json.dumps({"owner": self.owner, "host": socket.gethostname(), "pid": os.getpid(),
                           "started": now_iso()})
        try:
            call(self.s3.put_object, Bucket=self.bucket, Key=self.key, Body=body.encode(), IfNoneMatch="*")
        except Exception as exc:  # noqa: BLE001
            if error_code(exc) in ("PreconditionFailed", "ConditionalRequestConflict", "412"):
                raise OperationFailed(self._held_message()) from None
            raise failed(f"taking the deploy lock of {self.environment}", exc) from None
        return self

    def _held_message(self):
        try:
            held = json.loads(call(self.s3.get_object, Bucket=self.bucket, Key=self.key)["Body"].read())
            started = datetime.datetime.fromisoformat(held["started"])
            age = int((datetime.datetime.now(datetime.timezone.utc) - started).total_seconds())
            who = f"{held['owner']} on {held['host']} (pid {held['pid']}), {age}s ago"
        except Exception:  # noqa: BLE001 - the lock may have just been released; say what we can
            who = "another run"
        return (f"a deploy to {self.environment} is already running: started by {who}. Wait for it; if it died, "
                f"remove s3://{self.bucket}/{self.key} and retry")

    def __exit__(self, *exc_info):
        try:
            call(self.s3.delete_object, Bucket=self.bucket, Key=self.key)
        except Exception:  # noqa: BLE001 - never hide the deploy's own outcome behind a release problem
            pass
        return False


# ---------------------------------------------------------------- checks, all before anything is registered


def image_digest(aws, image):
    """The digest of an ECR image reference, or None when no such image exists."""
    account, region, repository, tag = ecr_reference(image)
    ecr = aws.client("ecr", region)
    try:
        details = call(ecr.describe_images, registryId=account, repositoryName=repository,
                       imageIds=[{"imageTag": tag}])["imageDetails"]
    except Exception as exc:  # noqa: BLE001
        if error_code(exc) in ("ImageNotFoundException", "RepositoryNotFoundException"):
            return None
        raise failed(f"looking up image {image}", exc) from None
    return details[0]["imageDigest"] if details else None


def _secret_has_value(aws, value_from):
    """True/False for Secrets Manager references; None for references we cannot check (SSM parameters)."""
    if ":secretsmanager:" not in value_from:
        return None
    arn = ":".join(value_from.split(":")[:7])  # drop a `:json-key:version-stage:version-id` suffix
    try:
        secret = call(aws.client("secretsmanager").describe_secret, SecretId=arn)
    except Exception as exc:  # noqa: BLE001
        if error_code(exc) == "ResourceNotFoundException":
            return False
        raise failed(f"checking secret {arn}", exc) from None
    return any("AWSCURRENT" in stages for stages in (secret.get("VersionIdsToStages") or {}).values())


def environment_services(aws, config, environment, only=None):
    """{name: service document} of the environment's cluster, in name order (or the ones asked for)."""
    cluster = cluster_name(config.project, environment)
    services = {service["serviceName"]: service for service in describe_services(aws, cluster)}
    if only:
        unknown = [name for name in only if name not in services]
        if unknown:
            raise UserError(f"no service {', '.join(unknown)} in {cluster} (it has: {', '.join(sorted(services))})")
        return {name: services[name] for name in only}
    if not services:
        raise UserError(f"{environment} has no ECS services (cluster {cluster}): apply it first with "
                        f"`ecsenv apply {environment}`")
    return dict(sorted(services.items()))


def prepare(aws, config, environment, sha, only=None):
    """ServicePlans for a deploy of `sha`, after checking that every image exists and every secret the task
    definitions reference has a value. Raises before anything changes."""
    ecs = aws.client("ecs")
    plans, checks = [], []  # checks: (service, what, future) run side by side, each an AWS read
    with ThreadPoolExecutor(max_workers=8) as pool:
        for name, service in environment_services(aws, config, environment, only).items():
            try:
                described = call(ecs.describe_task_definition, taskDefinition=service["taskDefinition"],
                                 include=["TAGS"])
            except Exception as exc:  # noqa: BLE001
                raise failed(f"reading the task definition {name} runs", exc) from None
            definition = described["taskDefinition"]
            definition["_tags"] = described.get("tags") or []
            previous, wanted = {}, {}
            for container in definition["containerDefinitions"]:
                previous[container["name"]] = container["image"]
                if not ecr_reference(container["image"]):
                    continue  # a sidecar from a public registry keeps its image
                target = with_tag(container["image"], sha)
                wanted[container["name"]] = target
                checks.append((name, ("image", target), pool.submit(image_digest, aws, target)))
                for secret in container.get("secrets") or []:
                    checks.append((name, ("secret", secret), pool.submit(_secret_has_value, aws,
                                                                         secret["valueFrom"])))
            plans.append(ServicePlan(name, definition, wanted, previous))
        problems = [f"{plan.service}: no container image in ECR to deploy" for plan in plans if not plan.images]
        for name, (kind, subject), future in checks:
            if kind == "image" and future.result() is None:
                problems.append(f"{name}: image {subject} does not exist (push it first)")
            if kind == "secret" and future.result() is False:
                problems.append(f"{name}: secret {subject['name']} ({subject['valueFrom']}) has no value "
                                f"(set it with `ecsenv secret set {environment} {subject['name']}`)")
    if problems:
        raise UserError("nothing was deployed: " + "; ".join(problems))
    return plans


# ---------------------------------------------------------------- register, update, wait


def register(aws, plan):
    definition = plan.task_definition
    kwargs = {key: definition[key] for key in REGISTRABLE if definition.get(key) not in (None, [], {})}
    kwargs["containerDefinitions"] = [dict(container, image=plan.images.get(container["name"], container["image"]))
                                      for container in definition["containerDefinitions"]]
    if definition.get("_tags"):
        kwargs["tags"] = definition["_tags"]
    ecs = aws.client("ecs")
    try:
        plan.new_arn = call(ecs.register_task_definition, **kwargs)["taskDefinition"]["taskDefinitionArn"]
    except Exception as exc:  # noqa: BLE001
        raise failed(f"registering a new revision of {definition['family']}", exc) from None


def update(aws, config, environment, plan):
    try:
        call(aws.client("ecs").update_service, cluster=cluster_name(config.project, environment), service=plan.service,
             taskDefinition=plan.new_arn)
    except Exception as exc:  # noqa: BLE001
        raise failed(f"updating service {plan.service}", exc) from None


@dataclass
class Progress:
    service: str
    rollout: str | None
    running: int
    desired: int
    events: list  # new service event messages since the last report


def wait(aws, config, environment, plans, timeout, on_progress=None, poll_seconds=None):
    """Until every service runs its new revision with rollout COMPLETED and all tasks running. A rollback by the
    circuit breaker (the service went back to another revision), a FAILED rollout or the timeout raise
    OperationFailed with ECS's reason and the last service events."""
    ecs = aws.client("ecs")
    cluster = cluster_name(config.project, environment)
    poll = poll_seconds if poll_seconds is not None else float(os.environ.get("ECSENV_POLL_SECONDS", "5"))
    deadline = time.monotonic() + timeout
    pending = {plan.service: plan for plan in plans}
    seen_events = {plan.service: None for plan in plans}
    last = {}
    while True:
        try:
            answer = call(ecs.describe_services, cluster=cluster, services=list(pending))
        except Exception as exc:  # noqa: BLE001
            raise failed(f"following the rollout in {cluster}", exc) from None
        gone = [failure.get("arn", "?") for failure in answer.get("failures", [])]
        if gone:
            raise OperationFailed(f"{', '.join(gone)}: the service disappeared during the rollout")
        described = answer["services"]
        for service in described:
            name = service["serviceName"]
            plan = pending[name]
            primary = next((d for d in service.get("deployments", []) if d.get("status") == "PRIMARY"), {})
            rollout = primary.get("rolloutState")
            running, desired = service.get("runningCount", 0), service.get("desiredCount", 0)
            events = _new_events(service, seen_events, name)
            if on_progress and (events or last.get(name) != (rollout, running, desired)):
                on_progress(Progress(name, rollout, running, desired, events))
            last[name] = (rollout, running, desired)
            if service["taskDefinition"] != plan.new_arn:
                raise OperationFailed(_failure(name, "ECS rolled the deployment back to "
                                               f"{service['taskDefinition'].rsplit('/', 1)[-1]}", primary, service))
            if rollout == "FAILED":
                raise OperationFailed(_failure(name, "the rollout FAILED", primary, service))
            if rollout in ("COMPLETED", None) and running >= desired:
                del pending[name]
        if not pending:
            return
        if time.monotonic() >= deadline:
            name = next(iter(pending))
            service = next((s for s in described if s["serviceName"] == name), {})
            primary = next((d for d in service.get("deployments", []) if d.get("status") == "PRIMARY"), {})
            raise OperationFailed(_failure(name, f"timed out after {timeout:g}s waiting for the rollout",
                                           primary, service))
        time.sleep(poll)


def _new_events(service, seen, name):
    events = service.get("events") or []  # newest first
    if seen[name] is None:
        seen[name] = events[0]["id"] if events else ""
        return []
    fresh = []
    for event in events:
        if event["id"] == seen[name]:
            break
        fresh.append(event["message"])
    if events:
        seen[name] = events[0]["id"]
    return list(reversed(fresh))


def _failure(name, what, primary, service):
    reason = primary.get("rolloutStateReason")
    events = [event["message"] for event in (service.get("events") or [])[:5]]
    return (f"{name}: {what}" + (f" ({reason})" if reason else "") +
            (". Last service events: " + " | ".join(events) if events else ""))


# ---------------------------------------------------------------- history (for rollback and status)


def read_history(aws, bucket, environment):
    """[{"sha", "at"}...] oldest first. Each deploy is one object whose key carries its time and SHA, so recording
    is a single write (no read-modify-write) and reading the history needs no object bodies."""
    s3 = aws.client("s3")
    prefix = f"{HISTORY_PREFIX}/{environment}/"
    keys = []
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys += [entry["Key"] for entry in page.get("Contents", [])]
    except Exception as exc:  # noqa: BLE001
        raise failed(f"reading the deploy history of {environment}", exc) from None
    history = []
    for key in sorted(keys):
        at, _, sha = key[len(prefix):].removesuffix(".json").partition("-")
        history.append({"at": at, "sha": sha})
    return history


def record_deploy(aws, bucket, environment, entry):
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    key = f"{HISTORY_PREFIX}/{environment}/{stamp}-{entry['sha']}.json"
    try:
        call(aws.client("s3").put_object, Bucket=bucket, Key=key, Body=json.dumps(entry, indent=2).encode(),
             ContentType="application/json")
    except Exception as exc:  # noqa: BLE001
        raise failed(f"recording the deploy of {entry['sha'][:12]} to {environment}", exc) from None


def previous_sha(history):
    """The SHA deployed before the current one (None when there is none)."""
    if not history:
        return None
    current = history[-1]["sha"]
    for entry in reversed(history[:-1]):
        if entry["sha"] != current:
            return entry["sha"]
    return None


# ---------------------------------------------------------------- the verbs


def deploy(aws, config, environment, sha, identity, services=None, timeout=900.0, wait_for_it=True,
           on_step=None, on_progress=None, kind="deploy", verify=None):
    """Check (and `verify(plans)`, if given), lock, register, update, wait, record. Returns the DeployResult.
    `identity` may be a future of it, so the caller can ask STS while the checks run."""
    plans = prepare(aws, config, environment, sha, services)
    if verify:
        verify(plans)
    if hasattr(identity, "result"):
        identity = identity.result()
    with DeployLock(aws, config.state.bucket, environment, identity.arn):
        for plan in plans:
            register(aws, plan)
            if on_step:
                on_step(f"{plan.service}: registered {plan.new_arn.rsplit('/', 1)[-1]} "
                        f"({', '.join(sorted(set(plan.images.values())))})")
        for plan in plans:
            update(aws, config, environment, plan)
        if wait_for_it:
            wait(aws, config, environment, plans, timeout, on_progress)
        record_deploy(aws, config.state.bucket, environment,
                      {"sha": sha, "at": now_iso(), "by": identity.arn, "kind": kind,
                       "services": {plan.service: plan.new_arn for plan in plans}, "waited": wait_for_it})
    return DeployResult(environment, sha, plans)


def rollback_target(aws, config, environment, to=None):
    if to:
        return to
    target = previous_sha(read_history(aws, config.state.bucket, environment))
    if target is None:
        raise UserError(f"no earlier deploy of {environment} is recorded: name the commit with --to SHA")
    return target


def promotion_images(aws, config, environment):
    """(sha, {service: image}) running healthy in the environment `environment` promotes from; digests must match
    what will be deployed. Raises when the source is not healthy or runs more than one commit."""
    source = config.environments[environment].promotes_from
    if not source:
        raise UserError(f"{environment} does not promote from another environment (set promotes_from in "
                        "ecsenv.yaml)")
    ecs = aws.client("ecs")
    images, shas = {}, set()  # images: {service: {container: image}}
    for name, service in environment_services(aws, config, source).items():
        primary = next((d for d in service.get("deployments", []) if d.get("status") == "PRIMARY"), {})
        if primary.get("rolloutState") not in ("COMPLETED", None) or \
                service.get("runningCount", 0) < service.get("desiredCount", 0):
            raise UserError(f"{source} is not healthy: {name} rollout {primary.get('rolloutState')}, "
                            f"{service.get('runningCount', 0)}/{service.get('desiredCount', 0)} running. "
                            "Promote once it has completed")
        try:
            definition = call(ecs.describe_task_definition,
                              taskDefinition=service["taskDefinition"])["taskDefinition"]
        except Exception as exc:  # noqa: BLE001
            raise failed(f"reading the task definition {source}'s {name} runs", exc) from None
        for container in definition["containerDefinitions"]:
            reference = ecr_reference(container["image"])
            if reference:
                if reference[3] is None:
                    raise UserError(f"{source}'s {name} runs an image pinned by digest ({container['image']}), "
                                    "which names no commit: deploy a commit to it first")
                images.setdefault(name, {})[container["name"]] = container["image"]
                shas.add(reference[3])
    if len(shas) != 1:
        raise UserError(f"{source} runs {len(shas)} different commits ({', '.join(sorted(shas)) or 'none'}): "
                        "deploy one commit to all its services first")
    return shas.pop(), images, source


def same_digests_as(aws, source_images):
    """A verify hook for deploy(): every image to deploy must be the very image the source runs in the same
    container (same digest, not only the same tag, so a re-pushed tag or another registry cannot slip in)."""
    def verify(plans):
        for plan in plans:
            source = source_images.get(plan.service)
            if source is None:
                raise UserError(f"{plan.service} does not run in the source environment: nothing to promote")
            for container, image in plan.images.items():
                if container not in source:
                    raise UserError(f"{plan.service}: container {container} does not run in the source environment")
                if image_digest(aws, image) != image_digest(aws, source[container]):
                    raise UserError(f"{plan.service}: {image} is not the image the source runs "
                                    f"({source[container]}): their digests differ")
    return verify
