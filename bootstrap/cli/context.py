"""What every command needs, built once per command: the project directory, ecsenv.yaml, environment lookup, the
AWS connection (decided once: the embedded emulator with --local, else the aws CLI's resolution), a terraform
runner aimed at the same place, and "changes have started" (so an interrupt message tells the truth)."""

import os
import sys
import threading

from bootstrap.errors import UserError
from bootstrap.project.layout import CONFIG_FILE


class Context:
    def __init__(self, args):
        """Checks what every command shares before the command runs: an unknown --region is exit 2 here, for every
        command, before any AWS call (botocore would send it to a host that does not exist, and retry)."""
        self.args = args
        self.project_dir = args.project_dir
        self.project_found_above = False
        if args.project_dir == "." and args.command != "init" and not os.path.exists(CONFIG_FILE):
            from bootstrap.project.layout import find_project_dir

            found = find_project_dir(".")
            if found is not None:  # run from inside the project: behave as from its top, as git does
                self.project_dir, self.project_found_above = found, True
        self.changes_started = False
        self._config = None
        self._connections = {}
        self._lock = threading.RLock()
        if not os.path.isdir(self.project_dir):
            raise UserError(f"project directory {self.project_dir!r} does not exist (or is not a directory)")
        region = getattr(args, "region", None)
        if region is not None:
            from bootstrap.project import validation

            problem = validation.region(region)
            if problem:
                raise UserError(f"--region: {problem}")

    # ------------------------------------------------------------ the project

    @property
    def config_path(self):
        from bootstrap.project import layout

        return layout.config_path(self.project_dir)

    @property
    def config(self):
        """ecsenv.yaml, loaded (and validated) on first use."""
        if self._config is None:
            from bootstrap.project.config_reader import load_config

            if not os.path.exists(self.config_path):
                where = ("here or in a directory above it (up to the repository's top)"
                         if self.args.project_dir == "." else f"in {self.project_dir}")
                raise UserError(f"no {os.path.basename(self.config_path)} {where}: run `ecsenv init` in the "
                                "project's top directory first, or point at it with -C DIR")
            self._config = load_config(self.config_path)
        return self._config

    def environment(self, name, include_global=False):
        """`name`, checked to be one of ecsenv.yaml's environments (or global_aws, when allowed)."""
        from bootstrap.project.layout import GLOBAL_ENVIRONMENT

        known = ([GLOBAL_ENVIRONMENT] if include_global else []) + list(self.config.environments)
        if name not in known:
            raise UserError(f"{name!r} is not an environment (known: {', '.join(known)})")
        return name

    def command(self, text):
        """`ecsenv <text>` as the user would run it next: with this run's --local, --profile and -C DIR."""
        import shlex

        parts = ["ecsenv"]
        if self.args.local:
            parts.append("--local")
        if self.args.profile:
            parts += ["--profile", shlex.quote(self.args.profile)]
        if os.path.normpath(self.project_dir) != "." and not self.project_found_above:
            parts += ["-C", shlex.quote(self.project_dir)]
        return " ".join([*parts, text])

    # ------------------------------------------------------------ where AWS is

    def _emulator(self):
        """(endpoint, credentials) of the embedded emulator with --local, else None."""
        if not self.args.local:
            return None
        from bootstrap.local import emulator

        return emulator.endpoint_for(self.project_dir), emulator.DUMMY_CREDENTIALS

    def aws(self, region=None, profile=None, account_id=None, label=None):
        """An AWS connection: --region, else `region` (the caller's default), for --profile or `profile`."""
        from bootstrap.aws import Aws

        region = self.args.region or region
        emulator = self._emulator()
        profile = None if emulator else self.args.profile or profile
        # Connections of one profile and region share their session, clients and identity (status reads every
        # environment: one client per service and region, one STS call, not one of each per environment).
        key = ("session", profile, region)
        with self._lock:  # status asks from several threads
            shared = self._connections.get(key)
            if shared is not None:
                return Aws(region=region, account_id=account_id, label=label, shares=shared)
            if emulator:
                made = Aws(region=region, endpoint_url=emulator[0], credentials=emulator[1], account_id=account_id,
                           label=label)
            else:
                made = Aws(profile=profile, region=region, account_id=account_id, label=label)
            self._connections[key] = made
            return made

    def state_aws(self):
        """The connection to the state bucket's account and region."""
        with self._lock:
            if "state" not in self._connections:
                self._connections["state"] = self.aws(self.config.state.region,
                                                      account_id=self.config.state.account_id,
                                                      label="the state bucket")
            return self._connections["state"]

    def environment_aws(self, name):
        """The connection to an environment's own region and account (ecsenv.yaml), where its cluster, services,
        images and secrets are; not the state bucket's. --region may not contradict it."""
        environment = self.config.environments[self.environment(name)]
        if self.args.region and self.args.region != environment.region:
            from bootstrap.errors import UserError

            raise UserError(f"environment {name} is in region {environment.region} (ecsenv.yaml); --region "
                            f"{self.args.region} contradicts it: leave --region out")
        with self._lock:
            if name not in self._connections:
                self._connections[name] = self.aws(environment.region, account_id=environment.account_id,
                                                   label=f"environment {name}")
            return self._connections[name]

    def terraform(self, color=None):
        """A terraform runner aimed where the AWS clients are aimed."""
        from bootstrap.lifecycle.terraform import Terraform

        env, unset, options = {}, [], []
        emulator = self._emulator()
        if emulator:
            endpoint, credentials = emulator
            env = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": credentials["aws_access_key_id"],
                   "AWS_SECRET_ACCESS_KEY": credentials["aws_secret_access_key"],
                   # The adopted state backend (state_backend.tf) leaves out the bucket policy init left out here.
                   # Terraform ignores TF_VAR_ values of variables a root does not declare.
                   "TF_VAR_ecsenv_local": "true"}
            unset = ["AWS_PROFILE", "AWS_SESSION_TOKEN"]
        elif self.args.profile:
            env["AWS_PROFILE"] = self.args.profile
        if emulator or os.environ.get("AWS_ENDPOINT_URL"):
            options.append("use_path_style=true")  # S3 emulators answer on one host, not per-bucket host names
        if color is None:
            color = sys.stdout.isatty()
        runner = Terraform(env=env, unset=unset, color=color, backend_options=options)
        if not emulator:
            runner = _checked_first(runner, self.state_aws)
        return runner

    # ------------------------------------------------------------ the story so far

    def start_changes(self):
        """From here on an interrupt may leave changes half made: the message must say so."""
        self.changes_started = True


def _checked_first(runner, connect):
    """The runner, asking STS who we are before terraform first runs: missing or expired credentials, an
    unreachable endpoint or throttling are then the one line every command gives, before terraform prints anything
    (an IMDS error, for no credentials). Lazily, so that a command refusing its input first (an unknown environment,
    a root without .tf files) makes no AWS call at all, and `terraform fmt` needs no credentials."""
    import threading

    lock, checked, run = threading.Lock(), [], runner.run

    def run_checked(*args, **kwargs):
        with lock:  # `plan --all` runs several at once; one check serves them all
            if not checked:
                connect().identity()
                checked.append(True)
        return run(*args, **kwargs)

    runner.run = run_checked
    return runner


def echo_to(stream):
    """A line sink for streamed output (terraform's)."""
    def echo(line):
        stream.write(line)
        stream.flush()
    return echo
