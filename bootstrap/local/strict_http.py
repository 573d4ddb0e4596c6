"""WSGI plumbing for the strict layer (strict.py): who a request is for (its SigV4 scope, its JSON operation, its S3
bucket and key), reading a body without taking it from moto, calling moto for an answer to rewrite, and AWS's error
answers in each protocol (JSON, S3's XML, the query protocol's and EC2's)."""

import io
import json
import re
import uuid
from dataclasses import dataclass

SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


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


def json_body(body):
    """A JSON request or answer body as a dict ({} when it is not one)."""
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


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


def subresources(query):
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
