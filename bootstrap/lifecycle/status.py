"""The convergence report: main's HEAD against every environment (the seed's "no drift between code, staging and
production - we are converged"), from reads only, all environments at once.

Per environment: the infra commit last applied (when, by whom, any emergency reason), and per ECS service of the
environment's cluster (`<project>-<environment>`, the stack's naming) the app commit it runs (the image tag of the
task definition its primary deployment uses), the rollout state, and whether Terraform registered a newer task
definition revision that no deploy has rolled out yet."""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

from bootstrap.lifecycle import git
from bootstrap import ledger as records
from bootstrap.aws import call, error_code, failed
from bootstrap.ecs.images import app_tag
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


def cluster_name(project, environment):
    """The ECS cluster of an environment, as modules/cluster names it."""
    return f"{project}-{environment}"


def describe_services(aws, cluster):
    """The service documents of a cluster ([] when there is no such cluster)."""
    ecs = aws.client("ecs")
    try:
        arns = [arn for page in ecs.get_paginator("list_services").paginate(cluster=cluster)
                for arn in page.get("serviceArns", [])]
        services = []
        for start in range(0, len(arns), 10):  # DescribeServices takes ten at a time
            services += call(ecs.describe_services, cluster=cluster, services=arns[start:start + 10])["services"]
    except Exception as exc:  # noqa: BLE001
        if error_code(exc) in ("ClusterNotFoundException", "ClientException"):
            return []
        raise failed(f"listing the services of cluster {cluster}", exc) from None
    return services


def read_services(aws, cluster):
    """ServiceStatus of every service in the cluster ([] when there is no such cluster)."""
    ecs = aws.client("ecs")
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda service: _service_status(ecs, service), describe_services(aws, cluster)))


def _service_status(ecs, service):
    primary = next((d for d in service.get("deployments", []) if d.get("status") == "PRIMARY"), {})
    # The service document's task definition: on AWS the same as its PRIMARY deployment's; emulators may not update
    # the deployments list on UpdateService.
    task_definition = service.get("taskDefinition") or primary.get("taskDefinition")
    app_sha, undeployed = None, False
    if task_definition:
        try:
            described = call(ecs.describe_task_definition, taskDefinition=task_definition)["taskDefinition"]
        except Exception as exc:  # noqa: BLE001
            raise failed(f"reading the task definition of service {service['serviceName']}", exc) from None
        try:  # a family name alone resolves to its latest ACTIVE revision: one call, no listing
            newest = call(ecs.describe_task_definition, taskDefinition=described["family"])["taskDefinition"]
        except Exception:  # noqa: BLE001 - no ACTIVE revision in the family: nothing newer waits
            newest = described
        app_sha = app_tag(described.get("containerDefinitions", []))
        undeployed = newest["revision"] > described["revision"]
    return ServiceStatus(name=service["serviceName"], app_sha=app_sha, rollout=primary.get("rolloutState"),
                         running=primary.get("runningCount", service.get("runningCount", 0)),
                         desired=primary.get("desiredCount", service.get("desiredCount", 0)),
                         undeployed_revision=undeployed)


def _verdict(project_dir, status, main_sha):
    """(verdict, detail) of one environment against main's HEAD."""
    if status.infra_sha is None:
        return NEVER, "no apply recorded by ecsenv"
    if status.emergency:
        return EMERGENCY, f"emergency apply: {status.emergency}"
    if main_sha is None:
        return AHEAD, "no main branch to compare with"
    if not git.is_on_main(project_dir, status.infra_sha):
        return AHEAD, f"infra {status.infra_sha[:12]} is not on main"
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
    detail = "; ".join(([f"infra {behind} commit{'s' if behind != 1 else ''} behind main"]
                        if status.infra_sha != main_sha else []) + problems)
    return BEHIND, detail


def report(project_dir, config, aws):
    """{"main": sha, "environments": [EnvironmentStatus...], "converged": bool}."""
    main_sha = git.main_sha(project_dir)

    def one(environment):
        status = EnvironmentStatus(environment)
        record = records.latest(aws, config.state.bucket, environment)
        if record:
            status.infra_sha, status.applied_at, status.applied_by = record.sha, record.applied_at, record.by
            status.emergency = record.emergency
        if environment in config.environments:
            status.services = read_services(aws, cluster_name(config.project, environment))
        status.verdict, status.detail = _verdict(project_dir, status, main_sha)
        return status

    names = environment_names(config)
    with ThreadPoolExecutor(max_workers=min(16, len(names))) as pool:
        statuses = list(pool.map(one, names))
    return {"main": main_sha, "environments": statuses,
            "converged": all(status.verdict == CONVERGED for status in statuses)}


def as_json(result):
    return {"main": result["main"], "converged": result["converged"],
            "environments": [asdict(status) for status in result["environments"]]}
