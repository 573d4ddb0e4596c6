"""`ecsenv check`: static consistency of a project's Terraform (`environments/*` roots, `modules/*`), no AWS needed.

Checks, each a list of `Finding`s (file:line: message):
- missing-argument: a module call (local source) that does not pass a variable the module declares without a default;
- unknown-argument: a module call that passes an argument the module declares no variable for;
- missing-module: a module call whose local source directory does not exist;
- inconsistent-arguments: an environment whose `deployment` module call passes a different set of argument names
  than the majority of environments (with no majority, e.g. two environments that differ, each one is reported,
  compared with the others: only a person knows which side is right);
- missing-deployment: an environment root (not global_aws) with Terraform files but no `deployment` module call: an
  emptied root, whose next apply destroys the environment (retire one with `ecsenv env remove` instead);
- backend-config: see backend_checks (the comparisons with ecsenv.yaml only with a config);
- root-differs: an app environment's root whose code (anything but its data files) is not the other roots' (see
  root_checks).
HCL that does not parse is a `UserError` naming file:line (hcl_reader)."""

import collections
import os

from bootstrap.project.backend_checks import all_backend_findings
from bootstrap.project.findings import (
    INCONSISTENT_ARGUMENTS,
    MISSING_ARGUMENT,
    MISSING_DEPLOYMENT,
    MISSING_MODULE,
    UNKNOWN_ARGUMENT,
    Finding,
    by_place,
)
from bootstrap.project.hcl_reader import TerraformFiles, unquote
from bootstrap.project.layout import ENVIRONMENTS_DIR, GLOBAL_ENVIRONMENT, MODULES_DIR
from bootstrap.project.root_checks import root_differs_findings

DEPLOYMENT_MODULE = "deployment"
META_ARGUMENTS = {"source", "version", "count", "for_each", "providers", "depends_on"}  # not module variables


def run_checks(project_dir, config=None):
    """Every finding, sorted by file and line. `config` (a ProjectConfig) enables the backend config comparison."""
    files = TerraformFiles(project_dir)
    findings = _module_call_findings(files) + _deployment_findings(files, config)
    findings += _missing_deployment_findings(files)
    findings += all_backend_findings(files, config)
    findings += root_differs_findings(project_dir, config)
    return sorted(findings, key=by_place)


def _module_call_findings(files):
    findings = []
    variables_of = {}
    for parent in (ENVIRONMENTS_DIR, MODULES_DIR):
        for _name, directory in files.subdirectories(parent):
            for call in files.directory_blocks(directory, "module"):
                source = unquote(call.body.get("source"))
                if not isinstance(source, str) or not source.startswith(("./", "../")):
                    continue  # a registry or remote module: not checked
                target = os.path.normpath(os.path.join(os.path.dirname(call.path), source))
                where = f'module "{call.label}" (source "{source}")'
                if not files.tf_files(target):
                    problem = "does not exist" if not os.path.isdir(target) else "has no .tf files"
                    findings.append(Finding(files.rel(call.path), call.line, MISSING_MODULE,
                                            f"{where}: module directory {files.rel(target)} {problem}"))
                    continue
                if target not in variables_of:
                    variables_of[target] = files.module_variables(target)
                variables = variables_of[target]
                passed = set(call.body) - META_ARGUMENTS
                module = files.rel(target)
                for variable, has_default in variables.items():
                    if not has_default and variable not in passed:
                        findings.append(Finding(
                            files.rel(call.path), call.line, MISSING_ARGUMENT,
                            f'{where} does not pass "{variable}", which module {module} requires '
                            "(its variable has no default)"))
                for argument in sorted(passed - set(variables)):
                    findings.append(Finding(
                        files.rel(call.path), call.line, UNKNOWN_ARGUMENT,
                        f'{where} passes "{argument}", which module {module} declares no variable for'))
    return findings


def _deployment_calls(files):
    """{environment: its first `deployment` module call} of the app environment roots that have one."""
    calls = {}
    for name, directory in files.environment_dirs():
        if name == GLOBAL_ENVIRONMENT:
            continue
        found = [block for block in files.directory_blocks(directory, "module") if block.label == DEPLOYMENT_MODULE]
        if found:
            calls[name] = found[0]
    return calls


def _deployment_findings(files, config):
    calls = _deployment_calls(files)
    configured = list(config.environments) if config is not None else []
    order = [name for name in configured if name in calls] + sorted(set(calls) - set(configured))
    arguments = {name: frozenset(set(calls[name].body) - META_ARGUMENTS) for name in order}
    counts = collections.Counter(arguments.values()).most_common()
    if len(counts) < 2:
        return []
    majority = counts[0][0] if counts[0][1] > counts[1][1] else None
    findings = []
    for name in order:
        if majority is not None:
            if arguments[name] == majority:
                continue
            compared = [other for other in order if arguments[other] == majority]
            passed_by_all = passed_by_any = majority
        else:  # no majority: each environment is compared with all the others
            compared = [other for other in order if other != name]
            passed_by_any = frozenset().union(*(arguments[other] for other in compared))
            passed_by_all = frozenset.intersection(*(arguments[other] for other in compared))
        missing = sorted(passed_by_any - arguments[name])
        extra = sorted(arguments[name] - passed_by_all)
        details = "; ".join(part for part in (
            "missing: " + ", ".join(missing) if missing else "",
            "extra: " + ", ".join(extra) if extra else "") if part)
        call = calls[name]
        findings.append(Finding(
            files.rel(call.path), call.line, INCONSISTENT_ARGUMENTS,
            f'environment {name} passes different arguments to module "{DEPLOYMENT_MODULE}" than '
            f"{', '.join(compared)} ({details})"))
    return findings


def _missing_deployment_findings(files):
    calls = _deployment_calls(files)
    findings = []
    for name, directory in files.environment_dirs():
        tf_files = files.tf_files(directory)
        if name == GLOBAL_ENVIRONMENT or not tf_files or name in calls:
            continue
        main = os.path.join(directory, "main.tf")
        findings.append(Finding(
            files.rel(main if main in tf_files else tf_files[0]), 1, MISSING_DEPLOYMENT,
            f'environment {name} has no module "{DEPLOYMENT_MODULE}" call: applying it destroys what the '
            f"environment had. To retire it, `ecsenv env remove {name}`; otherwise restore the call"))
    return findings
