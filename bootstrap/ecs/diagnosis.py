"""Why tasks stopped: for the newest stopped tasks of a revision, ECS's stoppedReason, each container's exit code and
reason, and their last log lines; failed load-balancer health checks named as such, with the target group's own
verdict on its targets. Returns text; never raises (an explanation must not hide the failure it explains)."""

from bootstrap.aws import call, pages
from bootstrap.ecs.logs import last_lines, sources, task_id
from bootstrap.errors import EcsenvError

STOPPED_TASKS_SHOWN = 3
LOG_LINES = 20
DESCRIBE_TASKS_LIMIT = 100  # DescribeTasks: "tasks ... up to 100"


def health_check_kind(stopped_reason):
    """'load balancer' / 'container' when ECS stopped the task for failing that health check, else None. ECS words
    them "Task failed ELB health checks in (target-group ...)" and "Task failed container health checks"
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html)."""
    reason = (stopped_reason or "").lower()
    if "elb health check" in reason or "target-group" in reason:
        return "load balancer"
    if "container health check" in reason:
        return "container"
    return None


def explain_task(aws, task, definition, log_lines=LOG_LINES):
    """Lines saying why one stopped task stopped; with its containers' last `log_lines` log lines."""
    ident = task_id(task["taskArn"])
    reason = task.get("stoppedReason") or "no reason given"
    code = f" [{task['stopCode']}]" if task.get("stopCode") else ""
    lines = [f"task {ident} ({task['taskDefinitionArn'].rsplit('/', 1)[-1]}) stopped: {reason}{code}"]
    kind = health_check_kind(task.get("stoppedReason"))
    if kind == "load balancer":
        lines.append("  it failed the target group's health check: the load balancer found no healthy answer on the "
                     "app's port and health check path")
    elif kind == "container":
        lines.append("  it failed its container health check (healthCheck in the task definition)")
    for container in task.get("containers", []):
        exit_code = container.get("exitCode")
        status = f"exit code {exit_code}" if exit_code is not None else "no exit code (it never ran)"
        detail = f": {container['reason']}" if container.get("reason") else ""
        lines.append(f"  container {container.get('name')}: {status}{detail}")
    if log_lines:
        for source in sources(definition):
            shown = last_lines(aws, source, ident, log_lines)
            lines.append(f"  last {len(shown)} log line{'s' if len(shown) != 1 else ''} of {source.container} "
                         f"({source.group} {source.stream(ident)}):" if shown else
                         f"  no log lines of {source.container} ({source.group} {source.stream(ident)})")
            lines += [f"    {line}" for line in shown]
    return lines


def stopped_tasks(aws, cluster, service, task_definition_arn, limit=STOPPED_TASKS_SHOWN):
    """The newest stopped tasks of `service` running `task_definition_arn`, newest first. ECS lists stopped tasks for
    at least an hour after they stop."""
    ecs = aws.client("ecs")
    doing = f"reading the stopped tasks of {service}"
    arns = pages(ecs, "list_tasks", "taskArns", doing, cluster=cluster, serviceName=service, desiredStatus="STOPPED")
    tasks = []
    for start in range(0, len(arns), DESCRIBE_TASKS_LIMIT):
        tasks += call(ecs.describe_tasks, cluster=cluster, tasks=arns[start:start + DESCRIBE_TASKS_LIMIT],
                      doing=doing).get("tasks", [])
    ours = [task for task in tasks if task.get("taskDefinitionArn") == task_definition_arn
            and task.get("lastStatus") == "STOPPED"]
    ours.sort(key=lambda task: str(task.get("stoppedAt") or task.get("createdAt") or ""), reverse=True)
    return ours[:limit]


def target_health(aws, service_document):
    """Lines for the targets the service's target groups do not find healthy, with ELB's reason for each."""
    lines = []
    elb = aws.client("elbv2")
    for balancer in service_document.get("loadBalancers") or []:
        group = balancer.get("targetGroupArn")
        if not group:
            continue
        answer = call(elb.describe_target_health, TargetGroupArn=group, missing=("TargetGroupNotFound",),
                      doing=f"reading the health of target group {group}") or {}
        for target in answer.get("TargetHealthDescriptions", []):
            health = target.get("TargetHealth", {})
            if health.get("State") in ("healthy", None):
                continue
            where = f"{target['Target'].get('Id')}:{target['Target'].get('Port', '-')}"
            why = ": ".join(part for part in (health.get("Reason"), health.get("Description")) if part)
            lines.append(f"  target group {group.rsplit(':', 1)[-1]}: health check of {where} "
                         f"{health.get('State')}" + (f" ({why})" if why else ""))
    return lines


def explain_service(aws, cluster, service, task_definition_arn, log_lines=LOG_LINES):
    """Why `service`'s tasks of `task_definition_arn` stopped, as text (never raises)."""
    revision = task_definition_arn.rsplit("/", 1)[-1]
    try:
        ecs = aws.client("ecs")
        tasks = stopped_tasks(aws, cluster, service, task_definition_arn)
        definition = call(ecs.describe_task_definition, taskDefinition=task_definition_arn,
                          doing=f"reading {revision}")["taskDefinition"]
        lines = [f"{service}: the newest stopped tasks of {revision}:" if tasks else
                 f"{service}: no stopped task of {revision} (yet)"]
        for task in tasks:
            lines += ["  " + line for line in explain_task(aws, task, definition, log_lines)]
        documents = call(ecs.describe_services, cluster=cluster, services=[service],
                         doing=f"reading service {service}").get("services", [])
        if documents:
            lines += target_health(aws, documents[0])
        return "\n".join(lines)
    except EcsenvError as exc:
        return f"{service}: could not read why its tasks of {revision} stopped: {exc}"
