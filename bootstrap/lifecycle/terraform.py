"""The terraform runner: init / plan / show / apply in an environment's root, output streamed while captured.

Conventions (docs/decisions/0002-lifecycle-commands.md):
`-chdir`, partial backend config from `backend.s3.tfbackend`, TF_IN_AUTOMATION,
`-input=false`, NO_COLOR respected, `plan -detailed-exitcode` (2 = changes). The caller passes `echo`, a function
that receives each line of output as it comes (the CLI prints it); the runner itself never prints."""

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass

from bootstrap.errors import OperationFailed, UserError
from bootstrap.project.layout import BACKEND_FILE


@dataclass(frozen=True)
class PlanSummary:
    add: int
    change: int
    destroy: int
    imports: int
    resources: tuple  # (address, actions) of every resource with a change

    @property
    def has_changes(self):
        return bool(self.add or self.change or self.destroy or self.imports)

    def __str__(self):
        text = f"{self.add} to add, {self.change} to change, {self.destroy} to destroy"
        return f"{self.imports} to import, {text}" if self.imports else text


class Terraform:
    def __init__(self, env=None, unset=(), color=False, backend_options=()):
        """env: extra environment variables (e.g. the emulator's endpoints); unset: variables to drop (a profile
        that would override the emulator's credentials); backend_options: extra `-backend-config` values (e.g.
        use_path_style=true for an emulator's S3)."""
        self.binary = shutil.which("terraform")
        if not self.binary:
            raise UserError("terraform is not on PATH: install Terraform >= 1.10 (https://developer.hashicorp.com/"
                            "terraform/install)")
        self.env = dict(os.environ, TF_IN_AUTOMATION="1", TF_INPUT="0", **(env or {}))
        for name in unset:
            self.env.pop(name, None)
        self.color = color and "NO_COLOR" not in os.environ
        self.backend_options = tuple(backend_options)

    def run(self, root, *args, echo=None):
        """(exit code, captured output). Output lines go to echo as they arrive."""
        command = [self.binary, f"-chdir={root}", *args]
        if not self.color and args and args[0] not in ("output", "version", "fmt"):
            command.append("-no-color")
        captured = []
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env=self.env, stdin=subprocess.DEVNULL, bufsize=1) as process:
            for line in process.stdout:
                captured.append(line)
                if echo:
                    echo(line)
        return process.returncode, "".join(captured)

    def _checked(self, root, *args, echo=None, what=None):
        code, output = self.run(root, *args, echo=echo)
        if code != 0:
            raise OperationFailed(f"terraform {what or args[0]} failed in {root} (exit {code})"
                                  + ("" if echo else f":\n{output.strip()[-2000:]}"))
        return output

    def needs_init(self, root):
        """No backend initialised yet, or the backend config changed since (its file is newer)."""
        marker = os.path.join(root, ".terraform", "terraform.tfstate")
        backend = os.path.join(root, BACKEND_FILE)
        if not os.path.exists(marker):
            return True
        return os.path.exists(backend) and os.path.getmtime(backend) > os.path.getmtime(marker)

    def init(self, root, echo=None):
        args = ["init", "-input=false", "-reconfigure"]
        if os.path.exists(os.path.join(root, BACKEND_FILE)):
            args.append(f"-backend-config={BACKEND_FILE}")
            args += [f"-backend-config={option}" for option in self.backend_options]
        self._checked(root, *args, echo=echo, what="init")

    def plan(self, root, plan_file, echo=None, refresh_only=False, extra=()):
        """(has changes: exit 2 of -detailed-exitcode, the captured output). extra: more plan options
        (`-destroy`)."""
        args = ["plan", "-input=false", "-detailed-exitcode", f"-out={plan_file}", *extra]
        if refresh_only:
            args.append("-refresh-only")
        code, output = self.run(root, *args, echo=echo)
        if code not in (0, 2):
            raise OperationFailed(f"terraform plan failed in {root} (exit {code})"
                                  + ("" if echo else f":\n{output.strip()[-2000:]}"))
        return code == 2, output

    def show_plan(self, root, plan_file):
        output = self._checked(root, "show", "-json", plan_file, what="show")
        return json.loads(output)

    def apply(self, root, plan_file, echo=None):
        self._checked(root, "apply", "-input=false", "-auto-approve", plan_file, echo=echo, what="apply")

    def format_text(self, text):
        """`text` (HCL) laid out by `terraform fmt`, or unchanged when terraform cannot parse it: written files stay
        fmt-clean (a comment line put between aligned attributes ends their alignment run)."""
        result = subprocess.run([self.binary, "fmt", "-no-color", "-"], input=text, capture_output=True, text=True,
                                env=self.env)
        return result.stdout if result.returncode == 0 and result.stdout else text


ANSI = re.compile(r"\x1b\[[0-9;]*m")
SUMMARY = re.compile(r"^Plan: (?:(\d+) to import, )?(\d+) to add, (\d+) to change, (\d+) to destroy\.", re.M)
RESOURCE = re.compile(r"^\s*# (.+?) (?:will|must) be (created|updated in-place|destroyed|replaced|imported)", re.M)
ACTIONS = {"created": "create", "updated in-place": "update", "destroyed": "delete", "replaced": "delete/create",
           "imported": "import"}


def summarise_output(output):
    """The summary from terraform's own closing lines ("Plan: 1 to add, ..." or "No changes."), or None when they
    are not there. Reading the output costs nothing; `terraform show -json` would load every provider's schema
    again (seconds, for the AWS provider) just to count."""
    text = ANSI.sub("", output)
    resources = tuple((address, ACTIONS[verb]) for address, verb in RESOURCE.findall(text))
    match = SUMMARY.search(text)
    if match:
        imports, add, change, destroy = (int(group or 0) for group in match.groups())
        return PlanSummary(add, change, destroy, imports, resources)
    if re.search(r"^No changes\.", text, re.M):
        return PlanSummary(0, 0, 0, 0, ())
    return None


def summarise(plan_json):
    """Counts the way terraform's own summary does: a replacement is one add and one destroy."""
    add = change = destroy = imports = 0
    resources = []
    for resource in plan_json.get("resource_changes", []):
        actions = resource.get("change", {}).get("actions", [])
        importing = bool(resource.get("change", {}).get("importing"))
        imports += importing
        if actions in (["no-op"], ["read"]):
            if importing:
                resources.append((resource["address"], "import"))
            continue
        add += "create" in actions
        destroy += "delete" in actions
        change += actions == ["update"]
        resources.append((resource["address"], "/".join(actions)))
    return PlanSummary(add, change, destroy, imports, tuple(resources))


# What deploys change on purpose: the service's task definition (Terraform ignores it, see modules/container-generic).
DEPLOY_OWNED = {"aws_ecs_service": {"task_definition"}}


def split_drift(plan_json):
    """(real drift, deploy-made drift) from a refresh-only plan: (address, sorted changed attributes) each."""
    real, deploys = [], []
    for entry in plan_json.get("resource_drift", []):
        change = entry.get("change", {})
        if change.get("actions") in (["no-op"], ["read"]):
            continue
        before, after = change.get("before") or {}, change.get("after") or {}
        changed = sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key))
        owned = DEPLOY_OWNED.get(entry.get("type"), set())
        if change.get("actions") == ["update"] and changed and set(changed) <= owned:
            deploys.append((entry["address"], changed))
        else:
            real.append((entry["address"], changed or change.get("actions")))
    return real, deploys
