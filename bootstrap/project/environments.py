"""Environments as directories: scaffolding a new one (a copy of another's Terraform root with what names the source
adjusted and marked, or a starter root from a template) and the rows of `ecsenv env list`. No I/O beyond reading
the source environment; writing is the caller's."""

import glob
import os
from dataclasses import dataclass

from bootstrap.errors import UserError
from bootstrap.project import layout, networks, validation
from bootstrap.project.config import EnvironmentConfig, state_key
from bootstrap.project.layout import GLOBAL_ENVIRONMENT
from bootstrap.project.render import render_template
from bootstrap.project.retarget import Retarget, replace_string

COPIED_PATTERNS = ("*.tf", "*.tfvars")
GENERATED = (layout.GENERATED_TFVARS,)  # rendered for the new environment from ecsenv.yaml, never copied
HCL_SUFFIXES = (".tf", ".tfvars")  # rewritten with a marker line above each change


def environment_dir(project_dir, name):
    return layout.environment_dir(project_dir, name)


def check_new_environment(config, project_dir, name, source, promotes_from):
    problem = validation.environment_name(name) or validation.environment_in_project(config.project, name)
    if problem:
        raise UserError(problem)
    if name in config.environments:
        raise UserError(f"environment {name!r} already exists in ecsenv.yaml")
    if os.path.exists(environment_dir(project_dir, name)):
        raise UserError(f"{environment_dir(project_dir, name)} already exists; choose another name or remove it")
    for role, other in (("--from", source), ("--promotes-from", promotes_from)):
        if other is not None and other not in config.environments:
            raise UserError(f"{role} {other!r} is not an environment (known: {', '.join(config.environments)})")


def new_environment(config, region=None, account_id=None, promotes_from=None):
    for problem in (validation.region(region) if region else None,
                    validation.account_id(account_id) if account_id else None):
        if problem:
            raise UserError(problem)
    return EnvironmentConfig(account_id=account_id or config.state.account_id, region=region or config.state.region,
                             promotes_from=promotes_from)


def default_source(config, project_dir, promotes_from):
    """The environment to copy: the one it promotes from, else the first one that has Terraform files."""
    candidates = ([promotes_from] if promotes_from else []) + list(config.environments)
    for candidate in candidates:
        if _terraform_files(environment_dir(project_dir, candidate)):
            return candidate
    return None


def _terraform_files(directory):
    return sorted(path for pattern in COPIED_PATTERNS for path in glob.glob(os.path.join(directory, pattern))
                  if os.path.basename(path) not in GENERATED)


@dataclass(frozen=True)
class Scaffold:
    files: dict  # {path: text} of the new root (its backend config and generated tfvars are rendered separately)
    source: str | None  # the environment copied, or None for the starter template
    reviewed: int = 0  # how many places are marked `ecsenv: review`
    network: tuple | None = None  # (the source's VPC network, the new one) when the source declares one
    state_key: str | None = None  # for ecsenv.yaml when not the default (the copy declares its own inline)
    unmarked: tuple = ()  # other files (templates...) whose text was rewritten where no marker can go
    skipped: tuple = ()  # files not copied: not text


def scaffold(config, project_dir, name, env, source, formatter=None):
    """The new environment's Terraform root: a copy of `source`'s with every value naming it rewritten for `name`
    (bootstrap/project/retarget.py), or the starter template when there is no source root. `formatter` (text ->
    text, e.g. `terraform fmt`) lays out each file that changed."""
    target = environment_dir(project_dir, name)
    source_files = _terraform_files(environment_dir(project_dir, source)) if source else []
    if not source_files:
        text = render_template("environment/main.tf.j2")  # the same in every root: nothing names the environment
        return Scaffold({os.path.join(target, "main.tf"): text}, None)
    plan = retarget_plan(config, project_dir, name, env, source)
    source_dir = environment_dir(project_dir, source)
    texts, others, unmarked, skipped, reviewed = {}, {}, [], [], 0
    for relative in _copied_files(source_dir):
        try:
            with open(os.path.join(source_dir, relative), encoding="utf-8") as handle:
                text = handle.read()
        except UnicodeDecodeError:
            skipped.append(relative)  # not text: ecsenv writes text files only
            continue
        if relative.endswith(HCL_SUFFIXES):
            text, changed = plan.rewrite(text)
            texts[os.path.join(target, relative)] = (text, changed)
            reviewed += changed
        else:  # templates, policy documents...: rewritten too, but a comment line could break them
            rewritten = plan.rewrite_value(text)
            if rewritten != text:
                unmarked.append(relative)
            others[os.path.join(target, relative)] = rewritten
    key, texts = _own_state_key(config, name, source, plan, texts)
    files = {path: formatter(text) if changed and formatter else text for path, (text, changed) in texts.items()}
    files.update(others)
    lock_file = os.path.join(source_dir, layout.LOCK_FILE)
    if os.path.isfile(lock_file):  # the same provider versions as the source, checksums and all
        with open(lock_file, encoding="utf-8") as handle:
            files[os.path.join(target, layout.LOCK_FILE)] = handle.read()
    return Scaffold(files, source, reviewed, plan.network, key, tuple(unmarked), tuple(skipped))


def _copied_files(directory):
    """Paths (relative to the source root) of what a copy takes: every file of the root and its subdirectories
    (templates, nested modules), but not terraform's working files (.terraform/, state, saved plans), hidden files,
    nor what ecsenv renders for each environment (its backend config, its generated tfvars)."""
    return [relative for relative in layout.root_files(directory)
            if relative not in GENERATED and relative != layout.BACKEND_FILE]


def _own_state_key(config, name, source, plan, texts):
    """(the new environment's state key for ecsenv.yaml, or None for the default; the texts). A key the copy
    declares inline, or the source's configured key, is rewritten like every other value ("staging.tfstate" ->
    "qa.tfstate"); one that would still be another environment's is replaced by the default key and marked, so the
    copy can never plan against another environment's state."""
    inline = [(path, found) for path, (text, _changed) in texts.items() if (found := _inline_key(text))]
    configured = config.environments[source].state_key
    key = inline[0][1] if inline else (plan.rewrite_value(configured) if configured else None)
    taken = {config.state_key(other): other for other in (GLOBAL_ENVIRONMENT, *config.environments)}
    if key in taken:
        default = state_key(name)
        note = f"was \"{key}\", {taken[key]}'s state: set to {name}'s own"
        texts = {path: (replace_string(text, key, default, note), changed + (text.count(f'"{key}"') > 0))
                 for path, (text, changed) in texts.items()}
        key = default
    return (None if key in (None, state_key(name)) else key), texts


def _inline_key(text):
    """The `key` a `backend "s3" {...}` block in this text sets, or None."""
    import hcl2

    try:
        data = hcl2.loads(text)
    except Exception:  # noqa: BLE001 - not parseable here: terraform will say so at plan time, with its own message
        return None
    backends = [entry for block in data.get("terraform") or [] if isinstance(block, dict)
                for entry in block.get("backend") or [] if isinstance(entry, dict)]
    for label, body in (item for entry in backends for item in entry.items()):
        if str(label).strip('"') == "s3" and isinstance(body, dict) and isinstance(body.get("key"), str):
            return body["key"].strip('"')
    return None


def retarget_plan(config, project_dir, name, env, source):
    """How `source`'s values become `name`'s: its name, region and account, and its VPC network moved to one that
    overlaps no other root's."""
    source_env = config.environments[source]
    on_disk = [other for other, _directory in layout.environment_dirs(project_dir)]
    others = tuple(dict.fromkeys(other for other in (GLOBAL_ENVIRONMENT, *config.environments, *on_disk)
                                 if other != source))
    network = None
    source_networks = networks.root_networks(environment_dir(project_dir, source))
    if source_networks:
        used = [network for other in (source, *others)
                for network in networks.root_networks(environment_dir(project_dir, other))]
        free = networks.free_network(source_networks[0], used)
        if free is None:
            raise UserError(f"no /{source_networks[0].prefixlen} network is free beside {source_networks[0]} for "
                            f"{name}'s VPC (in use: {', '.join(map(str, used))})")
        network = (source_networks[0], free)
    keep = tuple(text for text in (config.state.bucket, config.state.lock_table) if text)
    return Retarget(
        source=source, target=name, other_environments=others, keep=keep,
        region=(source_env.region, env.region) if source_env.region != env.region else None,
        account=(source_env.account_id, env.account_id) if source_env.account_id != env.account_id else None,
        network=network)


def listing(config):
    """Rows for `ecsenv env list`: global_aws first, then every environment in promotion order."""
    bucket = config.state.bucket
    rows = [{"name": GLOBAL_ENVIRONMENT, "region": config.state.region, "account_id": config.state.account_id,
             "promotes_from": None, "state": f"s3://{bucket}/{config.state_key(GLOBAL_ENVIRONMENT)}"}]
    for name, env in config.environments.items():
        rows.append({"name": name, "region": env.region, "account_id": env.account_id,
                     "promotes_from": env.promotes_from, "state": f"s3://{bucket}/{config.state_key(name)}"})
    return rows
