"""Following a rollout until every service runs its new revision: progress as it happens, and ECS's own reason and
the last service events when the circuit breaker rolls back, the rollout fails, or the time runs out."""

import os
import time
from dataclasses import dataclass

from bootstrap.ecs.services import cluster_name, describe, primary_deployment
from bootstrap.errors import OperationFailed


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
        described, failures = describe(ecs, cluster, pending, doing=f"following the rollout in {cluster}")
        gone = [failure.get("arn", "?") for failure in failures]
        if gone:
            raise OperationFailed(f"{', '.join(gone)}: the service disappeared during the rollout")
        for service in described:
            name = service["serviceName"]
            plan = pending[name]
            primary = primary_deployment(service)
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
            raise OperationFailed(_failure(name, f"timed out after {timeout:g}s waiting for the rollout",
                                           primary_deployment(service), service))
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
