"""Deploy an image SHA to an environment's ECS services. The seed's CI deploy (render the SHA into the
Terraform-made task definition, deploy, wait for stability), plus what its users asked for: checks before anything
is registered, a failing result when ECS rolls the deployment back, visible progress, a lock against concurrent
deploys, and nothing ever deregistered. Rollback and promote choose their release in releases.py and deploy it here.

A service "runs" the task definition in its service document (on AWS the same as its PRIMARY deployment's)."""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from bootstrap import ledger
from bootstrap.aws import call
from bootstrap.ecs.images import ecr_reference, image_digest, with_tag
from bootstrap.ecs.rollout import wait
from bootstrap.ecs.services import cluster_name, describe_services
from bootstrap.errors import UserError

# What RegisterTaskDefinition accepts of what DescribeTaskDefinition returns; the rest is ECS's bookkeeping.
REGISTRABLE = ("family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions", "volumes",
               "placementConstraints", "requiresCompatibilities", "cpu", "memory", "pidMode", "ipcMode",
               "proxyConfiguration", "inferenceAccelerators", "ephemeralStorage", "runtimePlatform",
               "enableFaultInjection")


@dataclass
class ServicePlan:
    service: str
    task_definition: dict  # the one the new revision starts from
    images: dict  # container name -> the image it will run
    tags: list = field(default_factory=list)  # the task definition's tags, carried to the new revision
    new_arn: str | None = None


@dataclass
class DeployResult:
    environment: str
    sha: str
    services: list = field(default_factory=list)  # ServicePlan


# ---------------------------------------------------------------- checks, all before anything is registered


def _secret_has_value(aws, value_from):
    """True/False for Secrets Manager references; None for references we cannot check (SSM parameters)."""
    if ":secretsmanager:" not in value_from:
        return None
    arn = ":".join(value_from.split(":")[:7])  # drop a `:json-key:version-stage:version-id` suffix
    secret = call(aws.client("secretsmanager").describe_secret, SecretId=arn, missing=("ResourceNotFoundException",),
                  doing=f"checking secret {arn}")
    if secret is None:
        return False
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
            described = call(ecs.describe_task_definition, taskDefinition=service["taskDefinition"],
                             include=["TAGS"], doing=f"reading the task definition {name} runs")
            definition = described["taskDefinition"]
            wanted = {}
            for container in definition["containerDefinitions"]:
                if not ecr_reference(container["image"]):
                    continue  # a sidecar from a public registry keeps its image
                target = with_tag(container["image"], sha)
                wanted[container["name"]] = target
                checks.append((name, ("image", target), pool.submit(image_digest, aws, target)))
                for secret in container.get("secrets") or []:
                    checks.append((name, ("secret", secret), pool.submit(_secret_has_value, aws,
                                                                         secret["valueFrom"])))
            plans.append(ServicePlan(name, definition, wanted, described.get("tags") or []))
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


# ---------------------------------------------------------------- register, update


def register(aws, plan):
    definition = plan.task_definition
    kwargs = {key: definition[key] for key in REGISTRABLE if definition.get(key) not in (None, [], {})}
    kwargs["containerDefinitions"] = [dict(container, image=plan.images.get(container["name"], container["image"]))
                                      for container in definition["containerDefinitions"]]
    if plan.tags:
        kwargs["tags"] = plan.tags
    plan.new_arn = call(aws.client("ecs").register_task_definition, **kwargs,
                        doing=f"registering a new revision of {definition['family']}",
                        )["taskDefinition"]["taskDefinitionArn"]


def update(aws, config, environment, plan):
    call(aws.client("ecs").update_service, cluster=cluster_name(config.project, environment), service=plan.service,
         taskDefinition=plan.new_arn, doing=f"updating service {plan.service}")


# ---------------------------------------------------------------- the verb


def deploy(aws, config, environment, sha, identity, services=None, timeout=900.0, wait_for_it=True,
           on_step=None, on_progress=None, kind="deploy", verify=None, pre_deploy=None):
    """Check (and `verify(plans)`, if given), lock, `pre_deploy(plans)` (a step before any change, bootstrap.ecs.
    predeploy; what it returns is recorded), register, update, wait, record. Returns the DeployResult.
    `identity` may be a future of it, so the caller can ask STS while the checks run."""
    plans = prepare(aws, config, environment, sha, services)
    if verify:
        verify(plans)
    if hasattr(identity, "result"):
        identity = identity.result()
    with ledger.DeployLock(aws, config.state.bucket, environment, identity.arn):
        pre_deployed = pre_deploy(plans) if pre_deploy else None  # raises to abort with nothing changed
        for plan in plans:
            register(aws, plan)
            if on_step:
                on_step(f"{plan.service}: registered {plan.new_arn.rsplit('/', 1)[-1]} "
                        f"({', '.join(sorted(set(plan.images.values())))})")
        for plan in plans:
            update(aws, config, environment, plan)
        if wait_for_it:
            wait(aws, config, environment, plans, timeout, on_progress)
        entry = {"sha": sha, "at": ledger.now_iso(), "by": identity.arn, "kind": kind,
                 "services": {plan.service: plan.new_arn for plan in plans}, "waited": wait_for_it}
        if pre_deployed:
            entry["pre_deploy"] = pre_deployed  # a rollback across this release warns (bootstrap.ecs.predeploy)
        ledger.record_deploy(aws, config.state.bucket, environment, entry)
    return DeployResult(environment, sha, plans)
