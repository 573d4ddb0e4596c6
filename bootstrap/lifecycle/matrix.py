"""The environments a CI run fans out over, in promotion order (global_aws first, then each environment after the
one it promotes from), optionally only those a change touches: an environment is touched when a file under its
root changed, or under a local module its root uses (followed through modules that call other modules)."""

import os
import re

from bootstrap.lifecycle import git
from bootstrap.project import layout

# A module call's local source: `source = "../../modules/x"` (registry and git sources are not in this repository).
LOCAL_SOURCE = re.compile(r'^\s*source\s*=\s*"(\.{1,2}/[^"]*)"', re.M)


def promotion_order(config):
    """global_aws, then the environments as ecsenv.yaml lists them (its validation puts every environment after
    the one it promotes from)."""
    return [layout.GLOBAL_ENVIRONMENT, *config.environments]


def local_modules(directory, seen=None):
    """The module directories a Terraform directory uses, directly or through other local modules."""
    seen = set() if seen is None else seen
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return seen
    for name in names:
        if not name.endswith(".tf"):
            continue
        with open(os.path.join(directory, name), encoding="utf-8", errors="replace") as handle:
            text = handle.read()
        for source in LOCAL_SOURCE.findall(text):
            module = os.path.normpath(os.path.join(directory, source))
            if module not in seen:
                seen.add(module)
                local_modules(module, seen)
    return seen


def touched(project_dir, environment, changed_paths):
    """Whether any changed path (relative to the repository root) is in the environment's root or its modules."""
    root = git.toplevel(project_dir)
    directories = [layout.environment_dir(project_dir, environment)]
    directories += sorted(local_modules(directories[0]))
    prefixes = [os.path.relpath(os.path.abspath(directory), root) + os.sep for directory in directories]
    return any((path + os.sep).startswith(prefix) or path.startswith(prefix)
               for path in changed_paths for prefix in prefixes)


def matrix(project_dir, config, changed_since=None):
    """{"include": [{"environment": name}, ...]}: GitHub Actions' matrix form, in promotion order."""
    names = promotion_order(config)
    if changed_since:
        changed = git.changed_paths(project_dir, changed_since)
        names = [name for name in names if touched(project_dir, name, changed)]
    return {"include": [{"environment": name} for name in names]}
