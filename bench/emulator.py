"""The local emulator the benchmarks measure against: a moto server subprocess on 127.0.0.1 whose request log
can be read to count what a command asked of AWS. Shared by every script in bench/."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

PYTHON = sys.executable


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# One werkzeug line per HTTP request, e.g.  127.0.0.1 - - [...] "GET /bucket?versioning HTTP/1.1" 200 -
REQUEST_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3})')


class Emulator:
    """A moto server subprocess whose request log we read to count the HTTP requests a command made."""

    def __init__(self, log_path, env=None):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self._process = subprocess.Popen([PYTHON, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                                         stdout=self._log, stderr=subprocess.STDOUT,
                                         env=dict(os.environ, MOTO_ECS_SERVICE_RUNNING="1", **(env or {})))

    def wait_ready(self, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"moto server exited early (code {self._process.returncode}); see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=3):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        raise RuntimeError(f"moto server did not answer within {timeout:.0f}s; see {self.log_path}")

    def stop(self):
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._log.close()

    def log_offset(self):
        return os.path.getsize(self.log_path)

    def requests_since(self, offset):
        """The (method, path) of every AWS request logged after `offset`, our own /moto-api/ probes left out.

        The server writes a request's log line just after sending the response, so a client that has exited may
        be a line ahead of the log. We send a uniquely marked probe and wait until its line shows up."""
        marker = uuid.uuid4().hex
        with urllib.request.urlopen(f"{self.endpoint}/moto-api/?bench-marker={marker}", timeout=5):
            pass
        deadline = time.monotonic() + 5
        while True:
            text = Path(self.log_path).read_bytes()[offset:].decode("utf-8", "replace")
            if marker in text or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        requests = []
        for line in text.splitlines():
            match = REQUEST_LINE.search(line)
            if match and not match["path"].startswith("/moto-api/"):
                requests.append((match["method"], match["path"]))
        return requests
