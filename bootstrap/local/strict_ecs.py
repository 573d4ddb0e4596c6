"""ECS deployments as ECS reports them, for the strict layer (bootstrap/local/strict.py).

moto keeps one PRIMARY deployment per service, created COMPLETED and never replaced. ECS keeps a list: a new task
definition (or forceNewDeployment) starts a new PRIMARY deployment with rolloutState IN_PROGRESS while the previous
one stays ACTIVE until the new tasks run; then the ACTIVE one goes away and the PRIMARY is COMPLETED. When the
deployment circuit breaker sees a deployment fail, the deployment goes FAILED and, with rollback on, ECS starts a new
deployment of the last completed task definition.
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html

This module is the bookkeeping only: which deployments a service has at a given moment. Time is passed in (a
monotonic clock), transitions happen when a service is next looked at, and the one side effect (moto's service going
back to the previous task definition on a rollback) is a callback.
"""

import random
import time
from dataclasses import dataclass, field


@dataclass
class Deployment:
    id: str
    task_definition: str
    desired: int
    started: float  # monotonic
    created_at: float  # epoch seconds, as the API reports createdAt
    fail_reason: str | None = None
    status: str = "PRIMARY"
    rollout: str = "IN_PROGRESS"
    reason: str = ""
    running: int = 0

    def document(self, template):
        doc = dict(template)
        doc.update(id=self.id, status=self.status, taskDefinition=self.task_definition, desiredCount=self.desired,
                   runningCount=self.running, pendingCount=max(self.desired - self.running, 0) if self.status
                   == "PRIMARY" and self.rollout == "IN_PROGRESS" else 0, failedTasks=0,
                   rolloutState=self.rollout, rolloutStateReason=self.reason, createdAt=self.created_at,
                   updatedAt=self.created_at)
        return doc


@dataclass
class ServiceRecord:
    arn: str
    cluster: str
    name: str
    deployments: list  # newest (PRIMARY) first
    last_completed: str | None  # the task definition a circuit-breaker rollback returns to
    rollback: bool = False  # deploymentConfiguration.deploymentCircuitBreaker.rollback, from the requests
    template: dict = field(default_factory=dict)  # moto's deployment document: the fields we do not model
    events: list = field(default_factory=list)  # newest first, ahead of moto's own
    grace_seconds: int | None = None  # healthCheckGracePeriodSeconds as last written (moto drops it)


def _deployment_id():
    return f"ecs-svc/{random.randrange(10**18, 10**19)}"


def _breaker_rollback(request):
    breaker = ((request or {}).get("deploymentConfiguration") or {}).get("deploymentCircuitBreaker")
    return None if breaker is None else bool(breaker.get("enable") and breaker.get("rollback"))


class Deployments:
    """Every service's deployments list. Not thread-safe by itself: the strict layer holds its lock around calls."""

    def __init__(self, settle_seconds, roll_back, clock=time.monotonic):
        self.settle_seconds = settle_seconds
        self._roll_back = roll_back  # (record, task_definition) -> None: moto's service follows the rollback
        self._clock = clock
        self._services = {}  # service ARN -> ServiceRecord
        self._failures = {}  # (cluster or None, service name) -> reason for its next deployment

    def reset(self):
        self._services.clear()
        self._failures.clear()

    def fail_next(self, service, reason, cluster=None):
        self._failures[(cluster, service)] = reason

    def _take_failure(self, record):
        for key in ((record.cluster, record.name), (None, record.name)):
            if key in self._failures:
                return self._failures.pop(key)
        return None

    def written(self, service, request, created):
        """A CreateService/UpdateService answered `service` (moto's document) for `request` (its parameters)."""
        if not _models(service):
            return
        now = self._clock()
        record = self._services.get(service["serviceArn"])
        rollback = _breaker_rollback(request)
        if record is None or created:
            record = ServiceRecord(arn=service["serviceArn"], cluster=_cluster_name(service),
                                   name=service["serviceName"], deployments=[], last_completed=None,
                                   template=_template(service))
            self._services[record.arn] = record
        if rollback is not None:
            record.rollback = rollback
        if request.get("healthCheckGracePeriodSeconds") is not None:
            record.grace_seconds = request["healthCheckGracePeriodSeconds"]
        primary = record.deployments[0] if record.deployments else None
        if primary and primary.task_definition == service["taskDefinition"] and not request.get("forceNewDeployment"):
            primary.desired = service["desiredCount"]  # a scaling change: the same deployment, new desired count
            if primary.rollout == "COMPLETED":
                primary.running = primary.desired
            return
        for older in record.deployments:
            older.status = "ACTIVE"  # still running its tasks until the new deployment has its own
        record.deployments.insert(0, Deployment(
            id=_deployment_id(), task_definition=service["taskDefinition"], desired=service["desiredCount"],
            started=now, created_at=time.time(), fail_reason=self._take_failure(record),
            reason="ECS deployment in progress."))
        self._event(record, f"(service {record.name}) has started a new deployment "
                            f"({record.deployments[0].id}) of {_revision(service['taskDefinition'])}.")

    def observed(self, service):
        """A DescribeServices answer names a service we never saw written (it existed before the layer started):
        its current task definition counts as a completed deployment."""
        if not _models(service) or service["serviceArn"] in self._services:
            return
        deployment = Deployment(id=_deployment_id(), task_definition=service["taskDefinition"],
                                desired=service["desiredCount"], started=self._clock(), created_at=time.time(),
                                rollout="COMPLETED", running=service["desiredCount"])
        self._services[service["serviceArn"]] = ServiceRecord(
            arn=service["serviceArn"], cluster=_cluster_name(service), name=service["serviceName"],
            deployments=[deployment], last_completed=service["taskDefinition"], template=_template(service))

    def advance(self):
        """Move every service's deployments on to where time has brought them."""
        now = self._clock()
        for record in self._services.values():
            self._advance(record, now)

    def _advance(self, record, now):
        while record.deployments:
            primary = record.deployments[0]
            done_at = primary.started + self.settle_seconds
            if primary.rollout != "IN_PROGRESS" or now < done_at:
                return
            if primary.fail_reason is None:
                primary.rollout, primary.running = "COMPLETED", primary.desired
                primary.reason = f"ECS deployment {primary.id} completed."
                record.deployments[1:] = []  # the old tasks are stopped once the new ones run
                record.last_completed = primary.task_definition
                self._event(record, f"(service {record.name}) (deployment {primary.id}) deployment completed.")
                self._event(record, f"(service {record.name}) has reached a steady state.")
                return
            primary.rollout = "FAILED"
            primary.reason = f"ECS deployment circuit breaker: {primary.fail_reason}"
            self._event(record, f"(service {record.name}) (deployment {primary.id}) deployment failed: "
                                f"{primary.fail_reason}")
            if not (record.rollback and record.last_completed):
                return  # without rollback the FAILED deployment stays PRIMARY
            primary.status, primary.running = "ACTIVE", 0  # listed, draining, until the rollback completes
            rollback = Deployment(id=_deployment_id(), task_definition=record.last_completed,
                                  desired=primary.desired, started=done_at, created_at=time.time(),
                                  reason="ECS deployment in progress (rollback).")
            record.deployments.insert(0, rollback)
            self._event(record, f"(service {record.name}) (deployment {primary.id}) rolling back to "
                                f"{_revision(record.last_completed)} ({rollback.id}).")
            self._roll_back(record, record.last_completed)

    def rewrite(self, service):
        """The service document with ECS's deployments list, counts and our events (moto's own events after)."""
        record = self._services.get(service.get("serviceArn"))
        if record is None or not record.deployments:
            return service
        if record.grace_seconds is not None:
            # Create/UpdateService's healthCheckGracePeriodSeconds is reported back in the Service object
            # (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Service.html); moto always says 0.
            service = dict(service, healthCheckGracePeriodSeconds=record.grace_seconds)
        record.deployments[0].desired = service.get("desiredCount", record.deployments[0].desired)
        if record.deployments[0].rollout == "COMPLETED":
            record.deployments[0].running = record.deployments[0].desired
        template = dict(record.template, **{key: value for key, value in _template(service).items()
                                             if key not in ("id", "status", "taskDefinition")})
        service = dict(service)
        service["deployments"] = [d.document(template) for d in record.deployments]
        running = sum(d.running for d in record.deployments)  # ECS counts every deployment's tasks
        primary = record.deployments[0]
        service["runningCount"] = running
        service["pendingCount"] = max(primary.desired - primary.running, 0) if primary.rollout == "IN_PROGRESS" else 0
        service["taskDefinition"] = primary.task_definition
        service["events"] = record.events + list(service.get("events") or [])
        return service

    def _event(self, record, message):
        record.events.insert(0, {"id": f"{random.getrandbits(128):032x}", "createdAt": time.time(),
                                 "message": message})


def _models(service):
    """ECS's own deployment controller (CODE_DEPLOY and EXTERNAL services have task sets, not deployments)."""
    return (service.get("deploymentController") or {}).get("type", "ECS") == "ECS" and "serviceArn" in service


def _cluster_name(service):
    return (service.get("clusterArn") or "default").rsplit("/", 1)[-1]


def _template(service):
    return dict((service.get("deployments") or [{}])[0])


def _revision(task_definition):
    return task_definition.rsplit("/", 1)[-1]
