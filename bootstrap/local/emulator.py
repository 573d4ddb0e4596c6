"""The embedded local AWS emulator: a moto server on 127.0.0.1 that outlives the command that started it.

By default moto is served behind the strict layer (bootstrap/local/strict.py), which answers as the AWS APIs document
where moto is lenient: ECS rollouts take a few seconds (PRIMARY IN_PROGRESS, then COMPLETED), a new table's PITR and
a new bucket's configuration are briefly unavailable, DescribeServices takes ten services. `lenient=True` (`ecsenv
local start --lenient`) serves plain moto.

Its endpoint is recorded in `.ecsenv/local.json` under the project directory; `ecsenv --local ...` reads it and points
botocore (and terraform) at it with dummy credentials.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time

from bootstrap.errors import OperationFailed, UserError
from bootstrap.project import layout

STATE_DIR = layout.STATE_DIR
STATE_FILE = "local.json"
LOG_FILE = "local.log"
DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
DEFAULT_REGION = "us-east-1"
START_TIMEOUT = 30.0


def state_path(project_dir):
    return os.path.join(project_dir, STATE_DIR, STATE_FILE)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def is_serving(endpoint, timeout=3.0):
    import urllib.error  # here, not at the top: every --local command imports this module
    import urllib.request

    try:
        # The dashboard page: static, so it answers at once however much the emulator holds (data.json would
        # serialise every resource).
        with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=timeout):
            return True
    except (urllib.error.URLError, OSError, ValueError):
        return False


def read_state(project_dir):
    try:
        with open(state_path(project_dir), encoding="utf-8") as handle:
            return json.load(handle)
    except (FileNotFoundError, ValueError):
        return None


def status(project_dir):
    """The recorded emulator if it answers, else None (a stale record is ignored)."""
    state = read_state(project_dir)
    if state and is_serving(state["endpoint"]):
        return state
    return None


def start(project_dir, lenient=False):
    """Start the emulator unless one already answers; return (state, started_now)."""
    running = status(project_dir)
    if running:
        return running, False
    import importlib.util

    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:  # moto[server]
        raise UserError("the local emulator needs moto's server: pip install 'ecsenv[local]'") from None
    layout.ensure(project_dir)
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    # moto runs no containers: it reports this many running tasks for each new service. Two covers the stack's
    # desired counts (1 in staging, 2 in production), so rollouts complete as they would on AWS.
    env = dict(os.environ, MOTO_ECS_SERVICE_RUNNING="2")
    server = "moto.server" if lenient else "bootstrap.local.strict"  # the same -H/-p options
    with open(os.path.join(project_dir, STATE_DIR, LOG_FILE), "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", server, "-H", "127.0.0.1", "-p", str(port)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
            start_new_session=True,  # not killed with the terminal session or the command that started it
        )
    deadline = time.monotonic() + START_TIMEOUT
    while not is_serving(endpoint):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise OperationFailed(f"the local emulator did not start; see {os.path.join(STATE_DIR, LOG_FILE)}")
        time.sleep(0.1)
    state = {"pid": process.pid, "port": port, "endpoint": endpoint, "strict": not lenient}
    with open(state_path(project_dir), "w", encoding="utf-8") as handle:
        json.dump(state, handle)
    return state, True


def stop(project_dir):
    """Stop the recorded emulator; return its state, or None when none was recorded."""
    state = read_state(project_dir)
    if state is None:
        return None
    try:
        os.kill(state["pid"], signal.SIGTERM)
        deadline = time.monotonic() + 5
        while _alive(state["pid"]) and time.monotonic() < deadline:
            time.sleep(0.05)
    except ProcessLookupError:
        pass
    os.unlink(state_path(project_dir))
    return state


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # reap it if it is our child, so it does not linger as a zombie
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:
        return True


def endpoint_for(project_dir):
    """The endpoint of this project's running emulator (UserError when none runs)."""
    state = status(project_dir)
    if state is None:
        raise UserError("no local emulator is running for this project: start it with `ecsenv local start`")
    return state["endpoint"]
