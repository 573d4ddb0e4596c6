"""Environments as directories: scaffolding a new one (a copy of another's Terraform root with what names the source
adjusted and marked, or a starter root from a template) and the rows of `ecsenv env list`. No I/O beyond reading
the source environment; writing is the caller's."""

import glob
import os
import re

from bootstrap.errors import UserError
from bootstrap.project import validation
from bootstrap.project.config import GLOBAL_ENVIRONMENT, EnvironmentConfig, state_key
from bootstrap.project.render import render_template

COPIED_PATTERNS = ("*.tf", "*.tfvars")
HEREDOC_START = re.compile(r"<<-?\s*([A-Za-z_][A-Za-z0-9_]*)\s*$")


def environment_dir(project_dir, name):
    from bootstrap.project import layout

    return layout.environment_dir(project_dir, name)


def check_new_environment(config, project_dir, name, source, promotes_from):
    problem = validation.environment_name(name)
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
    return sorted(path for pattern in COPIED_PATTERNS for path in glob.glob(os.path.join(directory, pattern)))


def scaffold(config, project_dir, name, env, source):
    """({path: text} of the new environment's Terraform root, the environment it copies or None for the template).
    Its backend config is rendered separately."""
    target = environment_dir(project_dir, name)
    source_files = _terraform_files(environment_dir(project_dir, source)) if source else []
    if not source_files:
        text = render_template("environment/main.tf.j2", name=name, key=state_key(name), region=env.region,
                               account_id=env.account_id)
        return {os.path.join(target, "main.tf"): text}, None
    source_env = config.environments[source]
    substitutions = [(source, name)]
    if source_env.region != env.region:
        substitutions.append((source_env.region, env.region))
    if source_env.account_id != env.account_id:
        substitutions.append((source_env.account_id, env.account_id))
    files = {}
    for path in source_files:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        header = (f"# Scaffolded by `ecsenv env add {name} --from {source}` from environments/{source}/"
                  f"{os.path.basename(path)}.\n# Lines marked `ecsenv: review` named {source}; everything else is "
                  f"{source}'s value: check sizes, counts and domains.\n")
        files[os.path.join(target, os.path.basename(path))] = header + adapt(text, substitutions, name)
    return files, source


def adapt(text, substitutions, name):
    """Replace quoted source values ("staging" -> "qa") and put a marker line above each changed line.
    Heredoc bodies are left exactly as they are: a marker there would become part of the string."""
    out, heredoc_end = [], None
    for line in text.splitlines(keepends=True):
        if heredoc_end is not None:
            out.append(line)
            if line.strip() == heredoc_end:
                heredoc_end = None
            continue
        changed = line
        replaced = []
        for old, new in substitutions:
            if f'"{old}"' in changed:
                changed = changed.replace(f'"{old}"', f'"{new}"')
                replaced.append(f'"{old}"')
        if replaced:
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}# ecsenv: review: was {', '.join(replaced)}, set for {name}\n")
        out.append(changed)
        match = HEREDOC_START.search(line.rstrip("\n"))
        if match:
            heredoc_end = match.group(1)
    return "".join(out)


def listing(config):
    """Rows for `ecsenv env list`: global_aws first, then every environment in promotion order."""
    bucket = config.state.bucket
    rows = [{"name": GLOBAL_ENVIRONMENT, "region": config.state.region, "account_id": config.state.account_id,
             "promotes_from": None, "state": f"s3://{bucket}/{config.state_key(GLOBAL_ENVIRONMENT)}"}]
    for name, env in config.environments.items():
        rows.append({"name": name, "region": env.region, "account_id": env.account_id,
                     "promotes_from": env.promotes_from, "state": f"s3://{bucket}/{config.state_key(name)}"})
    return rows
