"""Deploy an image SHA to an environment's ECS services. The seed's CI deploy (render the SHA into the
Terraform-made task definition, deploy, wait for stability), plus what its users asked for: checks before anything
is registered, a failing result when ECS rolls the deployment back, visible progress, a lock against concurrent
deploys, a record of every attempt, and nothing ever deregistered. Rollback and promote choose their release in
releases.py and deploy it here.

A new revision starts from the newest ACTIVE revision of the service's task-definition family (DescribeTaskDefinition
with the family name: what Terraform registered last), not from the revision the service runs, so a variable or
secret added in Terraform reaches the service with the next deploy. Only the app containers (images.AppImages) take
the commit's image; sidecars keep theirs, untouched and unchecked."""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from bootstrap.aws import call
from bootstrap.ecs.images import AppImages, image_digest, with_tag
from bootstrap.ecs.outputs import environment_cluster
from bootstrap.ecs.rollout import RolloutFailed, Tracked, wait
from bootstrap.ecs.services import describe_named, describe_services, family_of, refuse_undeployable
from bootstrap.errors import EcsenvError, Interrupted, OperationFailed, UserError
from bootstrap.ledger.history import FAILED, INTERRUPTED, SUCCEEDED, UPDATED, end_attempt, read_history, start_attempt
from bootstrap.ledger.lock import DeployLock

# What RegisterTaskDefinition accepts of what DescribeTaskDefinition returns; the rest is ECS's bookkeeping.
REGISTRABLE = ("family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions", "volumes",
               "placementConstraints", "requiresCompatibilities", "cpu", "memory", "pidMode", "ipcMode",
               "proxyConfiguration", "inferenceAccelerators", "ephemeralStorage", "runtimePlatform",
               "enableFaultInjection")
# The stack (modules/container-generic) creates each service with 0 tasks and records here how many its first
# deploy starts.
DESIRED_COUNT_TAG = "ecsenv:desired-count"


@dataclass
class ServicePlan:
    service: str
    document: dict  # the service as DescribeServices showed it before the deploy
    task_definition: dict  # the revision the new one starts from
    images: dict  # app container name -> the image it will run
    tags: list = field(default_factory=list)  # the task definition's tags, carried to the new revision
    start_count: int | None = None  # the desired count a first deploy sets (the service is at 0)
    new_arn: str | None = None
    tracked: Tracked | None = None

    @property
    def base(self):
        return self.task_definition["taskDefinitionArn"].rsplit("/", 1)[-1]


@dataclass
class DeployResult:
    environment: str
    sha: str
    services: list = field(default_factory=list)  # ServicePlan
    warnings: list = field(default_factory=list)
    attempt: str | None = None


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
    """{name: service document} of the environment's cluster, in name order (or the ones asked for: described by
    name, without listing the cluster first)."""
    cluster = environment_cluster(aws, config, environment)
    where = f"region {aws.region}" + (f", account {aws.account_id}" if getattr(aws, "account_id", None) else "")
    no_cluster = UserError(f"there is no ECS cluster {cluster} in {where}: apply {environment} first with "
                           f"`ecsenv apply {environment}` (or check its region and account_id in ecsenv.yaml)")
    if only:
        named = describe_named(aws, cluster, only)
        if named is None:
            raise no_cluster
        found, unknown = named
        if unknown:
            listed = describe_services(aws, cluster) or []  # only to say what there is
            raise UserError(f"no service {', '.join(unknown)} in {cluster} (it has: "
                            f"{', '.join(sorted(service['serviceName'] for service in listed)) or 'none'})")
        services = {service["serviceName"]: service for service in found}
        return {name: services[name] for name in only}
    found = describe_services(aws, cluster)
    if found is None:
        raise no_cluster
    services = {service["serviceName"]: service for service in found}
    if not services:
        raise UserError(f"{environment} has no ECS services (cluster {cluster}, {where}): apply it first with "
                        f"`ecsenv apply {environment}`")
    return dict(sorted(services.items()))


def _base_revision(ecs, name, service):
    """(task definition, tags) a new revision starts from: the newest ACTIVE revision of the family the service
    runs (a family name alone resolves to it, per DescribeTaskDefinition), or the running revision when the family
    has no ACTIVE revision left."""
    family = family_of(service["taskDefinition"])
    described = call(ecs.describe_task_definition, taskDefinition=family, include=["TAGS"],
                     missing=("ClientException",), doing=f"reading the newest revision of {family} ({name})")
    if described is None:
        described = call(ecs.describe_task_definition, taskDefinition=service["taskDefinition"], include=["TAGS"],
                         doing=f"reading the task definition {name} runs")
    return described["taskDefinition"], described.get("tags") or []


def prepare(aws, config, environment, sha, only=None):
    """ServicePlans for a deploy of `sha`, after checking that every service can be deployed by ecsenv, every app
    image exists and every secret the task definitions reference has a value. Raises before anything changes."""
    ecs = aws.client("ecs")
    app = AppImages.of(config)
    services = environment_services(aws, config, environment, only)
    refuse_undeployable(services.values())
    plans, checks = [], []  # checks: (service, container, what, subject, future), each an AWS read
    for service in ("ecr", "secretsmanager"):  # built before the checks are sent, so that they go out together
        aws.client(service)
    with ThreadPoolExecutor(max_workers=8) as pool:
        bases = {name: pool.submit(_base_revision, ecs, name, service) for name, service in services.items()}
        for name, service in services.items():
            definition, tags = bases[name].result()
            wanted = {}
            for container in definition["containerDefinitions"]:
                if app.owns_container(container):
                    target = with_tag(container["image"], sha)
                    wanted[container["name"]] = target
                    checks.append((name, container["name"], "image", target,
                                   pool.submit(image_digest, aws, target)))
                for secret in container.get("secrets") or []:
                    checks.append((name, container["name"], "secret", secret,
                                   pool.submit(_secret_has_value, aws, secret["valueFrom"])))
            plans.append(ServicePlan(name, service, definition, wanted, tags))
        problems = [f"{plan.service}: no container runs an app image ({app.describe()}); its containers: "
                    + ", ".join(f"{c['name']} ({c['image']})" for c in plan.task_definition["containerDefinitions"])
                    for plan in plans if not plan.images]
        for name, container, kind, subject, future in checks:
            if kind == "image" and future.result() is None:
                problems.append(f"{name}: container {container}: image {subject} does not exist (push it first; if "
                                f"{container} is a sidecar whose image deploys must keep, set app_repositories in "
                                "ecsenv.yaml)")
            if kind == "secret" and future.result() is False:
                problems.append(f"{name}: container {container}: secret {subject['name']} ({subject['valueFrom']}) "
                                f"has no value (set it with `ecsenv secret set {environment} {subject['name']}`)")
    if problems:
        raise UserError("nothing was deployed: " + "; ".join(problems))
    return plans


def _start_counts(aws, plans, history):
    """A service at desired count 0 that no deploy has run yet (the stack creates services with 0 tasks) starts the
    count its `ecsenv:desired-count` tag records. A service scaled to 0 after a deploy stays at 0 (a warning)."""
    if all(plan.document.get("desiredCount", 0) != 0 for plan in plans):
        return []
    deployed = set()
    for attempt in history.load_all():
        if attempt.outcome == SUCCEEDED:
            deployed.update(attempt.services or ([] if not attempt.legacy else [plan.service for plan in plans]))
    warnings = []
    for plan in plans:
        if plan.document.get("desiredCount", 0) != 0:
            continue
        try:
            tags = call(aws.client("ecs").list_tags_for_resource, resourceArn=plan.document["serviceArn"],
                        doing=f"reading the tags of service {plan.service}").get("tags") or []
        except OperationFailed as exc:  # e.g. no ecs:ListTagsForResource on services: say so, deploy anyway
            warnings.append(f"{exc}; so the count in its {DESIRED_COUNT_TAG} tag is unknown")
            tags = []
        recorded = next((tag.get("value") for tag in tags if tag.get("key") == DESIRED_COUNT_TAG), None)
        if plan.service not in deployed and recorded and recorded.isdigit() and int(recorded) > 0:
            plan.start_count = int(recorded)
        else:
            warnings.append(f"{plan.service} has a desired count of 0: no task will run {plan.service}'s new "
                            "revision until it is scaled up (desired_count in Terraform, or autoscaling)")
    return warnings


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
    kwargs = {"desiredCount": plan.start_count} if plan.start_count is not None else {}
    answer = call(aws.client("ecs").update_service, cluster=environment_cluster(aws, config, environment),
                  service=plan.service, taskDefinition=plan.new_arn, **kwargs, doing=f"updating service {plan.service}")
    plan.tracked = Tracked.from_update(plan.document, answer.get("service") or {}, plan.new_arn)


# ---------------------------------------------------------------- the verb


def deploy(aws, state_aws, config, environment, sha, identity, services=None, timeout=900.0, wait_for_it=True,
           on_step=None, on_progress=None, kind="deploy", verify=None, rolled_back_from=None, on_first_write=None,
           pre_deploy=None):
    """Check (and `verify(plans)`, if given), lock, `pre_deploy(plans)` (a step before any change, bootstrap.ecs.
    predeploy; what it returns is recorded), register, record the start, update, wait, record the end.
    `aws` reaches the environment (its region and account), `state_aws` the state bucket. `identity` may be a
    future of it, so the caller can ask STS while the checks run. `on_first_write()` is called just before the
    first write (the lock). An interrupt from then on raises errors.Interrupted saying what already changed.
    Returns the DeployResult."""
    with ThreadPoolExecutor(max_workers=1) as pool:  # the checks' reads go out while STS answers
        prepared = pool.submit(prepare, aws, config, environment, sha, services)
        if hasattr(identity, "result"):
            identity = identity.result()
        aws.check_account(identity)  # before the reads' answers: another account's "no such cluster" would mislead
        plans = prepared.result()
    if verify:
        verify(plans)
    bucket = config.state.bucket
    result = DeployResult(environment, sha, plans)
    lock = DeployLock(state_aws, bucket, environment, identity.arn, timeout=timeout if wait_for_it else None)
    if on_first_write:
        on_first_write()
    # The history is read while the lock is taken (a read: harmless if the lock is refused), not after it.
    history_pool = ThreadPoolExecutor(max_workers=1)
    history_read = history_pool.submit(read_history, state_aws, bucket, environment)
    history_pool.shutdown(wait=False)
    try:
        with lock:
            try:
                history = history_read.result()
                result.warnings += _start_counts(aws, plans, history)
                pre_deployed = pre_deploy(plans) if pre_deploy else None  # raises to abort with nothing changed
                for plan in plans:
                    register(aws, plan)
                    if on_step:
                        started = f"; starting {plan.start_count} task(s)" if plan.start_count else ""
                        on_step(f"{plan.service}: registered {plan.new_arn.rsplit('/', 1)[-1]} from {plan.base} "
                                f"({', '.join(f'{c}: {image}' for c, image in sorted(plan.images.items()))}"
                                f"{started})")
                record = {"kind": kind, "by": identity.arn, "rolled_back_from": rolled_back_from,
                          "services": {plan.service: {"from": plan.document.get("taskDefinition"), "to": plan.new_arn}
                                       for plan in plans}}
                if pre_deployed:
                    record["pre_deploy"] = pre_deployed  # a rollback across this release warns (ecs/predeploy.py)
                result.attempt = start_attempt(state_aws, bucket, environment, history.next_sequence(), sha,
                                               record)
            except KeyboardInterrupt:
                raise Interrupted(_interrupted_message(environment, sha, plans, [])) from None
            except (OperationFailed, UserError) as exc:
                message = str(exc)
                if "nothing was deployed" not in message:
                    message = f"nothing was deployed (no service was updated): {message}"
                raise type(exc)(message) from None
            _run(aws, state_aws, config, environment, sha, plans, result, timeout, wait_for_it, on_progress)
    except EcsenvError as exc:
        if lock.release_problem:  # said with the deploy's own outcome, never instead of it
            exc.args = (f"{exc}. Also, {lock.release_problem}",)
        raise
    if lock.release_problem:
        result.warnings.append(lock.release_problem)
    return result


def _run(aws, state_aws, config, environment, sha, plans, result, timeout, wait_for_it, on_progress):
    """Update every service and wait, recording how the attempt ended whatever happens."""
    updated = []

    def end(outcome, detail=""):
        try:
            end_attempt(state_aws, config.state.bucket, environment, result.attempt,
                        {"outcome": outcome, "updated": updated, "detail": detail})
            return ""
        except Exception as exc:  # noqa: BLE001 - said in the message of the outcome it failed to record
            return f" Recording this in the state bucket failed too ({exc}): `ecsenv rollback` will not know of it."

    try:
        for plan in plans:
            update(aws, config, environment, plan)
            updated.append(plan.service)
        if wait_for_it:
            wait(aws, environment_cluster(aws, config, environment), plans, timeout, on_progress)
    except KeyboardInterrupt:
        raise Interrupted(_interrupted_message(environment, sha, plans, updated)
                          + end(INTERRUPTED)) from None
    except RolloutFailed as exc:
        raise RolloutFailed(str(exc) + end(exc.outcome, str(exc)), exc.outcome) from None
    except (OperationFailed, UserError) as exc:
        message = str(exc)
        if updated:
            message += (f". Already updated to {sha[:12]}: {', '.join(updated)} (ECS continues their rollout); not "
                        f"updated: {', '.join(p.service for p in plans if p.service not in updated) or 'none'}")
        raise OperationFailed(message + end(FAILED, str(exc))) from None
    outcome = SUCCEEDED if wait_for_it else UPDATED
    problem = end(outcome)
    if problem:
        state = "rollout COMPLETED" if wait_for_it else "updated, not waited for"
        raise OperationFailed(f"{', '.join(updated)} in {environment} now run {sha[:12]} ({state}), but recording "
                              f"the deploy's end failed.{problem}")


def _interrupted_message(environment, sha, plans, updated):
    if not updated:
        registered = ", ".join(plan.new_arn.rsplit("/", 1)[-1] for plan in plans if plan.new_arn)
        return (f"interrupted before any service was updated: nothing was deployed to {environment}"
                + (f" (the revisions registered, {registered}, are unused)" if registered else ""))
    rest = [plan.service for plan in plans if plan.service not in updated]
    return (f"interrupted: {', '.join(updated)} in {environment} were updated to {sha[:12]} and ECS continues their "
            "rollout" + (f"; {', '.join(rest)} were not updated" if rest else "") +
            f". See where it stands with `ecsenv status`; finish with `ecsenv deploy {environment} --sha {sha}`, or "
            f"go back with `ecsenv rollback {environment}`")
