"""Following OUR rollout until every service runs it: the deployment each UpdateService created, found by its id in
the UpdateService answer (or, while a read does not show it yet, by its task definition among deployments that were
not there before). Progress as it happens; ECS's own reason and the last service events when the circuit breaker
rolls it back, the rollout fails, another deployment replaces it, or the time runs out.

What counts, per ECS's API reference (Deployment, https://docs.aws.amazon.com/AmazonECS/latest/APIReference/
API_Deployment.html, and "Deployment circuit breaker" in the developer guide):
- done: our deployment is PRIMARY, its rolloutState is COMPLETED, and its own runningCount equals its desiredCount
  (the service's runningCount also counts the old deployment's tasks, so it proves nothing);
- rolled back: our deployment's rolloutState is FAILED and another deployment is PRIMARY (the circuit breaker
  started a rollback deployment); its rolloutStateReason says why;
- failed: FAILED while still PRIMARY (a circuit breaker without rollback);
- superseded: another deployment became PRIMARY while ours was not FAILED (someone else updated the service);
- rolloutState is absent for services behind a Classic Load Balancer: then, and only when no deployment in the list
  has a rolloutState, done is "ours is the only deployment left and runs all its tasks" (the services-stable rule).

Emulators: moto's UpdateService changes the service's task definition but not its deployments list. When the
UpdateService answer itself shows that (the service names our task definition while no deployment does, which ECS
never answers), the rollout is followed on the service document instead, as before. Docs: docs/stack.md."""

import os
import time
from dataclasses import dataclass, field

from bootstrap.ecs.services import describe, primary_deployment
from bootstrap.errors import OperationFailed
from bootstrap.ledger.history import FAILED, ROLLED_BACK, SUPERSEDED, TIMED_OUT

PENDING, DONE = "pending", "done"


class RolloutFailed(OperationFailed):
    """A rollout ended without success; `outcome` is one of the ledger's outcomes."""

    def __init__(self, message, outcome):
        super().__init__(message)
        self.outcome = outcome


@dataclass
class Tracked:
    """What we know of the deployment one UpdateService created."""
    service: str
    task_definition: str  # the revision we deployed
    previous_task_definition: str | None
    before_ids: set = field(default_factory=set)  # deployment ids present before our update
    deployment_id: str | None = None
    follows_service_document: bool = False  # the emulator case, see the module's docstring

    @classmethod
    def from_update(cls, service_before, answer_service, task_definition):
        before_ids = {d.get("id") for d in service_before.get("deployments", [])}
        tracked = cls(service_before["serviceName"], task_definition, service_before.get("taskDefinition"),
                      before_ids)
        ours = tracked.find(answer_service.get("deployments", []))
        if ours:
            tracked.deployment_id = ours.get("id")
        elif answer_service.get("taskDefinition") == task_definition:
            tracked.follows_service_document = True
        return tracked

    def find(self, deployments):
        if self.deployment_id:
            return next((d for d in deployments if d.get("id") == self.deployment_id), None)
        candidates = [d for d in deployments if d.get("id") not in self.before_ids
                      and d.get("taskDefinition") == self.task_definition]
        return candidates[0] if candidates else None


@dataclass
class Assessment:
    state: str  # PENDING, DONE, or a ledger outcome (FAILED, ROLLED_BACK, SUPERSEDED)
    rollout: str | None
    running: int
    desired: int
    what: str = ""  # for failures: what happened
    reason: str | None = None  # ECS's rolloutStateReason of our deployment


def _short(arn):
    return (arn or "?").rsplit("/", 1)[-1]


def assess(service, tracked):
    """Where our rollout of one service stands, from one DescribeServices document. Pure."""
    deployments = service.get("deployments") or []
    if tracked.follows_service_document:
        return _assess_service_document(service, tracked)
    ours = tracked.find(deployments)
    if ours is None:
        if tracked.deployment_id is None:
            # Not visible yet: reads are eventually consistent right after UpdateService.
            return Assessment(PENDING, None, 0, 0)
        primary = primary_deployment(service)
        # Our deployment left the list: drained after a rollback or replaced; ECS no longer shows its state.
        if primary.get("taskDefinition") == tracked.previous_task_definition:
            return Assessment(ROLLED_BACK, None, 0, 0, f"ECS rolled the deployment back to "
                              f"{_short(primary.get('taskDefinition'))}")
        return Assessment(SUPERSEDED, None, 0, 0, f"deployment {tracked.deployment_id} is gone; the service now runs "
                          f"{_short(primary.get('taskDefinition') or service.get('taskDefinition'))}")
    if tracked.deployment_id is None:
        tracked.deployment_id = ours.get("id")
    rollout, reason = ours.get("rolloutState"), ours.get("rolloutStateReason")
    running, desired = ours.get("runningCount", 0), ours.get("desiredCount", 0)
    primary = primary_deployment(service)
    ours_is_primary = ours.get("status") == "PRIMARY"
    if rollout == "FAILED":
        if not ours_is_primary:
            return Assessment(ROLLED_BACK, rollout, running, desired, "ECS rolled the deployment back to "
                              f"{_short(primary.get('taskDefinition'))}", reason)
        return Assessment(FAILED, rollout, running, desired, "the rollout FAILED", reason)
    if not ours_is_primary:
        what = (f"another deployment ({primary.get('id', '?')}, {_short(primary.get('taskDefinition'))}) replaced "
                "ours")
        if primary.get("taskDefinition") == tracked.previous_task_definition:
            return Assessment(ROLLED_BACK, rollout, running, desired, "ECS rolled the deployment back to "
                              f"{_short(primary.get('taskDefinition'))}", reason)
        return Assessment(SUPERSEDED, rollout, running, desired, what, reason)
    if rollout == "COMPLETED" and running == desired:
        return Assessment(DONE, rollout, running, desired)
    if rollout is None and not any(d.get("rolloutState") for d in deployments) and len(deployments) == 1 \
            and running == desired:
        return Assessment(DONE, rollout, running, desired)
    return Assessment(PENDING, rollout, running, desired, reason=reason)


def _assess_service_document(service, tracked):
    """The emulator case: the deployments list does not follow UpdateService, the service document does."""
    primary = primary_deployment(service)
    rollout = primary.get("rolloutState")
    running, desired = service.get("runningCount", 0), service.get("desiredCount", 0)
    if service.get("taskDefinition") != tracked.task_definition:
        return Assessment(ROLLED_BACK, rollout, running, desired, "ECS rolled the deployment back to "
                          f"{_short(service.get('taskDefinition'))}", primary.get("rolloutStateReason"))
    if rollout == "FAILED":
        return Assessment(FAILED, rollout, running, desired, "the rollout FAILED", primary.get("rolloutStateReason"))
    no_states = not any(d.get("rolloutState") for d in service.get("deployments") or [])
    if (rollout == "COMPLETED" or (rollout is None and no_states)) and running >= desired:
        return Assessment(DONE, rollout, running, desired)
    return Assessment(PENDING, rollout, running, desired)


@dataclass
class Progress:
    service: str
    rollout: str | None
    running: int
    desired: int
    events: list  # new service event messages since the last report


def wait(aws, cluster, plans, timeout, on_progress=None, poll_seconds=None):
    """Until every plan's rollout is done. A plan names `service` and `new_arn` (the revision deployed) and, after
    deploy.update(), carries `tracked` (what UpdateService answered); without it, the deployment running `new_arn`
    is ours. A rollback by the circuit breaker, a FAILED rollout, a replacement by another deployment or the timeout
    raise RolloutFailed with ECS's reason and the last service events."""
    tracked = [getattr(plan, "tracked", None) or Tracked(plan.service, plan.new_arn, None) for plan in plans]
    ecs = aws.client("ecs")
    poll = poll_seconds if poll_seconds is not None else float(os.environ.get("ECSENV_POLL_SECONDS", "5"))
    deadline = time.monotonic() + timeout
    pending = {item.service: item for item in tracked}
    seen_events = {item.service: None for item in tracked}
    last, documents, states = {}, {}, {}
    while True:
        described, failures = describe(ecs, cluster, pending, doing=f"following the rollout in {cluster}")
        gone = [failure.get("arn", "?") for failure in failures]
        if gone:
            raise RolloutFailed(f"{', '.join(gone)}: the service disappeared during the rollout", FAILED)
        for service in described:
            name = service["serviceName"]
            documents[name] = service
            state = states[name] = assess(service, pending[name])
            events = _new_events(service, seen_events, name)
            if on_progress and (events or last.get(name) != (state.rollout, state.running, state.desired)):
                on_progress(Progress(name, state.rollout, state.running, state.desired, events))
            last[name] = (state.rollout, state.running, state.desired)
            if state.state not in (PENDING, DONE):
                raise RolloutFailed(_failure(name, state.what, state.reason, service, pending), state.state)
        for name in [name for name in pending if states.get(name) and states[name].state == DONE]:
            del pending[name]
        if not pending:
            return
        if time.monotonic() >= deadline:
            name = next(iter(pending))
            state = states.get(name) or Assessment(PENDING, None, 0, 0)
            what = f"timed out after {timeout:g}s waiting for the rollout"
            if pending[name].deployment_id is None and not pending[name].follows_service_document:
                what += " (ECS has not shown the deployment this update created)"
            else:
                what += f" (rollout {state.rollout or '-'}, {state.running}/{state.desired} running)"
            raise RolloutFailed(_failure(name, what, state.reason, documents.get(name, {}), pending), TIMED_OUT)
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


def _failure(name, what, reason, service, pending):
    events = [event["message"] for event in (service.get("events") or [])[:5]]
    others = sorted(other for other in pending if other != name)
    return (f"{name}: {what}" + (f" ({reason})" if reason else "") +
            (". Last service events: " + " | ".join(events) if events else "") +
            (f". Still rolling out when this happened: {', '.join(others)}" if others else ""))
