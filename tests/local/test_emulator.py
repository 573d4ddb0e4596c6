"""The embedded emulator: `ecsenv local start|status|stop` as separate processes, and `--local` commands using it."""

import json
import os
import subprocess
import sys

import pytest


def ecsenv(project_dir, *args, env=None):
    environment = dict(env or os.environ)
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        environment.pop(name, None)  # --local must not need any of them
    return subprocess.run([sys.executable, "-m", "bootstrap", "-C", str(project_dir), *args], env=environment,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


@pytest.fixture
def local_project(tmp_path):
    project = tmp_path / "acme"
    project.mkdir()
    yield project
    ecsenv(project, "local", "stop")


def test_local_emulator_outlives_start_and_serves_local_commands(local_project):
    started = ecsenv(local_project, "local", "start")
    assert started.returncode == 0, started.stderr
    record = json.loads((local_project / ".ecsenv" / "local.json").read_text())
    assert record["endpoint"] == f"http://127.0.0.1:{record['port']}"
    assert record["endpoint"] in started.stdout
    assert (local_project / ".ecsenv" / ".gitignore").read_text() == "*\n"

    again = ecsenv(local_project, "local", "start")
    assert again.returncode == 0 and "already running" in again.stdout

    status = ecsenv(local_project, "local", "status")
    assert status.returncode == 0 and record["endpoint"] in status.stdout

    init = ecsenv(local_project, "--local", "init", "--yes")
    assert init.returncode == 0, init.stderr
    assert "AWS account 123456789012" in init.stdout and f"Wrote {local_project}/ecsenv.yaml" in init.stdout
    assert "TLS-only policy" in init.stdout and "left out on the local emulator" in init.stdout
    plan = ecsenv(local_project, "init", "--plan", "--local")  # the option also works after the command
    assert plan.returncode == 0 and "Converged" in plan.stdout
    import boto3

    s3 = boto3.client("s3", endpoint_url=record["endpoint"], region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    s3.put_object(Bucket="acme-tfstate-123456789012", Key="probe", Body=b"state")  # object access works locally
    assert s3.get_object(Bucket="acme-tfstate-123456789012", Key="probe")["Body"].read() == b"state"

    stopped = ecsenv(local_project, "local", "stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert not (local_project / ".ecsenv" / "local.json").exists()
    after = ecsenv(local_project, "local", "status")
    assert after.returncode == 3 and "No local AWS emulator" in after.stdout


def test_local_command_without_a_running_emulator_says_how_to_start_it(local_project):
    result = ecsenv(local_project, "--local", "init", "--yes")
    assert result.returncode == 2
    assert "ecsenv local start" in result.stderr and "Traceback" not in result.stderr
    assert not (local_project / "ecsenv.yaml").exists()


def test_stop_without_an_emulator_is_harmless(local_project):
    result = ecsenv(local_project, "local", "stop")
    assert result.returncode == 0 and "No local AWS emulator was running" in result.stdout


def strict_config(endpoint):
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{endpoint}/strict-api/config", timeout=5) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError:
        return None  # plain moto has no such path


def test_local_start_serves_the_strict_layer_unless_lenient(local_project):
    started = ecsenv(local_project, "local", "start")
    assert started.returncode == 0, started.stderr
    assert "strict" in started.stdout and "--lenient" in started.stdout
    record = json.loads((local_project / ".ecsenv" / "local.json").read_text())
    assert record["strict"] is True
    assert strict_config(record["endpoint"])["deployment_seconds"] > 0  # the recorded endpoint is the layer's
    assert ecsenv(local_project, "local", "stop").returncode == 0

    lenient = ecsenv(local_project, "local", "start", "--lenient")
    assert lenient.returncode == 0, lenient.stderr
    assert "lenient: plain moto" in lenient.stdout
    record = json.loads((local_project / ".ecsenv" / "local.json").read_text())
    assert record["strict"] is False and strict_config(record["endpoint"]) is None
