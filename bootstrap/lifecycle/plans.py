"""Plan and apply an environment with SHA discipline (the seed's change flow, enforced):
- a plan is saved per environment and commit (`.ecsenv/plans/<env>-<sha12>.tfplan` plus its summary);
- apply applies only the saved plan of the current commit, from a clean work tree (unless allowed);
- an environment with `promotes_from` is applied only at a commit its source applied successfully;
- a commit not on main is applied only with --emergency "reason", which is recorded.
Successful applies are recorded in the state bucket (bootstrap/ledger.py)."""

import datetime
import glob
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

from bootstrap import ledger
from bootstrap.errors import EcsenvError, UserError
from bootstrap.lifecycle import git
from bootstrap.lifecycle.terraform import PlanSummary, summarise, summarise_output
from bootstrap.project import layout
from bootstrap.project.config import GLOBAL_ENVIRONMENT

PLANS_DIR = os.path.join(layout.STATE_DIR, "plans")


@dataclass(frozen=True)
class PlanResult:
    environment: str
    sha: str
    dirty: bool
    summary: PlanSummary


def environment_names(config):
    return [GLOBAL_ENVIRONMENT, *config.environments]


def environment_root(project_dir, config, environment):
    if environment not in environment_names(config):
        raise UserError(f"{environment!r} is not an environment (known: {', '.join(environment_names(config))})")
    root = layout.environment_dir(project_dir, environment)
    if not glob.glob(os.path.join(root, "*.tf")):
        raise UserError(f"{root} has no Terraform files: scaffold it with `ecsenv env add {environment}` "
                        "or write its root module")
    return root


def _plan_paths(project_dir, environment, sha):
    base = os.path.join(os.path.abspath(project_dir), PLANS_DIR, f"{environment}-{sha[:12]}")
    return base + ".tfplan", base + ".json"


def plan(project_dir, config, environment, terraform, echo=None):
    root = environment_root(project_dir, config, environment)
    sha, dirty = git.head_sha(project_dir), git.is_dirty(project_dir)
    if terraform.needs_init(root):
        terraform.init(root, echo)
    layout.ensure(project_dir, "plans")
    plan_file, meta_file = _plan_paths(project_dir, environment, sha)
    _, output = terraform.plan(root, plan_file, echo)
    summary = summarise_output(output) or summarise(terraform.show_plan(root, plan_file))
    meta = {"environment": environment, "sha": sha, "dirty": dirty,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "summary": asdict(summary)}
    with open(meta_file, "w", encoding="utf-8") as handle:
        json.dump(meta, handle, indent=2)
    return PlanResult(environment, sha, dirty, summary)


def plan_all(project_dir, config, terraform, workers=4):
    """Plan every environment, several at once (separate roots and states do not interfere). Output is captured,
    not streamed; returns {environment: PlanResult or the EcsenvError it failed with}."""
    def one(environment):
        try:
            return plan(project_dir, config, environment, terraform)
        except EcsenvError as exc:
            return exc

    names = environment_names(config)
    with ThreadPoolExecutor(max_workers=min(workers, len(names))) as pool:
        return dict(zip(names, pool.map(one, names)))


def saved_plan(project_dir, environment, sha):
    """(plan file, its metadata) of the current commit, or a UserError saying what to run instead."""
    plan_file, meta_file = _plan_paths(project_dir, environment, sha)
    if os.path.exists(plan_file) and os.path.exists(meta_file):
        with open(meta_file, encoding="utf-8") as handle:
            return plan_file, json.load(handle)
    # <env>-<12 hex>.json exactly: "prod-*" would also match prod-eu's plans
    others = sorted(glob.glob(os.path.join(os.path.abspath(project_dir), PLANS_DIR,
                                           f"{environment}-{'[0-9a-f]' * 12}.json")), key=os.path.getmtime)
    if others:
        with open(others[-1], encoding="utf-8") as handle:
            other = json.load(handle)["sha"]
        raise UserError(f"the saved plan for {environment} was made at {other[:12]}, but HEAD is {sha[:12]}: "
                        f"run `ecsenv plan {environment}` first")
    raise UserError(f"no saved plan for {environment} at {sha[:12]}: run `ecsenv plan {environment}` first")


def check_apply(project_dir, config, environment, aws, allow_dirty=False, emergency=None):
    """Every refusal before an apply, as UserErrors. Returns (sha, on_main, plan_file)."""
    environment_root(project_dir, config, environment)
    if emergency is not None and not emergency.strip():
        raise UserError("--emergency needs a reason, e.g. --emergency \"roll back the broken migration\"")
    sha = git.head_sha(project_dir)
    if git.is_dirty(project_dir) and not allow_dirty:
        raise UserError("the work tree has uncommitted changes, so the apply could not be traced to a commit: "
                        "commit them, or pass --allow-dirty")
    plan_file, meta = saved_plan(project_dir, environment, sha)
    if meta.get("dirty") and not allow_dirty:
        raise UserError(f"the saved plan for {environment} was made from a dirty work tree: commit, run "
                        f"`ecsenv plan {environment}` again, or pass --allow-dirty")
    on_main = git.is_on_main(project_dir, sha, config.trunk)
    if not on_main and emergency is None:
        trunk = git.trunk_name(project_dir, config.trunk)
        where = trunk if git.main_ref(project_dir, config.trunk) else (
            f"{trunk} (there is no {trunk} branch here: set `trunk:` in ecsenv.yaml to the branch releases come "
            "from)")
        raise UserError(f"{sha[:12]} is not on {where}: environments are applied from {trunk}. Only in an emergency "
                        "(a rollback), pass --emergency \"reason\"; it is recorded and shown by `ecsenv status`")
    source = config.environments[environment].promotes_from if environment in config.environments else None
    if source and emergency is None and not ledger.was_applied(aws, config.state.bucket, source, sha):
        applied = ledger.latest(aws, config.state.bucket, source)
        raise UserError(f"{environment} promotes from {source}: it may only be applied at a commit {source} has "
                        f"applied. HEAD is {sha[:12]}; {source} last applied "
                        f"{applied.sha[:12] if applied else 'nothing yet'}. Apply {sha[:12]} to {source} first")
    return sha, on_main, plan_file


def apply(project_dir, config, environment, aws, terraform, identity, checked, emergency=None, echo=None):
    """Apply what check_apply() approved (its result is `checked`), then record it."""
    sha, on_main, plan_file = checked
    root = environment_root(project_dir, config, environment)
    terraform.apply(root, plan_file, echo)
    record = ledger.new_record(environment, sha, identity.arn, on_main, emergency)
    ledger.write(aws, config.state.bucket, record)
    for path in _plan_paths(project_dir, environment, sha):  # a plan applies once; terraform refuses it after
        os.unlink(path)
    return record


def drift(project_dir, config, environment, terraform, echo=None):
    """(real drift, drift made by deploys): lists of (address, changed attribute names), from a refresh-only plan."""
    from bootstrap.lifecycle.terraform import split_drift

    root = environment_root(project_dir, config, environment)
    if terraform.needs_init(root):
        terraform.init(root, echo)
    plan_file = os.path.join(os.path.abspath(layout.ensure(project_dir, "plans")), f"{environment}-drift.tfplan")
    try:
        terraform.plan(root, plan_file, echo, refresh_only=True)
        return split_drift(terraform.show_plan(root, plan_file))
    finally:
        if os.path.exists(plan_file):
            os.unlink(plan_file)
