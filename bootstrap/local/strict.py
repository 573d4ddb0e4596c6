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

Run it: `python -m bootstrap.local.strict -H 127.0.0.1 -p PORT` (what `ecsenv local start` does), or in-process with
StrictServer (the tests' strict_endpoint fixture).
"""

import io
import json
import os
import re
import threading
import time
import uuid
from dataclasses import asdict, dataclass

from bootstrap.local.strict_ecs import Deployments

ADMIN_PREFIX = "/strict-api/"
DESCRIBE_SERVICES_LIMIT = 10
ECS_OPERATIONS_REWRITTEN = ("CreateService", "UpdateService", "DescribeServices")
SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


@dataclass
class Timings:
    deployment_seconds: float = 5.0  # an ECS deployment's rollout, IN_PROGRESS -> COMPLETED
    pitr_seconds: float = 2.0  # PITR unavailable after CreateTable
    bucket_seconds: float = 1.0  # NoSuchBucket for bucket-level calls after CreateBucket

    @classmethod
    def from_env(cls, environ=None, **overrides):
        environ = os.environ if environ is None else environ
        values = {}
        for name in ("deployment_seconds", "pitr_seconds", "bucket_seconds"):
            raw = environ.get(f"ECSENV_STRICT_{name.upper()}")
            if raw is not None:
                values[name] = float(raw)
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)


@dataclass
class Request:
    method: str
    path: str
    query: str
    service: str  # the SigV4 signing name: "ecs", "dynamodb", "s3", ...
    region: str
    operation: str  # from X-Amz-Target for the JSON protocols, "" otherwise

    @classmethod
    def of(cls, environ):
        import urllib.parse

        query = environ.get("QUERY_STRING", "")
        scope = SCOPE.search(environ.get("HTTP_AUTHORIZATION", "")) or SCOPE.search(
            "Credential=" + (urllib.parse.parse_qs(query).get("X-Amz-Credential") or [""])[0])
        region, service = scope.groups() if scope else ("", "")
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        return cls(method=environ.get("REQUEST_METHOD", "GET"), path=environ.get("PATH_INFO", "/"), query=query,
                   service=service, region=region, operation=target.rsplit(".", 1)[-1] if target else "")


class Clock:
    """The layer's sense of time: the monotonic clock, unless a test freezes it (POST /strict-api/clock
    {"freeze": true}) and then moves it on by hand ({"advance": seconds}), so that a rollout's states can be checked
    at exact moments however loaded the machine is."""

    def __init__(self, source=time.monotonic):
        self._source, self._frozen_at = source, None

    def now(self):
        return self._frozen_at if self._frozen_at is not None else self._source()

    def set(self, freeze=None, advance=0.0):
        if freeze is True and self._frozen_at is None:
            self._frozen_at = self._source()
        elif freeze is False:
            self._frozen_at = None
        if advance and self._frozen_at is not None:
            self._frozen_at += advance
        return {"frozen": self._frozen_at is not None}


class StrictLayer:
    """WSGI middleware: `StrictLayer(moto_app)`. Thread-safe (one lock around the layer's own records)."""

    def __init__(self, app, timings=None, clock=time.monotonic):
        self.app = app
        self._initial = timings or Timings.from_env()
        self.timings = Timings(**asdict(self._initial))
        self.clock = Clock(clock)
        self._clock = self.clock.now
        self._lock = threading.Lock()
        self.deployments = Deployments(self.timings.deployment_seconds, _moto_roll_back, self.clock.now)
        self._reset_records()

    def _reset_records(self):
        self._tables = {}  # (region, table name) -> monotonic time of CreateTable
        self._buckets = {}  # bucket name -> monotonic time of CreateBucket
        self._throttle = {"count": 0, "service": None}
        self._denied = set()
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
            return self._dynamodb(request, environ, start_response)
        if request.service == "s3":
            return self._s3(request, environ, start_response)
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
        params = _json(read_body(environ))
        if request.operation == "DescribeServices" and len(params.get("services") or []) > DESCRIBE_SERVICES_LIMIT:
            return json_error("InvalidParameterException", "service names can have at most 10 items.")(start_response)
        status, headers, body = call_app(self.app, environ)
        if not status.startswith("200"):
            return respond(start_response, status, headers, body)
        answer = _json(body)
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

    # ------------------------------------------------------------ DynamoDB

    def _dynamodb(self, request, environ, start_response):
        if request.operation not in ("CreateTable", "UpdateContinuousBackups", "DeleteTable"):
            return self.app(environ, start_response)
        params = _json(read_body(environ))
        key = (request.region, _table_name(params.get("TableName", "")))
        if request.operation == "UpdateContinuousBackups":
            with self._lock:
                created = self._tables.get(key)
                waiting = created is not None and self._clock() - created < self.timings.pitr_seconds
            if waiting:
                return json_error("ContinuousBackupsUnavailableException",
                                  f"Backups are being enabled for the table: {key[1]}. Please retry later",
                                  prefix="com.amazonaws.dynamodb.v20120810#", version="1.0")(start_response)
            return self.app(environ, start_response)
        status, headers, body = call_app(self.app, environ)
        if status.startswith("200"):
            with self._lock:
                if request.operation == "CreateTable":
                    self._tables[key] = self._clock()
                else:
                    self._tables.pop(key, None)
        return respond(start_response, status, headers, body)

    # ------------------------------------------------------------ S3

    def _s3(self, request, environ, start_response):
        bucket, key = s3_target(environ)
        if not bucket or key:
            return self.app(environ, start_response)  # object-level calls (and ListBuckets) pass untouched
        creating = request.method == "PUT" and not _subresources(request.query)
        if creating:
            with self._lock:
                deny_tags = "s3:TagResource" in self._denied
            if deny_tags and b"<Tags>" in read_body(environ, limit=1 << 20):
                return s3_error("AccessDenied", "User is not authorized to perform: s3:TagResource on resource: "
                                f'"arn:aws:s3:::{bucket}" because no identity-based policy allows the '
                                "s3:TagResource action", 403, request)(start_response)
            status, headers, body = call_app(self.app, environ)
            if status.startswith("200"):
                with self._lock:
                    self._buckets[bucket] = self._clock()
            return respond(start_response, status, headers, body)
        with self._lock:
            created = self._buckets.get(bucket)
            propagating = created is not None and self._clock() - created < self.timings.bucket_seconds
            if created is not None and not propagating:
                del self._buckets[bucket]
        if propagating:
            return s3_error("NoSuchBucket", "The specified bucket does not exist", 404, request,
                            bucket=bucket)(start_response)
        if request.method == "DELETE" and not _subresources(request.query):
            with self._lock:
                self._buckets.pop(bucket, None)
        return self.app(environ, start_response)

    # ------------------------------------------------------------ admin

    def _admin(self, request, environ, start_response):
        action = request.path[len(ADMIN_PREFIX):].strip("/")
        params = _json(read_body(environ)) if request.method == "POST" else {}
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
                self._denied = set(params.get("actions") or [])
                answer = {"actions": sorted(self._denied)}
            elif action == "clock":
                answer = self.clock.set(freeze=params.get("freeze"), advance=float(params.get("advance", 0)))
            elif action == "reset":
                self.clock.set(freeze=False)
                self._reset_records()
                self.timings = Timings(**asdict(self._initial))
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


# ---------------------------------------------------------------- WSGI plumbing


def read_body(environ, limit=None):
    """The request body, put back so moto reads it too. Only for the small JSON/XML requests the rules look at."""
    length = environ.get("CONTENT_LENGTH")
    stream = environ["wsgi.input"]
    if length:
        body = stream.read(int(length))
    elif environ.get("wsgi.input_terminated"):
        body = stream.read() if limit is None else stream.read(limit)
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def call_app(app, environ):
    """(status, headers, body) of the wrapped app, for the answers a rule rewrites or records."""
    captured, chunks = {}, []

    def start_response(status, headers, exc_info=None):
        captured.update(status=status, headers=headers)
        return chunks.append

    result = app(environ, start_response)
    try:
        chunks.extend(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return captured["status"], captured["headers"], b"".join(chunks)


def respond(start_response, status, headers, body):
    headers = [(name, value) for name, value in headers if name.lower() != "content-length"]
    start_response(status, headers + [("Content-Length", str(len(body)))])
    return [body]


def json_error(code, message, status=400, prefix="", version="1.1"):
    body = json.dumps({"__type": prefix + code, "message": message}).encode()
    headers = [("Content-Type", f"application/x-amz-json-{version}"), ("x-amzn-ErrorType", code),
               ("x-amzn-RequestId", str(uuid.uuid4()))]
    return lambda start_response: respond(start_response, _status(status), headers, body)


def s3_error(code, message, status, request, bucket=None):
    request_id = uuid.uuid4().hex[:16].upper()
    extra = f"<BucketName>{bucket}</BucketName>" if bucket else ""
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>{extra}'
            f"<RequestId>{request_id}</RequestId></Error>").encode()
    headers = [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)]
    if request.method == "HEAD":
        body = b""  # HEAD answers carry no body: the SDK reads the status alone
    return lambda start_response: respond(start_response, _status(status), headers, body)


def query_error(code, message, status):
    body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
            f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>").encode()
    return lambda start_response: respond(start_response, _status(status), [("Content-Type", "text/xml")], body)


def ec2_error(code, message, status):
    body = (f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
            f"<RequestID>{uuid.uuid4()}</RequestID></Response>").encode()
    return lambda start_response: respond(start_response, _status(status), [("Content-Type", "text/xml")], body)


def _status(code):
    from http import HTTPStatus

    return f"{code} {HTTPStatus(code).phrase}" if code in HTTPStatus._value2member_map_ else f"{code} Error"


def _json(body):
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _table_name(name):
    return name.split(":table/", 1)[-1] if name.startswith("arn:") else name


def _subresources(query):
    """The query's subresource names (?versioning, ?tagging, ...), ignoring the SDK's x-id operation marker."""
    return [part.split("=", 1)[0] for part in query.split("&") if part and not part.startswith("x-id=")]


def s3_target(environ):
    """(bucket, key) of an S3 request, path-style (127.0.0.1:port/bucket/key) or virtual-hosted
    (bucket.localhost / bucket.s3.<region>.amazonaws.com)."""
    host = environ.get("HTTP_HOST", "").rsplit(":", 1)[0] if "]" not in environ.get("HTTP_HOST", "") else ""
    path = environ.get("PATH_INFO", "/").lstrip("/")
    virtual = None
    if host.endswith(".localhost"):
        virtual = host[: -len(".localhost")]
    elif ".s3." in host or ".s3-" in host:
        virtual = re.split(r"\.s3[.-]", host, maxsplit=1)[0]
    if virtual:
        return virtual, path
    bucket, _, key = path.partition("/")
    return bucket, key


# ---------------------------------------------------------------- serving


def moto_app():
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return DomainDispatcherApplication(create_backend_app)


class StrictServer:
    """The strict layer over moto, served on a thread of this process (moto's backends are this process's)."""

    def __init__(self, host="127.0.0.1", port=0, timings=None):
        from moto.moto_server.werkzeug_app import MotoRequestHandler
        from werkzeug.serving import make_server

        self.layer = StrictLayer(moto_app(), timings)
        self._server = make_server(host, port, self.layer, threaded=True, request_handler=MotoRequestHandler)
        self._thread = None

    @property
    def endpoint(self):
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        if self._thread:
            self._thread.join()


def main(argv=None):
    """`python -m bootstrap.local.strict -H HOST -p PORT`: serve until SIGTERM/SIGINT."""
    import argparse
    import signal
    import sys

    parser = argparse.ArgumentParser(prog="python -m bootstrap.local.strict", description=__doc__.split("\n")[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))  # moto builds some URLs (presigned, queue URLs) from it
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = StrictServer(args.host, args.port)
    print(f"strict layer over moto on {server.endpoint}", flush=True)
    try:
        server._server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
