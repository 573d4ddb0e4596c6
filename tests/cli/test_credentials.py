"""Missing credentials, an unreachable endpoint, throttling: the same one line and exit code from EVERY command that
uses AWS (discovered from the parser), before it prints anything; never a botocore class name."""

import http.server
import json
import re
import socket
import threading

import pytest
from test_contract import LEAVES, _required, _uses_aws, make_project, run

from bootstrap.aws import NO_CREDENTIALS, translate

AWS_COMMANDS = {path: parser for path, parser in LEAVES.items() if _uses_aws(parser)}
IDS = [" ".join(path) for path in AWS_COMMANDS]


# apply refuses (no git commit, no saved plan) before it reaches AWS: only the credential check comes first
REACH_AWS = [path for path in AWS_COMMANDS if path != ("apply",)]


def committed(project):
    """plan ties a plan to a commit: the project as a git repository with one."""
    import subprocess

    for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "project"]):
        subprocess.run(["git", "-C", str(project), *args], check=True, capture_output=True)


def argv_for(path):
    argv = _required(path, AWS_COMMANDS[path])
    if path == ("promote",):
        argv[argv.index("staging")] = "production"  # the environment that promotes from another
    if path == ("run",):
        return argv + ["--", "bin/migrate"]
    if path == ("deploy",) and "--sha" not in argv:  # --sha or --force-unlock: a group _required cannot see
        return argv + ["--sha", "0123456789abcdef0123456789abcdef01234567"]
    if path == ("env", "remove"):
        return argv + ["--yes", "--confirm", "production"]
    if path == ("tf",):
        committed(".")
        return argv + ["--", "state", "list"]
    if path == ("plan",):
        committed(".")
    return argv + ["--yes"] if path == ("init",) else argv


@pytest.fixture
def no_aws_config(monkeypatch, tmp_path):
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_ACCESS_KEY_ID",
                 "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance metadata to ask (and wait for)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # one attempt: the message, not botocore's back-off, is tested
    project = make_project(tmp_path)
    monkeypatch.chdir(project)
    assert run(["render"])[0] == 0  # the backend configs plan and drift check before they run terraform
    return project


def assert_one_line(code, out, err, expected_code, pattern):
    assert code == expected_code, f"exit {code}\n{out}\n{err}"
    assert out == "", f"printed before failing:\n{out}"
    assert len(err.strip().splitlines()) == 1 and re.search(pattern, err), err
    assert "UserError" not in err and "botocore" not in err
    assert not re.search(r"\b(NoCredentials|EndpointConnection|ClientError|ConnectTimeout)\w*", err), err


@pytest.mark.parametrize("path", AWS_COMMANDS, ids=IDS)
def test_missing_credentials(path, no_aws_config):
    code, out, err = run(argv_for(path), b"s3cr3t\n")
    assert_one_line(code, out, err, 2, "^" + re.escape(f"ecsenv: error: {NO_CREDENTIALS}") + "$")


@pytest.mark.parametrize("path", REACH_AWS, ids=[" ".join(path) for path in REACH_AWS])
def test_unreachable_endpoint(path, no_aws_config, monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nothing listens there
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    code, out, err = run(argv_for(path), b"s3cr3t\n")
    assert_one_line(code, out, err, 1, r"^ecsenv: error: cannot reach AWS \(http://127\.0\.0\.1:\d+/?\S*\): check "
                                       r"the network, AWS_ENDPOINT_URL and the region; nothing more was done$")


class _Throttling(http.server.BaseHTTPRequestHandler):
    """Answers every request the way a throttled AWS API does, in the request's protocol."""

    def _any(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if "json" in (self.headers.get("Content-Type") or ""):
            body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
            headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": "ThrottlingException"}
        else:
            body = (b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded"
                    b"</Message></Error><RequestId>1</RequestId></ErrorResponse>")
            headers = {"Content-Type": "text/xml"}
        self.send_response(400)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _any

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def throttling_endpoint():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Throttling)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize("path", REACH_AWS, ids=[" ".join(path) for path in REACH_AWS])
def test_throttling(path, no_aws_config, monkeypatch, throttling_endpoint):
    monkeypatch.setenv("AWS_ENDPOINT_URL", throttling_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    code, out, err = run(argv_for(path), b"s3cr3t\n")
    assert_one_line(code, out, err, 1, r"^ecsenv: error: AWS is throttling the requests \((Throttling|"
                                       r"ThrottlingException)\), even after retries: wait a minute and run the "
                                       r"command again$")


def test_translate_knows_expired_credentials():
    from botocore.exceptions import ClientError

    expired = ClientError({"Error": {"Code": "ExpiredToken", "Message": "The security token included in the "
                                     "request is expired"}}, "GetCallerIdentity")
    assert str(translate(expired)).startswith("AWS rejected the credentials (ExpiredToken): refresh them")
    assert translate(ClientError({"Error": {"Code": "NoSuchKey"}}, "GetObject")) is None
