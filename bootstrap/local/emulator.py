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
from bootstrap.project import files, layout

STATE_DIR = layout.STATE_DIR
STATE_FILE = "local.json"
LOG_FILE = "local.log"
DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
DEFAULT_REGION = "us-east-1"
SERVER_MODULES = ("moto.server", "bootstrap.local.strict")  # what `python -m <module> -H 127.0.0.1 -p PORT` runs
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


class CorruptRecord(UserError):
    """.ecsenv/local.json is not a record ecsenv wrote (truncated, edited, or another file)."""


def _delete_hint(project_dir):
    return ("if no emulator of this project runs (`-m moto.server` or `-m bootstrap.local.strict` in `ps aux`), "
            f"delete {state_path(project_dir)} and run `ecsenv local start`")


def read_state(project_dir):
    """The recorded emulator {pid, port, endpoint}, or None when there is no record; CorruptRecord when the file
    is not one ecsenv wrote (a link is refused by files.read_text)."""
    path = state_path(project_dir)
    text = files.read_text(path, project_dir)
    if text is None:
        return None
    try:
        state = json.loads(text)
    except ValueError:
        state = None
    port = state.get("port") if isinstance(state, dict) else None
    if (not isinstance(state, dict) or not _is_int(state.get("pid")) or state["pid"] <= 1 or not _is_int(port)
            or not 0 < port < 65536 or state.get("endpoint") != f"http://127.0.0.1:{port}"):
        raise CorruptRecord(f"{path} is not an emulator record ecsenv wrote; {_delete_hint(project_dir)}")
    return state


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _write_state(project_dir, state):
    files.write_text(state_path(project_dir), json.dumps(state), project_dir, private=True)


def _command_line(pid):
    """The process's argv (Linux /proc, else ps), or None when it does not exist or cannot be read."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return [part.decode("utf-8", "replace") for part in handle.read().split(b"\0") if part]
    except FileNotFoundError:
        if os.path.isdir("/proc/self"):
            return None
    except OSError:
        return None
    try:
        result = subprocess.run(["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.split() if result.returncode == 0 and result.stdout.strip() else None


def _is_server(argv):
    return bool(argv) and "-m" in argv and any(module in argv for module in SERVER_MODULES) and "-p" in argv


def _serves_port(argv, port):
    """Whether argv is the server ecsenv starts (`<python> -m moto.server|bootstrap.local.strict -H 127.0.0.1 -p
    PORT`), on port."""
    if not _is_server(argv):
        return False
    try:
        return argv[argv.index("-p") + 1] == str(port)
    except (ValueError, IndexError):
        return False


def _is_this_projects(pid, project_dir):
    """The emulator runs in the project's .ecsenv/ (its working directory), which tells it from another project's.
    Unknown (True) where /proc is not available."""
    try:
        return os.path.realpath(f"/proc/{pid}/cwd") == os.path.realpath(os.path.join(project_dir, STATE_DIR))
    except OSError:
        return not os.path.isdir("/proc/self")


def is_ours(state, project_dir):
    """Whether the recorded pid really is this project's emulator: checked before it is ever signalled (a pid
    from a stale or edited record may belong to anything by now)."""
    return _serves_port(_command_line(state["pid"]), state["port"]) and _is_this_projects(state["pid"], project_dir)


def _find_running(project_dir):
    """This project's emulator found by its process (argv and working directory), whatever the record says; None
    when there is none or processes cannot be listed (no /proc)."""
    if not os.path.isdir("/proc/self"):
        return None
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        argv = _command_line(int(entry))
        if not _is_server(argv):
            continue
        port = argv[argv.index("-p") + 1] if argv.index("-p") + 1 < len(argv) else ""
        if port.isdigit() and _is_this_projects(int(entry), project_dir):
            return {"pid": int(entry), "port": int(port), "endpoint": f"http://127.0.0.1:{port}",
                    "strict": "bootstrap.local.strict" in argv}
    return None


def status(project_dir):
    """This project's emulator if it runs (the record checked against the process; a corrupt or stale record
    repaired from the running process), else None. CorruptRecord when the record is corrupt and no emulator of
    this project can be found."""
    try:
        state = read_state(project_dir)
    except CorruptRecord:
        found = _find_running(project_dir)
        if found is None:
            raise
        _write_state(project_dir, found)  # repaired: the next command needs no scan
        return found
    if state is not None and is_ours(state, project_dir) and is_serving(state["endpoint"]):
        return state
    found = _find_running(project_dir)  # the record is stale, or missing, while one may still run
    if found is not None and is_serving(found["endpoint"]):
        _write_state(project_dir, found)
        return found
    return None


def start(project_dir, lenient=False):
    """Start the emulator unless one already answers; return (state, started_now)."""
    running = status(project_dir)
    if running:
        return running, False
    import importlib.util

    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:  # moto[server]
        raise UserError("the local emulator needs moto's server: pip install 'ecsenv[local]'") from None
    directory = os.path.abspath(layout.ensure(project_dir))
    files.check_writable(project_dir, [state_path(project_dir)])  # before a process exists that nothing records
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    # moto runs no containers: it reports this many running tasks for each new service. Two covers the stack's
    # desired counts (1 in staging, 2 in production), so rollouts complete as they would on AWS.
    env = dict(os.environ, MOTO_ECS_SERVICE_RUNNING="2")
    # It runs in .ecsenv/, so the directory holding this package goes on its path (a checkout run without installing)
    package_parent = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (package_parent, os.environ.get("PYTHONPATH"))))
    server = "moto.server" if lenient else "bootstrap.local.strict"  # the same -H/-p options
    # The log can hold request data (state, secrets set locally): private, like the record.
    with files.open_private_log(os.path.join(directory, LOG_FILE), project_dir) as log:
        process = subprocess.Popen(
            [sys.executable, "-m", server, "-H", "127.0.0.1", "-p", str(port)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
            cwd=directory,  # how `local stop` and a repair recognise this project's emulator
            start_new_session=True,  # not killed with the terminal session or the command that started it
        )
    deadline = time.monotonic() + START_TIMEOUT
    while not is_serving(endpoint):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise OperationFailed(f"the local emulator did not start; see {os.path.join(STATE_DIR, LOG_FILE)}")
        time.sleep(0.1)
    state = {"pid": process.pid, "port": port, "endpoint": endpoint, "strict": not lenient}
    _write_state(project_dir, state)
    return state, True


def stop(project_dir):
    """Stop this project's emulator: (its state or None, the pid of a stale record that was not it, or None).
    Only a process that is this project's moto server is ever signalled."""
    try:
        state = read_state(project_dir)
    except CorruptRecord:
        state = _find_running(project_dir)
        if state is None:
            raise
        stale = None
    else:
        stale = None
        if state is not None and not is_ours(state, project_dir):
            stale, state = state["pid"], _find_running(project_dir)
        elif state is None:
            state = _find_running(project_dir)
    if state is not None:
        _terminate(state["pid"])
    files.remove(state_path(project_dir), project_dir)
    return state, stale


def _terminate(pid):
    try:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
    except ProcessLookupError:
        pass


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
