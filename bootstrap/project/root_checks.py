"""`ecsenv check`'s root-differs findings: the app environments' roots are the same code, and differ only in their
data, so a change to the stack is one reviewed change made alike in every root (promoted by plan/apply, environment
by environment), never a fork that drifts.

Data, which may differ: env.auto.tfvars (the small per-environment file) and any other *.tfvars, ecsenv.auto.tfvars
(the identity ecsenv renders from ecsenv.yaml), backend files (*.tfbackend), and what layout.root_files leaves out
(hidden files, so the provider lock file too: `terraform init -upgrade` reaches one root before the next; terraform's
state and saved plans). Everything else, .tf files, templates and nested modules alike, is compared byte for byte.

The roots compared are those of the app environments in ecsenv.yaml (global_aws is another stack), where the layout
puts them; without a config, every directory under environments/ but global_aws that has files. With one root, there
is nothing to compare."""

import collections
import os

from bootstrap.project import layout
from bootstrap.project.findings import ROOT_DIFFERS, Finding
from bootstrap.project.layout import ENV_TFVARS, GENERATED_TFVARS, GLOBAL_ENVIRONMENT

DATA_SUFFIXES = (".tfvars", ".tfvars.json", ".tfbackend")
HOW_TO_FIX = (f"environment roots are the same code and differ only in their data ({ENV_TFVARS}, {GENERATED_TFVARS}, "
              f"backend files): make the change in every root, or move the per-environment value into {ENV_TFVARS}")


def is_data(relative):
    return relative in (ENV_TFVARS, GENERATED_TFVARS) or relative.endswith(DATA_SUFFIXES)


def app_roots(project_dir, config=None):
    """[(environment, root directory)] of the app environments whose roots have files, in ecsenv.yaml's order."""
    if config is not None:
        names = list(config.environments)
    else:
        names = [name for name, _directory in layout.environment_dirs(project_dir) if name != GLOBAL_ENVIRONMENT]
    roots = [(name, layout.environment_dir(project_dir, name)) for name in names]
    return [(name, directory) for name, directory in roots if layout.root_files(directory)]


def root_differs_findings(project_dir, config=None):
    """One finding for each root whose code differs from the reference: the version most roots have (with no
    majority, e.g. two roots, the first root's in ecsenv.yaml's order: where changes start)."""
    roots = app_roots(project_dir, config)
    if len(roots) < 2:
        return []
    code = {name: {relative: _read(directory, relative) for relative in layout.root_files(directory)
                   if not is_data(relative)} for name, directory in roots}
    findings = []
    for relative in sorted(set().union(*code.values())):
        versions = {name: code[name].get(relative) for name, _directory in roots}  # None: not in that root
        reference = _reference(list(versions.values()))
        agreeing = [name for name, version in versions.items() if version == reference]
        for name, version in versions.items():
            if version != reference:
                findings.append(_finding(project_dir, dict(roots), relative, name, version, agreeing, reference))
    return findings


def _reference(versions):
    counts = collections.Counter(versions).most_common()
    if len(counts) > 1 and counts[0][1] == counts[1][1]:
        return versions[0]
    return counts[0][0]


def _finding(project_dir, directories, relative, name, version, agreeing, reference):
    others = ", ".join(agreeing)
    if version is None:  # in the reference roots, not in this one
        where, line = os.path.join(directories[agreeing[0]], relative), 1
        message = f"{relative} is in {others} but not in {name}"
    elif reference is None:  # only in this one (and maybe others that differ)
        where, line = os.path.join(directories[name], relative), 1
        message = f"{relative} is in {name} but not in {others}"
    else:
        where, line = os.path.join(directories[name], relative), _first_difference(version, reference)
        message = f"{relative} in {name} is not the same as in {others}"
    path = os.path.relpath(where, project_dir).replace(os.sep, "/")
    return Finding(path, line, ROOT_DIFFERS, f"{message}: {HOW_TO_FIX}")


def _first_difference(one, other):
    """The first line of `one` that is not `other`'s (line endings count), at most its last line."""
    lines, other_lines = one.splitlines(keepends=True), other.splitlines(keepends=True)
    number = next((number for number, (a, b) in enumerate(zip(lines, other_lines), 1) if a != b),
                  min(len(lines), len(other_lines)) + 1)
    return max(1, min(number, len(lines)))


def _read(directory, relative):
    try:
        with open(os.path.join(directory, relative), "rb") as handle:
            return handle.read()
    except OSError as error:  # a dangling link, say: differs from a readable file, equals the same problem
        return f"<unreadable: {error.strerror}>".encode()
