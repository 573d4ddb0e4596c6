"""`local stop` signals only this project's emulator; a corrupt record never leads to a second emulator while the
first runs; a restart says the emulated account starts empty; the record and log are private."""

import json
import os
import stat
import subprocess
import sys
import time

import pytest


def ecsenv(project_dir, *args):
    environment = dict(os.environ)
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        environment.pop(name, None)
    return subprocess.run([sys.executable, "-m", "bootstrap", "-C", str(project_dir), *args], env=environment,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def moto_servers(project):
    """pids of moto servers running in this project's .ecsenv/ (how ecsenv recognises its own)."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            argv = open(f"/proc/{entry}/cmdline", "rb").read().split(b"\0")
            cwd = os.readlink(f"/proc/{entry}/cwd")
        except OSError:
            continue
        server = b"moto.server" in argv or b"bootstrap.local.strict" in argv  # plain moto, or behind the strict layer
        if server and cwd == os.path.realpath(project / ".ecsenv"):
            found.append(int(entry))
    return found


@pytest.fixture
def project(tmp_path):
    path = tmp_path / "acme"
    path.mkdir()
    yield path
    ecsenv(path, "local", "stop")
    for pid in moto_servers(path):  # whatever a failing test left behind
        os.kill(pid, 15)


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="the process checks read /proc")
def test_stop_never_signals_a_process_that_is_not_the_emulator(project):
    """The field report's repro: a record naming an unrelated process."""
    bystander = subprocess.Popen(["sleep", "600"])
    try:
        (project / ".ecsenv").mkdir()
        (project / ".ecsenv" / "local.json").write_text(json.dumps(
            {"pid": bystander.pid, "port": 1, "endpoint": "http://127.0.0.1:1"}))
        result = ecsenv(project, "local", "stop")
        assert result.returncode == 0, result.stderr
        assert f"pid {bystander.pid}, which is not this project's emulator: not signalled" in result.stdout
        time.sleep(0.2)
        assert bystander.poll() is None  # still running
        assert not (project / ".ecsenv" / "local.json").exists()
    finally:
        bystander.kill()
        bystander.wait()


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="finding the emulator by its process reads /proc")
def test_a_corrupt_record_never_leads_to_a_second_emulator(project):
    started = ecsenv(project, "local", "start")
    assert started.returncode == 0, started.stderr
    record = json.loads((project / ".ecsenv" / "local.json").read_text())
    (project / ".ecsenv" / "local.json").write_text('{"pid": ')  # truncated

    status = ecsenv(project, "local", "status")
    assert status.returncode == 0 and record["endpoint"] in status.stdout
    (project / ".ecsenv" / "local.json").write_text("{")
    again = ecsenv(project, "local", "start")
    assert again.returncode == 0 and "already running" in again.stdout and record["endpoint"] in again.stdout
    assert moto_servers(project) == [record["pid"]]  # one emulator, the first

    (project / ".ecsenv" / "local.json").write_text("[]")
    stopped = ecsenv(project, "local", "stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    for _ in range(50):
        if not moto_servers(project):
            break
        time.sleep(0.1)
    assert moto_servers(project) == []


def test_a_corrupt_record_with_nothing_running_says_what_to_delete(project):
    (project / ".ecsenv").mkdir()
    (project / ".ecsenv" / "local.json").write_text('{"pid": 1}')
    for action in ("start", "stop", "status"):
        result = ecsenv(project, "local", action)
        assert result.returncode == 2 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert f"delete {project}/.ecsenv/local.json" in result.stderr
    assert moto_servers(project) == []


def test_restart_says_the_emulated_account_starts_empty_and_files_are_private(project):
    (project / "ecsenv.yaml").write_text("project: acme\n")  # this project ran init once
    started = ecsenv(project, "local", "start")
    assert started.returncode == 0, started.stderr
    assert "starts empty: run `ecsenv --local init`" in started.stdout
    for name in ("local.json", "local.log"):
        assert stat.S_IMODE(os.stat(project / ".ecsenv" / name).st_mode) == 0o600
    stopped = ecsenv(project, "local", "stop")
    assert "what it held is gone" in stopped.stdout
