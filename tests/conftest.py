"""Shared fixtures: a real moto server over HTTP on 127.0.0.1 as the AWS, reset between tests, and a recorder of
every AWS API call the code makes (with optional fault injection on the Nth write).

boto3 reaches the server through its normal endpoint handling (AWS_ENDPOINT_URL); nothing is mocked in-process."""

import logging
import os
import shutil
import socket
import subprocess
import textwrap
import urllib.request

import pytest

ACCOUNT = "123456789012"
READ_PREFIXES = ("Get", "Head", "List", "Describe", "Scan", "Query")


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint():
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request would bury test output
    os.environ.setdefault("MOTO_ECS_SERVICE_RUNNING", "1")
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def post(url, body=b""):
    # text/plain: a form content type would make the server parse the body away (moto reads the raw data)
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "text/plain"})
    urllib.request.urlopen(request, timeout=10).read()


@pytest.fixture
def aws_env(moto_endpoint, monkeypatch, tmp_path):
    """Point boto3 (and child processes) at the emulator with dummy credentials and no real AWS config."""
    post(f"{moto_endpoint}/moto-api/reset-auth", b"inf")
    post(f"{moto_endpoint}/moto-api/reset")
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    yield moto_endpoint
    post(f"{moto_endpoint}/moto-api/reset-auth", b"inf")


@pytest.fixture
def boto(aws_env):
    """boto3 clients for the test's own setup and assertions."""
    import boto3

    class Clients:
        def __getattr__(self, service):
            return boto3.client(service, region_name="us-east-1")

        def client(self, service, region="us-east-1"):
            return boto3.client(service, region_name=region)

    return Clients()


class InjectedFault(Exception):
    pass


class ApiRecorder:
    """Every API call made through botocore, in order; can fail the Nth write instead of sending it."""

    def __init__(self):
        self.calls = []
        self.fail_on_write = None  # 1-based index of the write call to fail
        self._writes = 0

    @staticmethod
    def is_read(operation):
        return operation.startswith(READ_PREFIXES)

    @property
    def writes(self):
        return [op for op in self.calls if not self.is_read(op)]

    def clear(self, fail_on_write=None):
        self.calls.clear()
        self._writes = 0
        self.fail_on_write = fail_on_write

    def before(self, operation):
        self.calls.append(operation)
        if not self.is_read(operation):
            self._writes += 1
            if self.fail_on_write == self._writes:
                from botocore.exceptions import ClientError

                raise ClientError({"Error": {"Code": "InternalError", "Message": "injected fault"},
                                   "ResponseMetadata": {"HTTPStatusCode": 500}}, operation)


@pytest.fixture
def api_calls(monkeypatch):
    """Record (and optionally fail) the API calls of code under test. The calls still go to the emulator."""
    from botocore.client import BaseClient

    recorder = ApiRecorder()
    real = BaseClient._make_api_call

    def recording(client, operation_name, api_params):
        recorder.before(operation_name)
        return real(client, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    return recorder


@pytest.fixture
def project_dir(tmp_path, monkeypatch):
    path = tmp_path / "acme"
    path.mkdir()
    monkeypatch.chdir(path)
    return path


def write_answers(directory, text, name="answers.yaml"):
    path = directory / name
    path.write_text(text)
    return str(path)


def terraform_or_skip():
    binary = shutil.which("terraform")
    if binary:
        return binary
    reason = "terraform is not on PATH"
    if os.environ.get("ECSENV_REQUIRE_TERRAFORM"):
        pytest.fail(f"{reason}, but ECSENV_REQUIRE_TERRAFORM is set (CI must run the terraform tests)")
    print(f"SKIP: {reason}")
    pytest.skip(reason)


@pytest.fixture
def terraform(aws_env, tmp_path):
    """Run real terraform against the emulator: terraform(root_dir, *args, expect=exit_code)."""
    binary = terraform_or_skip()
    cli_config = tmp_path / "terraform.rc"
    mirror = os.environ.get("ECSENV_TF_PROVIDER_MIRROR")
    # Only a filesystem mirror: no registry is reachable here, so terraform never tries the network. Roots that
    # need no provider (terraform_data is built in) work without one.
    cli_config.write_text(textwrap.dedent(f"""\
        provider_installation {{
          filesystem_mirror {{
            path = "{mirror or tmp_path / 'no-mirror'}"
          }}
        }}
        """))
    env = dict(os.environ, TF_CLI_CONFIG_FILE=str(cli_config), TF_IN_AUTOMATION="1", NO_COLOR="1",
               AWS_ENDPOINT_URL_S3=aws_env, AWS_ENDPOINT_URL_DYNAMODB=aws_env, AWS_ENDPOINT_URL_STS=aws_env,
               AWS_REGION="us-east-1")

    def run(root, *args, expect=0):
        result = subprocess.run([binary, f"-chdir={root}", *args], env=env, capture_output=True, text=True,
                                timeout=300, stdin=subprocess.DEVNULL)
        assert result.returncode == expect, f"terraform {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result

    return run
