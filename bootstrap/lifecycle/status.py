"""The convergence report: main's HEAD against every environment (the seed's "no drift between code, staging and
production - we are converged"), from reads only, all environments at once.

Per environment: the infra commit last applied (when, by whom, any emergency reason), and per ECS service of the
environment's cluster (`<project>-<environment>`, the stack's naming) the app commit it runs (the image tag of the
task definition its primary deployment uses), the rollout state, and whether Terraform registered a newer task
definition revision that no deploy has rolled out yet."""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

from bootstrap import ledger
from bootstrap.aws import call
from bootstrap.ecs.images import app_tag
from bootstrap.ecs.services import cluster_name, describe_services, primary_deployment
from bootstrap.lifecycle import git
from bootstrap.lifecycle.plans import environment_names

CONVERGED, BEHIND, AHEAD, EMERGENCY, NEVER = "converged", "behind", "ahead", "emergency", "never applied"


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
    applied_at: str | None = None
    applied_by: str | None = None
    emergency: str | None = None
    services: list = field(default_factory=list)
    verdict: str = NEVER
    detail: str = ""


def read_services(aws, cluster):
    """ServiceStatus of every service in the cluster ([] when there is no such cluster)."""
    ecs = aws.client("ecs")
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda service: _service_status(ecs, service), describe_services(aws, cluster)))


def _service_status(ecs, service):
    primary = primary_deployment(service)
    # The service document's task definition: on AWS the same as its PRIMARY deployment's; emulators may not update
    # the deployments list on UpdateService.
    task_definition = service.get("taskDefinition") or primary.get("taskDefinition")
    app_sha, undeployed = None, False
    if task_definition:
        described = call(ecs.describe_task_definition, taskDefinition=task_definition,
                         doing=f"reading the task definition of service {service['serviceName']}")["taskDefinition"]
        # A family name alone resolves to its latest ACTIVE revision: one call, no listing. None: no ACTIVE
        # revision in the family, so nothing newer waits.
        newest = (call(ecs.describe_task_definition, taskDefinition=described["family"],
                       missing=("ClientException",)) or {}).get("taskDefinition", described)
        app_sha = app_tag(described.get("containerDefinitions", []))
        undeployed = newest["revision"] > described["revision"]
    return ServiceStatus(name=service["serviceName"], app_sha=app_sha, rollout=primary.get("rolloutState"),
                         running=primary.get("runningCount", service.get("runningCount", 0)),
                         desired=primary.get("desiredCount", service.get("desiredCount", 0)),
                         undeployed_revision=undeployed)


def _verdict(project_dir, status, main_sha, trunk="main", trunk_ref=None):
    """(verdict, detail) of one environment against the trunk's HEAD."""
    if status.infra_sha is None:
        return NEVER, "no apply recorded by ecsenv"
    if status.emergency:
        return EMERGENCY, f"emergency apply: {status.emergency}"
    if main_sha is None:
        return AHEAD, f"no {trunk} branch to compare with (set `trunk:` in ecsenv.yaml)"
    if not git.is_on_main(project_dir, status.infra_sha, trunk_ref):
        return AHEAD, f"infra {status.infra_sha[:12]} is not on {trunk}"
    behind = git.commits_between(project_dir, status.infra_sha, main_sha) or 0
    problems = []
    for service in status.services:
        if service.app_sha != main_sha:
            lag = git.commits_between(project_dir, service.app_sha, main_sha) if service.app_sha else None
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


def report(project_dir, config, aws):
    """{"main": sha, "trunk": branch, "environments": [EnvironmentStatus...], "converged": bool}."""
    trunk = git.trunk_name(project_dir, config.trunk)
    main_sha = git.main_sha(project_dir, trunk)

    def one(environment):
        status = EnvironmentStatus(environment)
        record = ledger.latest(aws, config.state.bucket, environment)
        if record:
            status.infra_sha, status.applied_at, status.applied_by = record.sha, record.applied_at, record.by
            status.emergency = record.emergency
        if environment in config.environments:
            status.services = read_services(aws, cluster_name(config.project, environment))
        status.verdict, status.detail = _verdict(project_dir, status, main_sha, trunk, trunk)
        return status

    names = environment_names(config)
    with ThreadPoolExecutor(max_workers=min(16, len(names))) as pool:
        statuses = list(pool.map(one, names))
    return {"main": main_sha, "trunk": trunk, "environments": statuses,
            "converged": all(status.verdict == CONVERGED for status in statuses)}


def as_json(result):
    return {"main": result["main"], "trunk": result.get("trunk", "main"), "converged": result["converged"],
            "environments": [asdict(status) for status in result["environments"]]}
