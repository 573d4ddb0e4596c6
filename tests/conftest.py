"""Shared fixtures: a real moto server over HTTP on 127.0.0.1 as the AWS, reset between tests, and a recorder of
every AWS API call the code makes (with optional fault injection on the Nth write).

boto3 reaches the server through its normal endpoint handling (AWS_ENDPOINT_URL); nothing is mocked in-process."""

import logging
import os
import shutil
import socket
import subprocess
import threading
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


def point_at_emulator(endpoint, monkeypatch, tmp_path):
    """boto3 (and child processes) at `endpoint` with dummy credentials and no real AWS config."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


@pytest.fixture
def aws_env(moto_endpoint, monkeypatch, tmp_path):
    """Point boto3 (and child processes) at the emulator with dummy credentials and no real AWS config."""
    post(f"{moto_endpoint}/moto-api/reset-auth", b"inf")
    post(f"{moto_endpoint}/moto-api/reset")
    point_at_emulator(moto_endpoint, monkeypatch, tmp_path)
    yield moto_endpoint
    post(f"{moto_endpoint}/moto-api/reset-auth", b"inf")


# The strict layer (bootstrap/local/strict.py): moto behind a WSGI layer that answers as the real APIs document
# where moto does not (10-service DescribeServices, ECS deployments IN_PROGRESS -> COMPLETED / FAILED + rollback,
# PITR unavailable just after CreateTable, NoSuchBucket just after CreateBucket). Same process, same moto state as
# moto_endpoint. Timings are short so a test waits well under a second for each behaviour.
STRICT_TIMINGS = {"deployment_seconds": 0.3, "pitr_seconds": 0.2, "bucket_seconds": 0.2}


@pytest.fixture(scope="session")
def strict_endpoint(moto_endpoint):
    """The strict layer's endpoint (use it instead of moto_endpoint; strict_env points boto3 at it)."""
    from bootstrap.local.strict_server import StrictServer
    from bootstrap.local.strict_time import Timings

    server = StrictServer("127.0.0.1", 0, Timings(**STRICT_TIMINGS)).start()
    yield server.endpoint
    server.stop()


def strict_api(endpoint, action, **params):
    """Call one of the strict layer's admin endpoints (config, fail-next-deployment, throttle, deny, reset)."""
    import json

    request = urllib.request.Request(f"{endpoint}/strict-api/{action}", data=json.dumps(params).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


@pytest.fixture
def strict_env(strict_endpoint, monkeypatch, tmp_path):
    """aws_env, through the strict layer: moto reset, the layer reset to STRICT_TIMINGS, boto3 pointed at it."""
    post(f"{strict_endpoint}/moto-api/reset-auth", b"inf")
    post(f"{strict_endpoint}/moto-api/reset")
    strict_api(strict_endpoint, "reset")
    point_at_emulator(strict_endpoint, monkeypatch, tmp_path)
    yield strict_endpoint
    post(f"{strict_endpoint}/moto-api/reset-auth", b"inf")


# The recording layer (bootstrap/local/recorder.py): moto behind a WSGI layer noting each request's arrival and
# completion, every answer held RECORDER_LATENCY seconds (as a nearby AWS region takes) so that requests sent side by
# side surely overlap: the request and sequential-step counts are then the same run after run, and can be asserted.
RECORDER_LATENCY = 0.25


@pytest.fixture(scope="session")
def recorder_server(moto_endpoint):
    from bootstrap.local.recorder import RecordingServer

    server = RecordingServer("127.0.0.1", 0, latency=RECORDER_LATENCY).start()
    yield server
    server.stop()


@pytest.fixture
def recorded(recorder_server, monkeypatch, tmp_path):
    """aws_env through the recording layer: moto reset, boto3 pointed at the recorder; yields the Recorder
    (.requests, .clear(); bootstrap.local.recorder.sequential_steps counts the round trips)."""
    endpoint = recorder_server.endpoint
    post(f"{endpoint}/moto-api/reset-auth", b"inf")
    post(f"{endpoint}/moto-api/reset")
    point_at_emulator(endpoint, monkeypatch, tmp_path)
    recorder_server.recorder.clear()
    yield recorder_server.recorder
    post(f"{endpoint}/moto-api/reset-auth", b"inf")


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
        self._lock = threading.Lock()  # calls come from several threads (a command's concurrent writes)

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
        with self._lock:
            self.calls.append(operation)
            failing = not self.is_read(operation) and self._count_write()
        if failing:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "InternalError", "Message": "injected fault"},
                               "ResponseMetadata": {"HTTPStatusCode": 500}}, operation)

    def _count_write(self):
        self._writes += 1
        return self.fail_on_write == self._writes


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


def mirror_or_skip(required=True):
    """The offline provider mirror (ECSENV_TF_PROVIDER_MIRROR); skips (or, in CI, fails) when a test needs it and
    it is not there. required=False: None instead, for roots that use only terraform's built-ins."""
    mirror = os.environ.get("ECSENV_TF_PROVIDER_MIRROR")
    if mirror or not required:
        return mirror
    reason = ("ECSENV_TF_PROVIDER_MIRROR is not set (the offline mirror holding the hashicorp/aws provider; "
              "`make test` finds it as `make demo` does, with scripts/provider-mirror.sh)")
    if os.environ.get("ECSENV_REQUIRE_TERRAFORM"):
        pytest.fail(f"{reason}, but ECSENV_REQUIRE_TERRAFORM is set (CI must run the terraform tests)")
    print(f"SKIP: {reason}")
    pytest.skip(reason)


def mirror_cli_config(directory, mirror):
    """A terraform CLI config that installs providers from the mirror only: no registry is reachable here, so
    terraform never tries the network. Returns its path."""
    path = os.path.join(directory, "terraform.rc")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n  }}\n}}\n')
    return path


def terraform_runner(env, mirror_required=False, tmp_path=None):
    """run(root, *args, expect=0) -> CompletedProcess: real terraform in automation mode, the provider from the
    mirror; asserts the exit code, showing terraform's output when it differs."""
    binary = terraform_or_skip()
    mirror = mirror_or_skip(required=mirror_required)
    if mirror:
        cli_config = mirror_cli_config(str(tmp_path), mirror)
    else:
        # Roots using only terraform's built-ins install nothing: an empty CLI config (never a mirror folder that
        # does not exist) keeps the user's own config out of the tests.
        cli_config = os.path.join(str(tmp_path), "empty.rc")
        open(cli_config, "w", encoding="utf-8").close()
    env = dict(os.environ, TF_IN_AUTOMATION="1", NO_COLOR="1", **env, TF_CLI_CONFIG_FILE=cli_config)

    def run(root, *args, expect=0):
        result = subprocess.run([binary, f"-chdir={root}", *args], env=env, capture_output=True, text=True,
                                timeout=300, stdin=subprocess.DEVNULL)
        assert result.returncode == expect, (f"terraform {' '.join(args)} exited {result.returncode}, not "
                                             f"{expect}:\n{result.stdout}\n{result.stderr}")
        return result

    return run


def _emulator_terraform_env(endpoint):
    return {"AWS_ENDPOINT_URL_S3": endpoint, "AWS_ENDPOINT_URL_DYNAMODB": endpoint, "AWS_ENDPOINT_URL_STS": endpoint,
            "AWS_REGION": "us-east-1"}


@pytest.fixture
def terraform(aws_env, tmp_path):
    """Real terraform against the emulator (backends and roots without providers): terraform(root, *args)."""
    return terraform_runner(_emulator_terraform_env(aws_env), tmp_path=tmp_path)


@pytest.fixture
def provider_terraform(aws_env, tmp_path):
    """`terraform` for roots that need the hashicorp/aws provider: from the offline mirror, or the test skips (with
    the reason printed; CI fails instead)."""
    return terraform_runner(_emulator_terraform_env(aws_env), mirror_required=True, tmp_path=tmp_path)


@pytest.fixture
def strict_terraform(strict_env, tmp_path):
    """`terraform`, through the strict layer."""
    return terraform_runner(_emulator_terraform_env(strict_env), tmp_path=tmp_path)


class LocalProject:
    """A copy of this repository's tracked files in its own git repository, with its own embedded emulator
    (`ecsenv local start`), driven through the ecsenv console script as a user runs it. The emulator's account is
    `account` (moto's MOTO_ACCOUNT_ID, read by the server process `local start` spawns)."""

    REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    def __init__(self, directory, account, mirror, aux):
        import sys

        self.dir = directory
        self.ecsenv = os.path.join(os.path.dirname(sys.executable), "ecsenv")
        self.env = {name: value for name, value in os.environ.items()
                    if not name.startswith(("AWS_", "TF_", "GIT_")) and name != "MOTO_ACCOUNT_ID"}
        self.env.update(MOTO_ACCOUNT_ID=account, TF_IN_AUTOMATION="1", NO_COLOR="1",
                        TF_CLI_CONFIG_FILE=mirror_cli_config(str(aux), mirror),
                        GIT_AUTHOR_NAME="fork", GIT_AUTHOR_EMAIL="fork@example.invalid",
                        GIT_COMMITTER_NAME="fork", GIT_COMMITTER_EMAIL="fork@example.invalid")

    def copy_repository(self):
        """The repository's tracked files (as in this checkout), committed as the fork's first commit."""
        tracked = self.git_in(self.REPO, "ls-files", "-z").split("\0")
        for name in filter(None, tracked):
            source = os.path.join(self.REPO, name)
            if os.path.isfile(source):  # a file deleted in this checkout but not yet in the index is not copied
                os.makedirs(os.path.dirname(os.path.join(self.dir, name)), exist_ok=True)
                shutil.copy2(source, os.path.join(self.dir, name))
        self.git("init", "-q", "-b", "main")
        return self.commit("fork")

    def git_in(self, directory, *args):
        result = subprocess.run(["git", "-C", str(directory), *args], capture_output=True, text=True,
                                env=self.env, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def git(self, *args):
        return self.git_in(self.dir, *args).strip()

    def commit(self, message):
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def run(self, *args, expect=(0,), stdin=None):
        """`ecsenv -C DIR ARGS...`; asserts the exit code is one of `expect`, showing the output when not."""
        result = subprocess.run([self.ecsenv, "-C", str(self.dir), *args], env=self.env, capture_output=True,
                                text=True, timeout=600, input=stdin if stdin is not None else "")
        assert result.returncode in expect, (f"ecsenv {' '.join(args)} exited {result.returncode}:\n"
                                             f"{result.stdout[-6000:]}\n{result.stderr[-3000:]}")
        return result

    def emulator_client(self, service, region):
        import json

        import boto3

        with open(os.path.join(self.dir, ".ecsenv", "local.json"), encoding="utf-8") as handle:
            endpoint = json.load(handle)["endpoint"]
        return boto3.client(service, endpoint_url=endpoint, region_name=region, aws_access_key_id="testing",
                            aws_secret_access_key="testing")

    def stop(self):
        subprocess.run([self.ecsenv, "-C", str(self.dir), "local", "stop"], env=self.env, capture_output=True,
                       timeout=60)


@pytest.fixture
def local_project(tmp_path):
    """local_project(account) -> LocalProject in tmp_path/project, its emulator started; stopped afterwards.
    copy=False: an empty git repository instead of a copy of this one (a first-time setup)."""
    terraform_or_skip()
    mirror = mirror_or_skip()
    started = []

    def make(account, copy=True):
        directory = tmp_path / "project"
        directory.mkdir()
        project = LocalProject(directory, account, mirror, tmp_path)
        if copy:
            project.copy_repository()
        else:
            project.git("init", "-q", "-b", "main")
        started.append(project)
        project.run("local", "start")
        return project

    yield make
    for project in started:
        project.stop()
