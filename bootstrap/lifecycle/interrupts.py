"""Interrupts while terraform runs. Terraform runs in a process group of its own, so a Ctrl-C at the terminal
reaches ecsenv only. While terraform runs, SIGINT, SIGTERM (a cancelled CI job) and SIGHUP (a closed terminal) are not
allowed to end ecsenv: each is passed on to terraform as SIGINT and ecsenv keeps reading terraform's output until
terraform has exited. On the first SIGINT terraform stops gracefully: it lets running operations finish, writes the
state and releases the lock. A second one makes terraform exit at once (its own "force" behaviour, which may lose
state), so it is passed on with a warning. If ecsenv simply died instead, terraform would die of SIGPIPE on its next
line of output, with no state written and both locks held (FIELD-REPORT 1.1).
https://developer.hashicorp.com/terraform/cli/commands/apply#apply-options ("graceful shutdown")."""

import signal
import threading

from bootstrap.errors import EXIT_INTERRUPTED, EcsenvError

FORWARDED_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class TerraformInterrupted(EcsenvError):
    """Terraform was interrupted (a signal to ecsenv, passed on) and has exited. `forced`: a second interrupt made
    it exit at once, so its state may lack what was being created and the lock may still be held."""

    exit_code = EXIT_INTERRUPTED

    def __init__(self, command, root, returncode, forced, tail, message=None):
        self.command, self.root, self.returncode, self.forced, self.tail = command, root, returncode, forced, tail
        how = "stopped at once (second interrupt)" if forced else "stopped gracefully"
        super().__init__(message or f"terraform {command} in {root} was interrupted and {how} (exit {returncode})"
                         + (f":\n{tail}" if tail else ""))


class SignalForwarder:
    """While installed (only the main thread can install signal handlers), the signals that would end ecsenv are
    recorded and passed on to every running terraform as SIGINT instead of raising KeyboardInterrupt. Re-entrant:
    `plan --all` installs it once around its threads, each `run` enters it again."""

    def __init__(self):
        self._processes = set()
        self._lock = threading.Lock()
        self._depth = 0
        self._previous = {}
        self.received = 0
        self.notices = []  # read by the output loop: a signal handler must not write to a stream being written

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            if self._depth == 0:
                self.received = 0
                self._previous = {number: signal.signal(number, self._handle) for number in FORWARDED_SIGNALS}
            self._depth += 1
        return self

    def __exit__(self, *exc):
        if threading.current_thread() is threading.main_thread():
            self._depth -= 1
            if self._depth == 0:
                for number, handler in self._previous.items():
                    signal.signal(number, handler)
        return False

    @property
    def installed(self):
        return self._depth > 0

    def add(self, process):
        with self._lock:
            self._processes.add(process)

    def discard(self, process):
        with self._lock:
            self._processes.discard(process)

    def _handle(self, number, frame):
        self.received += 1
        name = signal.Signals(number).name
        if self.received == 1:
            self.notices.append(f"ecsenv: {name} received: passed on to terraform, which stops gracefully (it "
                                "finishes what is in progress, saves its state and releases the lock). Interrupt "
                                "again only to make it exit at once, which may lose state.\n")
        elif self.received == 2:
            self.notices.append(f"ecsenv: second interrupt ({name}): terraform exits at once; resources being "
                                "changed may be missing from its state and the lock may stay held.\n")
        with self._lock:
            processes = list(self._processes)
        for process in processes:
            try:
                process.send_signal(signal.SIGINT)
            except (ProcessLookupError, OSError):
                pass  # it has just exited
