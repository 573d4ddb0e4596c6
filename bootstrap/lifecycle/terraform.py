"""The terraform runner: init / plan / show / apply in an environment's root, output streamed while captured.

Conventions (docs/decisions/0002-lifecycle-commands.md): `-chdir`, partial backend config from
`backend.s3.tfbackend`, TF_IN_AUTOMATION, `-input=false`, NO_COLOR respected, `plan -detailed-exitcode` (2 =
changes), `-lock-timeout` on everything that takes the state lock. The caller passes `echo`, a function that
receives each line of output as it comes (the CLI prints it); the runner itself never prints. While terraform runs,
signals that would end ecsenv are passed on to it (interrupts.py)."""

import json
import os
import re
import shutil
import signal
import subprocess

from bootstrap.errors import OperationFailed, UserError
from bootstrap.lifecycle import init_inputs
from bootstrap.lifecycle.interrupts import FORWARDED_SIGNALS, SignalForwarder, TerraformInterrupted
from bootstrap.project.layout import BACKEND_FILE

DEFAULT_LOCK_TIMEOUT = "3m"  # long enough to wait out another plan; a CI apply holding the lock longer is refused
LOCK_TIMEOUT_FORMAT = re.compile(r"\d+(ms|s|m|h)")
TAIL_LINES = 15  # how much of terraform's output a failure message quotes when the output was not streamed


class Terraform:
    def __init__(self, env=None, unset=(), color=False, backend_options=(), lock_timeout=DEFAULT_LOCK_TIMEOUT):
        """env: extra environment variables (e.g. the emulator's endpoints); unset: variables to drop (a profile
        that would override the emulator's credentials); backend_options: extra `-backend-config` values (e.g.
        use_path_style=true for an emulator's S3); lock_timeout: how long to wait for a state lock (`-lock-timeout`)."""
        self.binary = shutil.which("terraform")
        if not self.binary:
            raise UserError("terraform is not on PATH: install Terraform >= 1.10 (https://developer.hashicorp.com/"
                            "terraform/install)")
        self.env = dict(os.environ, TF_IN_AUTOMATION="1", TF_INPUT="0", **(env or {}))
        for name in unset:
            self.env.pop(name, None)
        self.color = color and "NO_COLOR" not in os.environ
        self.backend_options = tuple(backend_options)
        if not LOCK_TIMEOUT_FORMAT.fullmatch(lock_timeout):
            raise UserError(f"lock timeout {lock_timeout!r}: use a number and a unit, e.g. 90s or 5m")
        self.lock_timeout = lock_timeout
        self.signals = SignalForwarder()

    def _command(self, root, args):
        command = [self.binary, f"-chdir={root}", *args]
        if not self.color and args and args[0] not in ("output", "version", "fmt"):
            command.append("-no-color")
        return command

    def run(self, root, *args, echo=None):
        """(exit code, captured output: stdout and stderr merged, in order). Lines go to echo as they arrive.
        Raises TerraformInterrupted when a signal stopped terraform before it succeeded."""
        with self.signals:
            if self.signals.received:  # interrupted between two terraform runs of one operation: start no more
                raise TerraformInterrupted(args[0], root, None, self.signals.received > 1, "")
            captured = []
            process = subprocess.Popen(self._command(root, args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       text=True, env=self.env, stdin=subprocess.DEVNULL, bufsize=1,
                                       process_group=0 if self.signals.installed else None)
            self.signals.add(process)
            try:
                for line in process.stdout:
                    captured.append(line)
                    echo = _say(echo, self.signals.notices, line)
                process.wait()
            finally:
                self.signals.discard(process)
                process.stdout.close()
                if process.poll() is None:  # only on an error of ours: never leave terraform behind unread
                    process.send_signal(signal.SIGINT)
                    process.wait()
            _say(echo, self.signals.notices)
            received = self.signals.received
        output = "".join(captured)
        if received and process.returncode not in (0, 2):
            raise TerraformInterrupted(args[0], root, process.returncode, received > 1,
                                       "" if echo else tail(output))  # streamed output is on screen already
        return process.returncode, output

    def capture(self, root, *args):
        """stdout (for JSON) apart from stderr: (exit code, stdout, stderr). Nothing else ever parses as JSON."""
        result = subprocess.run(self._command(root, args), capture_output=True, text=True, env=self.env,
                                stdin=subprocess.DEVNULL)
        return result.returncode, result.stdout, result.stderr

    def passthrough(self, root, args):
        """Terraform with the terminal (stdin, stdout, stderr): `ecsenv tf`. It stays in ecsenv's process group, so
        a Ctrl-C reaches it directly; ecsenv ignores SIGINT meanwhile and passes SIGTERM / SIGHUP on as SIGINT."""
        command = [self.binary, f"-chdir={root}", *args]
        env = dict(self.env)
        env.pop("TF_INPUT")  # a person is there: `force-unlock`, `state rm` may ask for confirmation
        if "TF_INPUT" in os.environ:
            env["TF_INPUT"] = os.environ["TF_INPUT"]
        process = subprocess.Popen(command, env=env)
        previous = {number: signal.signal(number, signal.SIG_IGN if number == signal.SIGINT else
                                          lambda *_: process.send_signal(signal.SIGINT))
                    for number in FORWARDED_SIGNALS}
        try:
            return process.wait()
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)

    def _checked(self, root, *args, echo=None, what=None):
        code, output = self.run(root, *args, echo=echo)
        if code != 0:
            raise failure(what or args[0], root, code, None if echo else output)
        return output

    # ------------------------------------------------------------ init

    def needs_init(self, root):
        """True when init has not completed for what the root now asks for: no successful init yet (a failed one
        leaves `.terraform/` without ecsenv's marker), or changed modules, provider requirements, lock file or
        backend settings since (lifecycle/init_inputs.py)."""
        return init_inputs.recorded(self._data_dir(root)) != self._init_fingerprint(root)

    def _data_dir(self, root):
        return init_inputs.data_dir(root, self.env)

    def _init_fingerprint(self, root):
        return init_inputs.fingerprint(root, self.backend_options)

    def init(self, root, echo=None, extra=()):
        """terraform init; the marker that lets later plans skip it is written only once it has succeeded."""
        data_dir = self._data_dir(root)
        init_inputs.forget(data_dir)
        args = ["init", "-input=false", "-reconfigure"]
        if os.path.exists(os.path.join(root, BACKEND_FILE)):
            args.append(f"-backend-config={BACKEND_FILE}")
            args += [f"-backend-config={option}" for option in self.backend_options]
        self._checked(root, *args, *extra, echo=echo, what="init")
        init_inputs.record(data_dir, self._init_fingerprint(root))  # after init: it may have written the lock file

    # ------------------------------------------------------------ plan, show, apply

    def plan(self, root, plan_file, echo=None, refresh_only=False, extra=()):
        """(changes: terraform's -detailed-exitcode said 2, the captured output). extra: more plan options
        (`-destroy`)."""
        args = ["plan", "-input=false", "-detailed-exitcode", f"-lock-timeout={self.lock_timeout}",
                f"-out={plan_file}", *extra]
        if refresh_only:
            args.append("-refresh-only")
        code, output = self.run(root, *args, echo=echo)
        if code not in (0, 2):
            raise failure("plan", root, code, None if echo else output)
        return code == 2, output

    def show_plan(self, root, plan_file):
        code, stdout, stderr = self.capture(root, "show", "-json", plan_file)
        if code != 0:
            raise failure("show", root, code, stderr or stdout)
        try:
            return json.loads(stdout)
        except ValueError:
            raise OperationFailed(f"terraform show -json in {root} printed no JSON: {tail(stdout, 3) or '(nothing)'}"
                                  ) from None

    def apply(self, root, plan_file, echo=None):
        self._checked(root, "apply", "-input=false", "-auto-approve", f"-lock-timeout={self.lock_timeout}",
                      plan_file, echo=echo, what="apply")

    def format_text(self, text):
        """`text` (HCL) laid out by `terraform fmt`, or unchanged when terraform cannot parse it: written files stay
        fmt-clean (a comment line put between aligned attributes ends their alignment run)."""
        result = subprocess.run([self.binary, "fmt", "-no-color", "-"], input=text, capture_output=True, text=True,
                                env=self.env)
        return result.stdout if result.returncode == 0 and result.stdout else text


def _say(echo, notices, line=None):
    """Pass a line (and any notice about a signal) to echo; returns echo, or None once the terminal is gone (a
    closed terminal must not stop ecsenv from reading terraform to the end)."""
    if echo is None:
        notices.clear()
        return None
    try:
        while notices:
            echo(notices.pop(0))
        if line is not None:
            echo(line)
        return echo
    except OSError:
        return None


def tail(output, lines=TAIL_LINES):
    return "\n".join(output.strip().splitlines()[-lines:])


def failure(what, root, code, output=None):
    """terraform failed: OperationFailed quoting its last lines when they were not streamed already."""
    message = f"terraform {what} failed in {root} (exit {code})"
    return OperationFailed(message + (f":\n{tail(output)}" if output and output.strip() else ""))
