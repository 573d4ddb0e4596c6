"""Removing an environment (`ecsenv env remove`): the refusals, the destroy plan, the destroy, then taking the
environment out of the project (ecsenv.yaml, its directory, its saved plans).

Nothing in the state bucket or the lock table is ever deleted. S3 versioning (which `ecsenv init` turns on) keeps
every version of the state object: the destroy writes an empty state as a new version, and the one before it, with
every resource the environment had, stays retrievable (https://docs.aws.amazon.com/AmazonS3/latest/userguide/
Versioning.html). The apply and deploy records under `ecsenv/` stay too."""

import glob
import json
import os
import re
import shutil
from dataclasses import dataclass

from bootstrap.aws import call, pages
from bootstrap.errors import UserError
from bootstrap.lifecycle.plan_summary import summarise, summarise_output
from bootstrap.project import layout
from bootstrap.project.layout import GLOBAL_ENVIRONMENT


@dataclass(frozen=True)
class DestroyPlan:
    environment: str
    root: str
    plan_file: str | None  # None: no Terraform root and nothing in its state, so nothing to destroy
    summary: object = None  # the PlanSummary of the destroy plan


@dataclass(frozen=True)
class StateVersion:
    version_id: str
    last_modified: str
    latest: bool


def check_removable(config, name):
    """Every refusal before anything runs, as UserErrors (exit 2)."""
    if name == GLOBAL_ENVIRONMENT:
        raise UserError(f"{GLOBAL_ENVIRONMENT} holds what every environment shares (image repositories, CI roles): "
                        "`env remove` does not remove it")
    if name not in config.environments:
        raise UserError(f"{name!r} is not an environment (known: {', '.join(config.environments)})")
    followers = [other for other, env in config.environments.items() if env.promotes_from == name]
    if followers:
        raise UserError(f"{', '.join(followers)} promote{'s' if len(followers) == 1 else ''} from {name}: set "
                        f"another promotes_from in ecsenv.yaml (or remove {' and '.join(followers)}) first")


def plan_destroy(project_dir, config, name, aws, terraform, echo=None):
    """A destroy plan of the environment's root (saved, to apply exactly what was shown), through the runner with
    ecsenv's backend config. Without a root: nothing to destroy, unless its state still holds resources."""
    root = layout.environment_dir(project_dir, name)
    if not glob.glob(os.path.join(root, "*.tf")):
        held = state_resources(aws, config, name)
        if held:
            raise UserError(f"{root} has no Terraform files, but the state s3://{config.state.bucket}/"
                            f"{config.state_key(name)} holds {held} resource{'s' if held != 1 else ''}: restore the "
                            "root (e.g. from git) so they can be destroyed")
        return DestroyPlan(name, root, None)
    if terraform.needs_init(root):
        terraform.init(root, echo)
    plan_file = os.path.join(os.path.abspath(layout.ensure(project_dir, "plans")), f"{name}-destroy.tfplan")
    _, output = terraform.plan(root, plan_file, echo, extra=("-destroy",))
    summary = summarise_output(output) or summarise(terraform.show_plan(root, plan_file))
    return DestroyPlan(name, root, plan_file, summary)


def destroy(terraform, plan, echo=None):
    """Apply the destroy plan that was shown (terraform handles an interrupt itself: it stops after the resource
    it is working on and saves the state)."""
    if plan.plan_file is None:
        return
    try:
        terraform.apply(plan.root, plan.plan_file, echo)
    finally:
        discard(plan)  # applied or not, a plan is used once


def discard(plan):
    """Delete the saved destroy plan (not confirmed, or used)."""
    if plan.plan_file and os.path.exists(plan.plan_file):
        os.unlink(plan.plan_file)


def state_resources(aws, config, name):
    """How many managed resources the environment's state object lists (0 when there is no state)."""
    response = call(aws.client("s3").get_object, Bucket=config.state.bucket, Key=config.state_key(name),
                    doing=f"reading the state of {name}", missing=("NoSuchKey", "404"))
    if response is None:
        return 0
    try:
        state = json.loads(response["Body"].read())
    except ValueError:
        return 0
    return sum(len(resource.get("instances") or [None]) for resource in state.get("resources", [])
               if resource.get("mode") == "managed")


def current_state_version(aws, config, name):
    """The version id of the state object as it is now (None: no state, or a bucket without versioning)."""
    head = call(aws.client("s3").head_object, Bucket=config.state.bucket, Key=config.state_key(name),
                doing=f"reading the state of {name}", missing=("NoSuchKey", "404"))
    version = (head or {}).get("VersionId")
    return version if version and version != "null" else None


def state_versions(aws, config, name):
    """Every version of the environment's state object, newest first."""
    key = config.state_key(name)
    versions = pages(aws.client("s3"), "list_object_versions", "Versions", f"listing the state versions of {name}",
                     Bucket=config.state.bucket, Prefix=key) or []
    found = [StateVersion(version["VersionId"], str(version["LastModified"]), bool(version.get("IsLatest")))
             for version in versions if version["Key"] == key]
    return sorted(found, key=lambda version: (version.latest, version.last_modified), reverse=True)


def mentions(project_dir, environment, name):
    """`file:line` of each line of an environment's root that still names `name` (e.g. global_aws's list of
    environments its CI role may deploy to)."""
    pattern = re.compile(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])")
    root = layout.environment_dir(project_dir, environment)
    found = []
    for path in sorted(glob.glob(os.path.join(root, "*.tf")) + glob.glob(os.path.join(root, "*.tfvars"))):
        with open(path, encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, 1):
                if pattern.search(line):
                    found.append(f"{os.path.relpath(path, project_dir)}:{number}")
    return found


def forget(project_dir, config_path, config_text, name):
    """Take the environment out of the project: ecsenv.yaml's new text (already checked), its directory and its
    saved plans. Returns the paths removed."""
    from bootstrap.project.yamldoc import write_atomically

    write_atomically(config_path, config_text)
    removed = []
    root = layout.environment_dir(project_dir, name)
    if os.path.isdir(root):
        shutil.rmtree(root)
        removed.append(root)
    plans = os.path.join(project_dir, layout.STATE_DIR, "plans")
    for path in glob.glob(os.path.join(plans, f"{name}-{'[0-9a-f]' * 12}.*")):
        os.unlink(path)
    return removed
