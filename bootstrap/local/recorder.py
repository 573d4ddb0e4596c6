"""The recording layer: a WSGI middleware in front of the emulator (moto, or the strict layer over it) that notes
every AWS request it serves, with when it arrived and when its answer was complete, so that a test or a benchmark
can count what a command asked of AWS in the figure noise cannot move: requests, and SEQUENTIAL STEPS.

A step is one round trip on the command's critical path. Requests that overlap in time count as one step; the
number of steps is the length of the longest chain of requests each of which started after the one before it had
been answered (the critical path through the requests, whatever threads sent them).

Overlap is only measurable when a request lasts longer than it takes a client to send its sibling, so the layer can
hold every answer for `latency` seconds (real AWS answers in tens of milliseconds; the local emulator in one or two).
With a latency well above a thread's start-up, the counts are the same run after run; with none, two requests sent
side by side may be served one after the other and count as two steps.

Admin endpoints (JSON):
  GET  /recorder-api/requests  {"requests": [{"service", "operation", "method", "path", "start", "end"}, ...]}
  POST /recorder-api/clear     forget the requests recorded so far
  POST /recorder-api/config    {"latency": 0.05}
Run it: `python -m bootstrap.local.recorder -H 127.0.0.1 -p PORT [--latency S] [--strict]`, or in-process with
RecordingServer (the tests' recorded_env fixture).
"""

import io
import json
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass

from bootstrap.local.strict_server import ThreadServer, moto_app

ADMIN_PREFIX = "/recorder-api/"
# S3 sub-resources that name the operation of a bucket-level request (?versioning -> PutBucketVersioning, ...).
S3_SUBRESOURCES = ("versioning", "encryption", "publicAccessBlock", "ownershipControls", "policy", "lifecycle",
                   "tagging", "location", "acl", "cors", "logging", "replication", "website", "notification",
                   "object-lock", "uploads", "versions", "list-type")


@dataclass(frozen=True)
class Recorded:
    service: str  # the SigV4 signing name: "s3", "dynamodb", "sts", "ecs", ...
    operation: str  # the JSON protocols' X-Amz-Target, the query protocol's Action, or METHOD ?subresource for S3
    method: str
    path: str
    start: float  # time.monotonic() when the request arrived
    end: float  # ... and when its answer had been produced


def sequential_steps(requests):
    """The longest chain of requests each starting after the previous one ended (0 for none). Requests that overlap
    in time can never be in the same chain, so they count as one step."""
    ordered = sorted(requests, key=lambda request: request.start)
    chain = []  # chain[i]: the longest chain ending with ordered[i]
    for index, request in enumerate(ordered):
        before = [chain[earlier] for earlier in range(index) if ordered[earlier].end <= request.start]
        chain.append(1 + max(before, default=0))
    return max(chain, default=0)


def describe(requests):
    """`N requests in M sequential steps`."""
    count, steps = len(requests), sequential_steps(requests)
    return f"{count} request{'s' if count != 1 else ''} in {steps} sequential step{'s' if steps != 1 else ''}"


def _operation(environ, service, body):
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return target.rsplit(".", 1)[-1]
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    action = query.get("Action") or urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action")
    if action:
        return action[0]
    method = environ.get("REQUEST_METHOD", "GET")
    subresource = next((name for name in S3_SUBRESOURCES if name in query), "")
    return f"{method} ?{subresource}" if subresource else method


class Recorder:
    """WSGI middleware: `Recorder(app, latency=0.0)`. Thread-safe."""

    def __init__(self, app, latency=0.0):
        self.app = app
        self.latency = latency
        self._lock = threading.Lock()
        self._requests = []

    @property
    def requests(self):
        with self._lock:
            return list(self._requests)

    def clear(self):
        with self._lock:
            self._requests.clear()

    def __call__(self, environ, start_response):
        from bootstrap.local.strict_http import Request

        path = environ.get("PATH_INFO", "/")
        if path.startswith(ADMIN_PREFIX):
            return self._admin(path[len(ADMIN_PREFIX):].strip("/"), environ, start_response)
        if path.startswith("/moto-api/"):
            return self.app(environ, start_response)
        start = time.monotonic()
        request = Request.of(environ)
        body = b""
        if request.service != "s3":  # the query protocol (STS) names its Action in the body: read it, then put back
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
        if self.latency:
            time.sleep(self.latency)
        answer = self.app(environ, start_response)
        try:
            chunks = list(answer)  # produced in full here, so `end` is when the answer was complete
        finally:
            if hasattr(answer, "close"):
                answer.close()
        with self._lock:
            self._requests.append(Recorded(request.service, _operation(environ, request.service, body),
                                           request.method, path, start, time.monotonic()))
        return chunks

    def _admin(self, action, environ, start_response):
        if action == "requests":
            answer = {"requests": [asdict(request) for request in self.requests]}
        elif action == "clear":
            self.clear()
            answer = {"cleared": True}
        elif action == "config":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            sent = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
            if "latency" in sent:
                self.latency = float(sent["latency"])
            answer = {"latency": self.latency}
        else:
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [json.dumps({"error": f"no such action {action!r}"}).encode()]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(answer).encode()]


class RecordingServer(ThreadServer):
    """moto (optionally behind the strict layer), behind the recorder, served on a thread of this process."""

    def __init__(self, host="127.0.0.1", port=0, latency=0.0, strict=False):
        from bootstrap.local.strict import StrictLayer

        app = moto_app()
        self.recorder = Recorder(StrictLayer(app) if strict else app, latency)
        super().__init__(self.recorder, host, port)


def fetch(endpoint):
    """The requests a recorder at `endpoint` has recorded (a client's view, for benchmarks in another process)."""
    import urllib.request

    with urllib.request.urlopen(f"{endpoint}{ADMIN_PREFIX}requests", timeout=10) as answer:
        return [Recorded(**request) for request in json.loads(answer.read())["requests"]]


def post(endpoint, action, **params):
    import urllib.request

    request = urllib.request.Request(f"{endpoint}{ADMIN_PREFIX}{action}", data=json.dumps(params).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def main(argv=None):
    """`python -m bootstrap.local.recorder -H HOST -p PORT`: serve until SIGTERM/SIGINT."""
    import argparse
    import os
    import signal
    import sys

    parser = argparse.ArgumentParser(prog="python -m bootstrap.local.recorder", description=__doc__.split("\n")[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds every answer is held")
    parser.add_argument("--strict", action="store_true", help="the strict layer between the recorder and moto")
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = RecordingServer(args.host, args.port, args.latency, args.strict)
    print(f"recorder over moto on {server.endpoint}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
