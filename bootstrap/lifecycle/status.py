"""The convergence report: main's HEAD against every environment (the seed's "no drift between code, staging and
production - we are converged"), from reads only, all environments at once.

Per environment, read in its own region and account (ecsenv.yaml): the infra commit last applied (when, by whom, any
emergency reason), the last deploy attempt (a rollback shown as one, with what it rolled back from), and per ECS
service of the environment's cluster (`<project>-<environment>`, the stack's naming) the app commit it runs (the
image tag of its app container), the rollout state, and whether the family's newest ACTIVE revision differs from the
running one in anything but the app image (a Terraform change no deploy has rolled out yet). An environment whose
cluster cannot be read, or that has no services, is never converged."""

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timezone

from bootstrap.aws import call
from bootstrap.ecs.images import AppImages, app_tag
from bootstrap.ecs.outputs import environment_cluster
from bootstrap.ecs.services import cluster_name, describe_services, family_of, primary_deployment
from bootstrap.errors import EcsenvError
from bootstrap.ledger.history import SUCCEEDED, UPDATED, read_history
from bootstrap.ledger.records import latest_apply
from bootstrap.lifecycle import git
from bootstrap.lifecycle.plans import environment_names

CONVERGED, BEHIND, AHEAD, EMERGENCY, NEVER = "converged", "behind", "ahead", "emergency", "never applied"
OUTSIDE = "applied outside ecsenv"  # no apply record, but a state object: applied before ecsenv (or around it)
UNREADABLE, NO_SERVICES = "unreadable", "no services"
ENVIRONMENTS_AT_ONCE = 32


@dataclass
class ServiceStatus:
    name: str
    app_sha: str | None
    rollout: str | None
    running: int
    desired: int
    undeployed_revision: bool  # a newer ACTIVE task definition revision than the one the service runs


@dataclass
class EnvironmentStatus:
    environment: str
    infra_sha: str | None = None
    applied_at: str | None = None  # the record's time; for OUTSIDE, the state object's LastModified
    applied_by: str | None = None  # None for OUTSIDE: a state object does not say who wrote it
    emergency: str | None = None
    services: list = field(default_factory=list)
    services_problem: str | None = None  # why the services could not be read, or that there are none
    last_deploy: dict | None = None  # the newest deploy attempt (ledger.history.Attempt.as_dict())
    verdict: str = NEVER
    detail: str = ""


def read_services(aws, cluster, app_images=None):
    """ServiceStatus of every service in the cluster; None when there is no such cluster."""
    ecs = aws.client("ecs")
    found = describe_services(aws, cluster)
    if found is None:
        return None
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda service: _service_status(ecs, service, app_images), found))


def _comparable(definition, app_images):
    """A task definition's registrable settings, with the app containers' image tags left out: what Terraform
    changes, not what deploys change."""
    from bootstrap.ecs.deploy import REGISTRABLE

    settings = {key: definition.get(key) for key in REGISTRABLE if definition.get(key) not in (None, [], {})}
    containers = []
    for container in definition.get("containerDefinitions", []):
        container = dict(container)
        if app_images is None or app_images.owns_container(container):
            image = container.get("image", "")
            container["image"] = image.split("@", 1)[0].rpartition(":")[0] or image
        containers.append(container)
    settings["containerDefinitions"] = containers
    return settings


def _service_status(ecs, service, app_images=None):
    primary = primary_deployment(service)
    # The service document's task definition: on AWS the same as its PRIMARY deployment's; emulators may not update
    # the deployments list on UpdateService.
    task_definition = service.get("taskDefinition") or primary.get("taskDefinition")
    app_sha, undeployed = None, False
    if task_definition:
        # A family name alone resolves to its latest ACTIVE revision: one call, no listing; None: no ACTIVE revision
        # in the family, so nothing newer waits. When the newest is the one the service runs (the usual case), that
        # one answer is both: the running revision is read on its own only when it is not the newest.
        newest = (call(ecs.describe_task_definition, taskDefinition=family_of(task_definition),
                       missing=("ClientException",)) or {}).get("taskDefinition")
        if newest and task_definition in (newest["taskDefinitionArn"], _short_name(newest)):
            described = newest
        else:
            described = call(ecs.describe_task_definition, taskDefinition=task_definition,
                             doing=f"reading the task definition of service {service['serviceName']}"
                             )["taskDefinition"]
            newest = newest or described
        app_sha = app_tag(described.get("containerDefinitions", []), app_images)
        undeployed = newest["revision"] > described["revision"] and \
            _comparable(newest, app_images) != _comparable(described, app_images)
    return ServiceStatus(name=service["serviceName"], app_sha=app_sha, rollout=primary.get("rolloutState"),
                         running=primary.get("runningCount", service.get("runningCount", 0)),
                         desired=primary.get("desiredCount", service.get("desiredCount", 0)),
                         undeployed_revision=undeployed)


class GitAnswers:
    """The git questions the report asks, each answered once per commit (a hundred environments at one commit ask
    git once, not a hundred times). Thread-safe: a question being answered is waited for, not asked again."""

    def __init__(self, project_dir, trunk):
        self.project_dir, self.trunk_ref = project_dir, git.main_ref(project_dir, trunk)
        self._lock, self._answers = threading.Lock(), {}

    def _once(self, key, ask):
        with self._lock:
            future = self._answers.get(key)
            mine = future is None
            if mine:
                future = self._answers[key] = Future()
        if mine:
            try:
                future.set_result(ask())
            except BaseException as exc:  # noqa: BLE001 - handed to every thread that asked the same question
                future.set_exception(exc)
        return future.result()

    def is_on_main(self, sha):
        if self.trunk_ref is None:
            return False
        return self._once(("on main", sha), lambda: git.is_on_ref(self.project_dir, sha, self.trunk_ref))

    def commits_between(self, older, newer):
        return self._once(("between", older, newer), lambda: git.commits_between(self.project_dir, older, newer))


def _short_name(definition):
    """`family:revision` of a task definition document."""
    return f"{definition['family']}:{definition['revision']}"


def _verdict(answers, status, main_sha, trunk="main"):
    """(verdict, detail) of one environment against the trunk's HEAD (answers: GitAnswers)."""
    if status.infra_sha is None and status.applied_at:
        return OUTSIDE, f"no apply recorded by ecsenv; its state was last written {status.applied_at}"
    if status.infra_sha is None:
        return NEVER, "no apply recorded by ecsenv"
    if status.emergency:
        return EMERGENCY, f"emergency apply: {status.emergency}"
    if main_sha is None:
        return AHEAD, f"no {trunk} branch to compare with (set `trunk:` in ecsenv.yaml)"
    if not answers.is_on_main(status.infra_sha):
        return AHEAD, f"infra {status.infra_sha[:12]} is not on {trunk}"
    if status.services_problem:
        return (UNREADABLE if status.services_problem.startswith("cannot") else NO_SERVICES), status.services_problem
    behind = answers.commits_between(status.infra_sha, main_sha) or 0
    problems = []
    last = status.last_deploy
    if last and last["kind"] == "rollback" and last.get("rolled_back_from"):
        problems.append(f"rolled back from {last['rolled_back_from'][:12]} to {last['sha'][:12]}")
    if last and last["outcome"] not in (SUCCEEDED, UPDATED):
        problems.append(f"last {last['kind']} of {last['sha'][:12]} {last['outcome'] or 'has not ended'}")
    for service in status.services:
        if service.app_sha != main_sha:
            lag = answers.commits_between(service.app_sha, main_sha) if service.app_sha else None
            problems.append(f"{service.name} runs {(service.app_sha or 'no image tag')[:12]}"
                            + (f" ({lag} behind)" if lag else ""))
            behind = max(behind, lag or 0)
        if service.rollout not in (None, "COMPLETED"):
            problems.append(f"{service.name} rollout {service.rollout}")
        if service.undeployed_revision:
            problems.append(f"{service.name} has a task definition change not deployed yet")
    if behind == 0 and not problems:
        return CONVERGED, ""
    detail = "; ".join(([f"infra {behind} commit{'s' if behind != 1 else ''} behind {trunk}"]
                        if status.infra_sha != main_sha else []) + problems)
    return BEHIND, detail


def state_written_at(state_aws, config, environment):
    """When the environment's state object was last written (ISO 8601, UTC), or None when there is none (or this
    caller may not see it). Terraform writes it on every apply that changes state, so it dates an apply made
    without ecsenv."""
    bucket, key = config.state.bucket, config.state_key(environment)
    head = call(state_aws.client("s3", config.state.region).head_object, Bucket=bucket, Key=key,
                missing=("NoSuchKey", "404", "NotFound", "403", "AccessDenied"),
                doing=f"reading when the state of {environment} was written (s3://{bucket}/{key})")
    if not head:
        return None
    return head["LastModified"].astimezone(timezone.utc).isoformat(timespec="seconds")


def report(project_dir, config, state_aws, environment_aws):
    """{"main": sha, "trunk": branch, "environments": [EnvironmentStatus...], "converged": bool}.
    `environment_aws(name)` gives the connection to an environment's own region and account; `state_aws` reaches the
    state bucket."""
    trunk = git.trunk_name(project_dir, config.trunk)
    main_sha = git.main_sha(project_dir, trunk)
    answers = GitAnswers(project_dir, trunk)
    app_images = AppImages.of(config)

    def applied(environment):
        """(the apply record, or None and when the state object was last written when there is none)."""
        record = latest_apply(state_aws, config.state.bucket, environment)
        return record, (None if record else state_written_at(state_aws, config, environment))

    def last_attempt(environment):
        last = read_history(state_aws, config.state.bucket, environment).latest()
        return last.as_dict() if last else None

    def one(environment, side):
        """One environment's reads, issued together: the apply record and the deploy history (on `side`, a pool
        of their own) beside the cluster's services."""
        status = EnvironmentStatus(environment)
        record = side.submit(applied, environment)
        deploy = side.submit(last_attempt, environment) if environment in config.environments else None
        if environment in config.environments:
            cluster = cluster_name(config.project, environment)  # until the outputs say otherwise
            try:
                aws = environment_aws(environment)
                cluster = environment_cluster(aws, config, environment)
                aws.check_account()
                services = read_services(aws, cluster, app_images)
            except EcsenvError as exc:
                status.services_problem = f"cannot read cluster {cluster}: {exc}"
            else:
                settings = config.environments[environment]
                where = f"{settings.region}, account {settings.account_id}"
                if services is None:
                    status.services_problem = f"cannot read cluster {cluster}: there is no such cluster in {where}"
                elif not services:
                    status.services_problem = f"cluster {cluster} ({where}) has no ECS services"
                else:
                    status.services = services
        record, written_at = record.result()
        if record:
            status.infra_sha, status.applied_at, status.applied_by = record.sha, record.applied_at, record.by
            status.emergency = record.emergency
        else:
            status.applied_at = written_at
        status.last_deploy = deploy.result() if deploy else None
        status.verdict, status.detail = _verdict(answers, status, main_sha, trunk)
        return status

    names = environment_names(config)
    workers = min(ENVIRONMENTS_AT_ONCE, len(names))  # bounded: a thousand environments are not a thousand threads
    with ThreadPoolExecutor(max_workers=workers) as pool, ThreadPoolExecutor(max_workers=2 * workers) as side:
        statuses = list(pool.map(lambda name: one(name, side), names))
    return {"main": main_sha, "trunk": trunk, "environments": statuses,
            "converged": all(status.verdict == CONVERGED for status in statuses)}
