"""The strict layer: moto, answering as the real AWS APIs document where moto is lenient.

A WSGI middleware around moto's own server application, served in the same process (docs/decisions/
0003-strict-layer.md says why this and not a forwarding proxy). Every request goes to moto untouched (headers,
streaming and chunked bodies included) except where one of these rules applies:

- ECS DescribeServices with more than 10 services: InvalidParameterException "service names can have at most 10
  items." ("You may specify up to 10 services to describe in a single operation."). botocore's ECS model lists both
  InvalidParameterException and ClientException for the operation; AWS answers this case with the former.
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServices.html
- ECS deployments: CreateService/UpdateService with a new task definition (or forceNewDeployment) start a PRIMARY
  deployment IN_PROGRESS, the previous one stays ACTIVE; after `deployment_seconds` the PRIMARY is COMPLETED and the
  ACTIVE one gone. A deployment asked to fail (POST /strict-api/fail-next-deployment) goes FAILED and, when the
  service's circuit breaker has rollback on, ECS starts a new PRIMARY of the last completed task definition (moto's
  service goes back to it too). See bootstrap/local/strict_ecs.py.
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html
- DynamoDB UpdateContinuousBackups within `pitr_seconds` of CreateTable: ContinuousBackupsUnavailableException
  ("Backups are being enabled for the table").
  https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateContinuousBackups.html
- S3 bucket-level calls within `bucket_seconds` of CreateBucket: NoSuchBucket (404), as S3's eventual consistency for
  bucket configuration allows ("it might take a while for the change to propagate"; "wait 15 minutes after enabling
  versioning before issuing write operations").
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/Welcome.html#ConsistencyModel
  https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketVersioning.html
- On request only: throttling (the next N requests answer the protocol's throttling error; SDKs and the Terraform
  provider retry these, https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html) and a caller
  without s3:TagResource (CreateBucket carrying Tags answers AccessDenied:
  https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html "s3:TagResource ... required").

Timings come from the constructor or ECSENV_STRICT_DEPLOYMENT_SECONDS / ECSENV_STRICT_PITR_SECONDS /
ECSENV_STRICT_BUCKET_SECONDS. The admin endpoints (JSON bodies, answer JSON):
  GET/POST /strict-api/config                {"deployment_seconds": 0.3, "pitr_seconds": 0.2, "bucket_seconds": 0.2}
  POST     /strict-api/fail-next-deployment  {"service": "web", "cluster": "optional", "reason": "optional"}
  POST     /strict-api/throttle              {"count": 3, "service": "optional signing name, e.g. s3"}
  POST     /strict-api/deny                  {"actions": ["s3:TagResource"]}   ([] allows everything again)
  POST     /strict-api/clock                 {"freeze": true} stops the layer's clock, {"advance": 0.5} moves it on,
                                             {"freeze": false} lets it run again (tests check exact moments)
  POST     /strict-api/reset                 forget everything above and go back to the starting timings
moto's own POST /moto-api/reset also forgets the layer's records (not its timings).

This module dispatches and answers the admin endpoints; the rules live in strict_ecs (deployments) and
strict_storage (S3, DynamoDB), the WSGI plumbing in strict_http, timings and the clock in strict_time.
Run it: `python -m bootstrap.local.strict -H 127.0.0.1 -p PORT` (what `ecsenv local start` does), or in-process with
strict_server.StrictServer (the tests' strict_endpoint fixture).
"""

import json
import threading
import time
from dataclasses import asdict

from bootstrap.local.strict_ecs import Deployments
from bootstrap.local.strict_http import (
    Request,
    call_app,
    ec2_error,
    json_body,
    json_error,
    query_error,
    read_body,
    respond,
    s3_error,
)
from bootstrap.local.strict_storage import BucketRules, TableRules
from bootstrap.local.strict_time import Clock, Timings

ADMIN_PREFIX = "/strict-api/"
DESCRIBE_SERVICES_LIMIT = 10
ECS_OPERATIONS_REWRITTEN = ("CreateService", "UpdateService", "DescribeServices")


class StrictLayer:
    """WSGI middleware: `StrictLayer(moto_app)`. Thread-safe (one lock around the layer's own records)."""

    def __init__(self, app, timings=None, clock=time.monotonic):
        self.app = app
        self._initial = timings or Timings.from_env()
        self.timings = Timings(**asdict(self._initial))  # changed in place: the rules hold it
        self.clock = Clock(clock)
        self._lock = threading.Lock()
        self._denied = set()
        self.deployments = Deployments(self.timings.deployment_seconds, _moto_roll_back, self.clock.now)
        self.tables = TableRules(app, self._lock, self.timings, self.clock.now)
        self.buckets = BucketRules(app, self._lock, self.timings, self.clock.now, self._denied)
        self._reset_records()

    def _reset_records(self):
        self.tables.reset()
        self.buckets.reset()
        self._throttle = {"count": 0, "service": None}
        self._denied.clear()
        self.deployments.reset()

    # ------------------------------------------------------------ dispatch

    def __call__(self, environ, start_response):
        request = Request.of(environ)
        if request.path.startswith(ADMIN_PREFIX):
            return self._admin(request, environ, start_response)
        if request.path.rstrip("/") == "/moto-api/reset" and request.method == "POST":
            with self._lock:
                self._reset_records()
            return self.app(environ, start_response)
        refused = self._throttled(request, environ)
        if refused:
            return refused(start_response)
        if request.service == "ecs" and request.operation:
            return self._ecs(request, environ, start_response)
        if request.service == "dynamodb" and request.operation:
            return self.tables(request, environ, start_response)
        if request.service == "s3":
            return self.buckets(request, environ, start_response)
        return self.app(environ, start_response)

    def _throttled(self, request, environ):
        with self._lock:
            wanted = self._throttle
            if wanted["count"] <= 0 or (wanted["service"] and wanted["service"] != request.service):
                return None
            wanted["count"] -= 1
        if request.service == "s3":
            return s3_error("SlowDown", "Please reduce your request rate.", 503, request)
        if request.operation or "json" in environ.get("CONTENT_TYPE", ""):
            return json_error("ThrottlingException", "Rate exceeded", status=400)
        if request.service == "ec2":
            return ec2_error("RequestLimitExceeded", "Request limit exceeded.", 503)
        return query_error("Throttling", "Rate exceeded", 400)

    # ------------------------------------------------------------ ECS

    def _ecs(self, request, environ, start_response):
        with self._lock:
            self.deployments.settle_seconds = self.timings.deployment_seconds
            self.deployments.advance()  # a rollback due by now reaches moto before moto answers this request
        if request.operation not in ECS_OPERATIONS_REWRITTEN:
            return self.app(environ, start_response)
        params = json_body(read_body(environ))
        if request.operation == "DescribeServices" and len(params.get("services") or []) > DESCRIBE_SERVICES_LIMIT:
            return json_error("InvalidParameterException", "service names can have at most 10 items.")(start_response)
        status, headers, body = call_app(self.app, environ)
        if not status.startswith("200"):
            return respond(start_response, status, headers, body)
        answer = json_body(body)
        with self._lock:
            if request.operation == "DescribeServices":
                for service in answer.get("services") or []:
                    self.deployments.observed(service)
                self.deployments.advance()
                answer["services"] = [self.deployments.rewrite(s) for s in answer.get("services") or []]
            elif "service" in answer:
                self.deployments.written(answer["service"], params, created=request.operation == "CreateService")
                answer["service"] = self.deployments.rewrite(answer["service"])
        return respond(start_response, status, headers, json.dumps(answer, default=str).encode())

    # ------------------------------------------------------------ admin

    def _admin(self, request, environ, start_response):
        action = request.path[len(ADMIN_PREFIX):].strip("/")
        params = json_body(read_body(environ)) if request.method == "POST" else {}
        with self._lock:
            if action == "config":
                for name in asdict(self.timings):
                    if name in params:
                        setattr(self.timings, name, float(params[name]))
                answer = asdict(self.timings)
            elif action == "fail-next-deployment" and params.get("service"):
                reason = params.get("reason") or "tasks failed to start."
                self.deployments.fail_next(params["service"], reason, params.get("cluster"))
                answer = {"service": params["service"], "reason": reason}
            elif action == "throttle":
                self._throttle = {"count": int(params.get("count", 1)), "service": params.get("service")}
                answer = dict(self._throttle)
            elif action == "deny":
                self._denied.clear()
                self._denied.update(params.get("actions") or [])
                answer = {"actions": sorted(self._denied)}
            elif action == "clock":
                answer = self.clock.set(freeze=params.get("freeze"), advance=float(params.get("advance", 0)))
            elif action == "reset":
                self.clock.set(freeze=False)
                self._reset_records()
                for name, value in asdict(self._initial).items():
                    setattr(self.timings, name, value)
                answer = asdict(self.timings)
            else:
                return json_error("NotFound", f"no strict-api action {action!r} (see bootstrap/local/strict.py)",
                                  status=404)(start_response)
        return respond(start_response, "200 OK", [("Content-Type", "application/json")], json.dumps(answer).encode())


# ---------------------------------------------------------------- the one side effect on moto


def _moto_roll_back(record, task_definition):
    """The circuit breaker's rollback, as moto's own state: the service runs the previous task definition again."""
    from moto.ecs.models import ecs_backends

    _, _, _, region, account, _ = record.arn.split(":", 5)
    ecs_backends[account][region].update_service(
        {"cluster": record.cluster, "service": record.name, "task_definition": task_definition})


if __name__ == "__main__":
    from bootstrap.local.strict_server import main

    main()
