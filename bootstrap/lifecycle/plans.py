"""Plan and apply an environment with SHA discipline (the seed's change flow, enforced):
- a plan is saved per environment and commit (`.ecsenv/plans/<env>-<sha12>.tfplan` plus its summary);
- apply applies only the saved plan of the current commit, from a clean work tree (unless allowed);
- an environment with `promotes_from` is applied only at a commit its source applied successfully;
- a commit not on main is applied only with --emergency "reason", which is recorded.
Successful applies are recorded in the state bucket (bootstrap/ledger/records.py)."""

import datetime
import glob
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

from bootstrap.errors import EcsenvError, UserError
from bootstrap.ledger.records import latest_apply, new_apply_record, was_applied, write_apply_record
from bootstrap.lifecycle import git
from bootstrap.lifecycle.init_inputs import LOCK_FILE
from bootstrap.lifecycle.interrupts import TerraformInterrupted
from bootstrap.lifecycle.plan_summary import PlanSummary, summarise, summarise_output
from bootstrap.project import files, layout
from bootstrap.project.layout import GLOBAL_ENVIRONMENT

PLANS_DIR = os.path.join(layout.STATE_DIR, "plans")
PRIVATE = 0o600  # a plan file holds every value of the plan in clear, sensitive ones included


@dataclass(frozen=True)
class PlanResult:
    environment: str
    sha: str
    dirty: bool
    changes: bool  # terraform's -detailed-exitcode: 2 = the plan changes something (outputs and forgets count)
    summary: PlanSummary
    seconds: float = 0.0
    lock_files_written: tuple = ()  # lock files init wrote that are not committed (they make the tree dirty)
    output: str = field(default="", repr=False, compare=False)  # terraform's plan output (reports show it)


def environment_names(config):
    return [GLOBAL_ENVIRONMENT, *config.environments]


def environment_root(project_dir, config, environment):
    if environment not in environment_names(config):
        raise UserError(f"{environment!r} is not an environment (known: {', '.join(environment_names(config))})")
    root = layout.environment_dir(project_dir, environment)
    if not glob.glob(os.path.join(root, "*.tf")):
        from bootstrap.project import stack

        if not stack.has_stack(project_dir):  # `env add` would refuse: the environment is in ecsenv.yaml already
            raise UserError(f"{root} has no Terraform files, nor has any other root: `ecsenv init --scaffold` "
                            "writes ecsenv's stack (modules/ and every environment's root), or write your own")
        raise UserError(f"{root} has no Terraform files: write its root module (every environment's root is the "
                        "same code: copy another environment's .tf files and its .terraform.lock.hcl)")
    return root


def check_backend(project_dir, config, environment):
    """Refuse (UserError) an environment whose backend config is not what ecsenv.yaml says: a copy-pasted backend
    file would plan and apply against another environment's state. The comparison is `ecsenv check`'s."""
    from bootstrap.project.backend_checks import backend_findings

    findings = backend_findings(project_dir, config, environment)
    if findings:
        details = "\n".join(f"  {finding}" for finding in findings)
        raise UserError(f"{environment}'s backend config does not match ecsenv.yaml, so terraform could use "
                        f"another environment's state; nothing was run:\n{details}\n"
                        "Fix the file (`ecsenv render --force` rewrites backend files from ecsenv.yaml), or fix "
                        "ecsenv.yaml, and commit.")


def _plan_paths(project_dir, environment, sha):
    base = os.path.join(os.path.abspath(project_dir), PLANS_DIR, f"{environment}-{sha[:12]}")
    return base + ".tfplan", base + ".json"


def prepare(project_dir, config, environment, terraform, echo=None, reinit=False):
    """Every check and the init a plan needs; returns the root. Init runs when the root's init inputs changed
    (lifecycle/init_inputs.py), or always with reinit."""
    root = environment_root(project_dir, config, environment)
    check_backend(project_dir, config, environment)
    if reinit or terraform.needs_init(root):
        terraform.init(root, echo)
    return root


def plan(project_dir, config, environment, terraform, echo=None, reinit=False, prepared=False):
    """Init when needed, plan, save the plan and its metadata. `prepared`: prepare() has run (plan --all)."""
    started = time.monotonic()
    root = (environment_root(project_dir, config, environment) if prepared
            else prepare(project_dir, config, environment, terraform, echo, reinit))
    sha = git.head_sha(project_dir)
    dirty_paths = git.dirty_paths(project_dir)  # after init, which may have written a lock file
    layout.ensure(project_dir, "plans")
    plan_file, meta_file = _plan_paths(project_dir, environment, sha)
    for stale in (meta_file, plan_file):  # an interrupted plan must not leave an older plan's metadata valid
        if os.path.exists(stale):
            os.unlink(stale)
    files.prepare_private_target(plan_file, project_dir)  # terraform writes it: no link there, private directory
    changes, output = terraform.plan(root, plan_file, echo)
    files.make_private(plan_file)  # it holds the prior state
    summary = summarise_output(output) or summarise(terraform.show_plan(root, plan_file))
    meta = {"environment": environment, "sha": sha, "dirty": bool(dirty_paths), "changes": changes,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "summary": asdict(summary)}
    files.write_text(meta_file, json.dumps(meta, indent=2) + "\n", project_dir, private=True)  # atomic, 0600
    return PlanResult(environment, sha, bool(dirty_paths), changes, summary, time.monotonic() - started,
                      tuple(path for path in dirty_paths if os.path.basename(path) == LOCK_FILE), output)


def plan_all(project_dir, config, terraform, workers=4, progress=None, reinit=False):
    """Plan every environment: {environment: PlanResult or the EcsenvError it failed with} (see every_environment)."""
    return every_environment(project_dir, config, terraform,
                             lambda environment: plan(project_dir, config, environment, terraform, prepared=True),
                             workers, progress, reinit)


def drift_all(project_dir, config, terraform, workers=4, progress=None, reinit=False):
    """Look for drift in every environment: {environment: (real drift, drift made by deploys) or the EcsenvError it
    failed with} (see every_environment)."""
    return every_environment(project_dir, config, terraform,
                             lambda environment: drift(project_dir, config, environment, terraform, prepared=True),
                             workers, progress, reinit)


def every_environment(project_dir, config, terraform, run, workers=4, progress=None, reinit=False):
    """run(environment) for every environment, at most `workers` at once. Inits run one at a time (terraform's
    plugin cache is not safe for concurrent inits: https://developer.hashicorp.com/terraform/cli/config/config-file#
    provider-plugin-cache), then the runs go several at once (separate roots and states do not interfere). All inits
    come first: a plan notes whether the work tree is dirty, and an init writing its lock file beside a running plan
    would make that answer depend on timing. Output is captured, not streamed; progress(environment, result or
    EcsenvError) is called as each finishes. Returns {environment: result or the EcsenvError it failed with}, in
    environment order. An interrupt is passed on to every running terraform; TerraformInterrupted is raised once
    they have all exited."""
    shared = terraform.env.get("TF_DATA_DIR")
    if shared and os.path.isabs(shared):
        raise UserError(f"TF_DATA_DIR={shared} would give every environment the same terraform data directory: "
                        "unset it (or make it relative) to run terraform in every environment, or name one")
    names = environment_names(config)
    results = {}
    one_at_a_time = threading.Lock()  # progress lines come from several threads

    def finish(environment, result):
        with one_at_a_time:
            results[environment] = result
            if progress:
                progress(environment, result)
        return result

    with terraform.signals:
        ready = []
        for environment in names:
            started = time.monotonic()
            try:
                prepare(project_dir, config, environment, terraform, reinit=reinit)
                ready.append(environment)
            except TerraformInterrupted:
                raise
            except EcsenvError as exc:
                exc.seconds = time.monotonic() - started
                finish(environment, exc)

        def one(environment):
            started = time.monotonic()
            try:
                return finish(environment, run(environment))
            except EcsenvError as exc:
                exc.seconds = time.monotonic() - started
                return finish(environment, exc)

        if ready:
            with ThreadPoolExecutor(max_workers=max(1, min(workers, len(ready)))) as pool:
                list(pool.map(one, ready))
    interrupted = [result for result in results.values() if isinstance(result, TerraformInterrupted)]
    if interrupted:
        raise interrupted[0]
    return {name: results[name] for name in names}


def _read_meta(project_dir, path, environment):
    """A plan's metadata, or a UserError saying to plan again (a truncated or hand-edited file)."""
    try:
        with open(path, encoding="utf-8") as handle:
            meta = json.load(handle)
        if not isinstance(meta, dict) or not isinstance(meta.get("sha"), str):
            raise ValueError("not a plan's metadata")
        return meta
    except (OSError, ValueError):
        where = os.path.relpath(path, project_dir)
        raise UserError(f"the saved plan's metadata {where} is unreadable: run `ecsenv plan {environment}` again"
                        ) from None


def saved_plan(project_dir, environment, sha):
    """(plan file, its metadata) of the current commit, or a UserError saying what to run instead."""
    plan_file, meta_file = _plan_paths(project_dir, environment, sha)
    if os.path.exists(plan_file) and os.path.exists(meta_file):
        return plan_file, _read_meta(project_dir, meta_file, environment)
    # <env>-<12 hex>.json exactly: "prod-*" would also match prod-eu's plans
    others = sorted(glob.glob(os.path.join(os.path.abspath(project_dir), PLANS_DIR,
                                           f"{environment}-{'[0-9a-f]' * 12}.json")), key=os.path.getmtime)
    if others:
        other = _read_meta(project_dir, others[-1], environment)["sha"]
        raise UserError(f"the saved plan for {environment} was made at {other[:12]}, but HEAD is {sha[:12]}: "
                        f"run `ecsenv plan {environment}` first")
    raise UserError(f"no saved plan for {environment} at {sha[:12]}: run `ecsenv plan {environment}` first")


def dirty_refusal(environment, paths):
    """Why an apply is refused on a dirty tree, naming the files; terraform's lock files explained."""
    shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
    locks = [path for path in paths if os.path.basename(path) == LOCK_FILE]
    text = (f"the work tree has uncommitted changes ({shown}), so the apply could not be traced to a commit: "
            "commit them, or pass --allow-dirty")
    if locks:
        text += (f". {', '.join(locks)}: terraform init writes this file (the provider versions and checksums "
                 "it chose); commit it, as Terraform recommends, then run "
                 f"`ecsenv plan {environment}` again")
    return UserError(text)


def check_apply(project_dir, config, environment, aws, allow_dirty=False, emergency=None):
    """Every refusal before an apply, as UserErrors. Returns (sha, on_main, plan_file)."""
    environment_root(project_dir, config, environment)
    check_backend(project_dir, config, environment)
    if emergency is not None and not emergency.strip():
        raise UserError("--emergency needs a reason, e.g. --emergency \"roll back the broken migration\"")
    sha = git.head_sha(project_dir)
    dirty_paths = git.dirty_paths(project_dir)
    if dirty_paths and not allow_dirty:
        raise dirty_refusal(environment, dirty_paths)
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
    source = promotion_source(config, environment)
    if source and emergency is None and not was_applied(aws, config.state.bucket, source, sha):
        applied = latest_apply(aws, config.state.bucket, source)
        raise UserError(f"{environment} promotes from {source}: it may only be applied at a commit {source} has "
                        f"applied. HEAD is {sha[:12]}; {source} last applied "
                        f"{applied.sha[:12] if applied else 'nothing yet'}. Apply {sha[:12]} to {source} first "
                        f"(`ecsenv plan {source}`, `ecsenv apply {source}`)")
    return sha, on_main, plan_file


def promotion_source(config, environment):
    return config.environments[environment].promotes_from if environment in config.environments else None


def apply(project_dir, config, environment, aws, terraform, identity, checked, emergency=None, echo=None):
    """Apply what check_apply() approved (its result is `checked`), then record it."""
    sha, on_main, plan_file = checked
    root = environment_root(project_dir, config, environment)
    with terraform.signals:  # from here an interrupt goes to terraform, and once it has applied, waits for the record
        try:
            terraform.apply(root, plan_file, echo)
        except TerraformInterrupted as stop:
            raise interrupted_apply(environment, stop) from None
        record = new_apply_record(environment, sha, identity.arn, on_main, emergency)
        write_apply_record(aws, config.state.bucket, record)
    for path in _plan_paths(project_dir, environment, sha):  # a plan applies once; terraform refuses it after
        files.remove(path, project_dir)
    return record


def interrupted_apply(environment, stop):
    """What an interrupted apply left, and what to run next (TerraformInterrupted, exit 130). Never "re-run picks
    up": the saved plan is stale once the state changed (terraform refuses it), so the next step is a new plan."""
    said = (f"Terraform's last words:\n{stop.tail}\n" if stop.tail
            else "Terraform's output above says what was cut short. ")
    if stop.returncode is None:
        text = (f"apply of {environment} interrupted before terraform started: nothing was applied; the saved plan "
                f"still stands (`ecsenv apply {environment}`).")
    elif stop.forced:
        text = (f"apply of {environment} interrupted twice: terraform exited at once. {said}Its state may lack "
                "resources it was creating, and the state lock may still be held. Run `ecsenv plan "
                f"{environment}`: if it says the state is locked by this apply, release the lock with `ecsenv tf "
                f"{environment} -- force-unlock LOCK_ID`; bring a resource that was created but is missing from "
                f"the state in with `ecsenv tf {environment} -- import ADDRESS ID`.")
    else:
        text = (f"apply of {environment} interrupted: terraform stopped gracefully, writing the state of what it "
                f"had done and releasing the state lock. {said}The saved plan is used up (terraform refuses a "
                f"plan once the state has changed): run `ecsenv plan {environment}` to see what is left, then "
                f"`ecsenv apply {environment}`.")
    return TerraformInterrupted(stop.command, stop.root, stop.returncode, stop.forced, stop.tail, text)


def drift(project_dir, config, environment, terraform, echo=None, prepared=False):
    """(real drift, drift made by deploys): lists of (address, changed attribute names), from a refresh-only plan
    (what counts as drift: lifecycle/drift.py). prepared: the root's init has been run already (drift_all)."""
    from bootstrap.lifecycle.drift import split_drift

    root = (environment_root(project_dir, config, environment) if prepared
            else prepare(project_dir, config, environment, terraform, echo))
    plan_file = os.path.join(os.path.abspath(layout.ensure(project_dir, "plans")), f"{environment}-drift.tfplan")
    files.prepare_private_target(plan_file, project_dir)
    try:
        terraform.plan(root, plan_file, echo, refresh_only=True)
        files.make_private(plan_file)
        return split_drift(terraform.show_plan(root, plan_file))
    finally:
        files.remove(plan_file, project_dir)
