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
- backend-config (only with a config): an environment's `backend.s3.tfbackend` missing or with settings other than
  ecsenv.yaml implies (compared setting by setting, comments and layout ignored), or an environment root that declares
  no `backend "s3"`.
HCL that does not parse is a `UserError` naming file:line.

Only `hcl2.loads` is used (present since python-hcl2 4.x; tested with 8.1.4). Its `with_meta` option adds no line
numbers in 8.x, so a block's line is found in the file's text; strings and labels are unquoted because 8.x keeps their
quotes, and its `__is_block__`/`__comments__` keys are skipped."""

import collections
import os
import re
from dataclasses import dataclass

from bootstrap.errors import UserError
from bootstrap.project.config import GLOBAL_ENVIRONMENT
from bootstrap.project.layout import BACKEND_FILE

MISSING_ARGUMENT = "missing-argument"
UNKNOWN_ARGUMENT = "unknown-argument"
MISSING_MODULE = "missing-module"
INCONSISTENT_ARGUMENTS = "inconsistent-arguments"
MISSING_DEPLOYMENT = "missing-deployment"
BACKEND_CONFIG = "backend-config"

DEPLOYMENT_MODULE = "deployment"
META_ARGUMENTS = {"source", "version", "count", "for_each", "providers", "depends_on"}  # not module variables


@dataclass(frozen=True)
class Finding:
    path: str  # relative to the project directory
    line: int  # 1-based
    kind: str
    message: str

    def __str__(self):
        return f"{self.path}:{self.line}: {self.message}"


def run_checks(project_dir, config=None):
    """Every finding, sorted by file and line. `config` (a ProjectConfig) enables the backend config comparison."""
    project = _Project(project_dir)
    findings = project.module_call_findings() + project.deployment_findings(config)
    findings += project.missing_deployment_findings()
    findings += project.backend_declaration_findings()
    if config is not None:
        findings += project.backend_file_findings(config) + project.inline_override_findings(config)
    return sorted(findings, key=lambda finding: (finding.path, finding.line, finding.kind, finding.message))


@dataclass(frozen=True)
class DeclaredBackend:
    """The S3 backend settings a root states itself: inline in `backend "s3" {...}` and in a backend file that
    ecsenv did not generate (an existing repository's)."""

    environment: str
    settings: dict  # bucket, key, region, use_lockfile, dynamodb_table, ... as written
    sources: tuple  # "path:line" of each place that set something


def declared_backends(project_dir):
    """{environment: DeclaredBackend} for every root under environments/ that states S3 backend settings."""
    return _Project(project_dir).declared_backends()

def backend_findings(project_dir, config, environment):
    """The backend-config findings of one environment (its backend file and inline settings against ecsenv.yaml,
    and its root's `backend "s3"` declaration): what `plan` and `apply` refuse on, the same comparisons
    `ecsenv check` makes."""
    project = _Project(project_dir)
    findings = (project.backend_file_findings(config, only=environment)
                + project.inline_override_findings(config, only=environment)
                + project.backend_declaration_findings(only=environment))
    return sorted(findings, key=lambda finding: (finding.path, finding.line, finding.message))


@dataclass
class _Block:
    type: str
    label: str | None  # the first label, if any
    body: dict
    path: str  # absolute
    line: int


def _unquote(value):
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _attributes(body):
    """The attributes and nested blocks of a block body, without python-hcl2's metadata keys."""
    return {_unquote(key): value for key, value in body.items() if not str(key).startswith("__")}


def _show(value):
    """A backend setting as it would be written in HCL."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def _describe_parse_error(error):
    """(line, reason) of a python-hcl2 / lark error."""
    error = getattr(error, "orig_exc", None) or error  # lark's VisitError wraps the transformer's error
    line = getattr(error, "line", None)
    if not isinstance(line, int) or line < 1:
        match = re.search(r"line (\d+)", str(error))
        line = int(match.group(1)) if match else 1
    name = type(error).__name__
    token = getattr(error, "token", None)
    if name == "UnexpectedEOF" or getattr(token, "type", None) == "$END":
        return line, "unexpected end of file (an unclosed block, string or bracket?)"
    elif token is not None:
        text = str(token).strip().splitlines()[0] if str(token).strip() else repr(str(token))
        reason = f"unexpected {text[:40]!r}"
    elif getattr(error, "char", None) is not None:
        reason = f"unexpected character {error.char!r}"
    else:
        reason = (str(error).strip().splitlines() or [name])[0]
    column = getattr(error, "column", None)
    if isinstance(column, int) and column > 0:
        reason += f" at column {column}"
    return line, reason


class _Project:
    def __init__(self, project_dir):
        self.project_dir = project_dir
        self._parsed = {}  # absolute path -> (text, dict)

    # -- files ----------------------------------------------------------------------------------------------------

    def rel(self, path):
        return os.path.relpath(path, self.project_dir).replace(os.sep, "/")

    def parse(self, path):
        if path not in self._parsed:
            import hcl2  # imported when a check runs only

            try:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
            except UnicodeDecodeError:
                raise UserError(f"{self.rel(path)}:1: not UTF-8 text, cannot parse it as HCL") from None
            try:
                data = hcl2.loads(text)
            except Exception as error:  # noqa: BLE001 - lark's parse errors, and python-hcl2's own, carry the line where they can
                line, reason = _describe_parse_error(error)
                line = max(1, min(line, text.count("\n") + 1))
                raise UserError(f"{self.rel(path)}:{line}: not valid HCL: {reason}") from None
            self._parsed[path] = (text, data)
        return self._parsed[path]

    @staticmethod
    def tf_files(directory):
        try:
            names = sorted(os.listdir(directory))
        except (FileNotFoundError, NotADirectoryError):
            return []
        return [os.path.join(directory, name) for name in names
                if name.endswith(".tf") and os.path.isfile(os.path.join(directory, name))]

    def subdirectories(self, parent):
        root = os.path.join(self.project_dir, parent)
        try:
            names = sorted(os.listdir(root))
        except (FileNotFoundError, NotADirectoryError):
            return []
        return [(name, os.path.join(root, name)) for name in names
                if not name.startswith(".") and os.path.isdir(os.path.join(root, name))]

    def environment_dirs(self):
        return self.subdirectories("environments")

    # -- blocks ---------------------------------------------------------------------------------------------------

    def blocks(self, path, block_type):
        """The top-level blocks of one type in a file; labelled types (module, variable) by their first label."""
        text, data = self.parse(path)
        found = []
        for entry in data.get(block_type) or []:
            if not isinstance(entry, dict):
                continue
            if block_type == "terraform":
                found.append(_Block(block_type, None, _attributes(entry), path, _line(text, block_type, None)))
                continue
            for label, body in entry.items():
                if str(label).startswith("__") or not isinstance(body, dict):
                    continue
                label = _unquote(label)
                found.append(_Block(block_type, label, _attributes(body), path, _line(text, block_type, label)))
        return found

    def directory_blocks(self, directory, block_type):
        return [block for path in self.tf_files(directory) for block in self.blocks(path, block_type)]

    def module_variables(self, directory):
        """{variable name: has a default} of the module in `directory`."""
        return {block.label: "default" in block.body for block in self.directory_blocks(directory, "variable")}

    # -- checks ---------------------------------------------------------------------------------------------------

    def module_call_findings(self):
        findings = []
        variables_of = {}
        for parent in ("environments", "modules"):
            for _name, directory in self.subdirectories(parent):
                for call in self.directory_blocks(directory, "module"):
                    source = _unquote(call.body.get("source"))
                    if not isinstance(source, str) or not source.startswith(("./", "../")):
                        continue  # a registry or remote module: not checked
                    target = os.path.normpath(os.path.join(os.path.dirname(call.path), source))
                    where = f'module "{call.label}" (source "{source}")'
                    if not self.tf_files(target):
                        problem = "does not exist" if not os.path.isdir(target) else "has no .tf files"
                        findings.append(Finding(self.rel(call.path), call.line, MISSING_MODULE,
                                                f"{where}: module directory {self.rel(target)} {problem}"))
                        continue
                    if target not in variables_of:
                        variables_of[target] = self.module_variables(target)
                    variables = variables_of[target]
                    passed = set(call.body) - META_ARGUMENTS
                    module = self.rel(target)
                    for variable, has_default in variables.items():
                        if not has_default and variable not in passed:
                            findings.append(Finding(
                                self.rel(call.path), call.line, MISSING_ARGUMENT,
                                f'{where} does not pass "{variable}", which module {module} requires '
                                "(its variable has no default)"))
                    for argument in sorted(passed - set(variables)):
                        findings.append(Finding(
                            self.rel(call.path), call.line, UNKNOWN_ARGUMENT,
                            f'{where} passes "{argument}", which module {module} declares no variable for'))
        return findings

    def deployment_findings(self, config):
        calls = {}  # environment -> its first deployment module call
        for name, directory in self.environment_dirs():
            if name == GLOBAL_ENVIRONMENT:
                continue
            found = [block for block in self.directory_blocks(directory, "module") if block.label == DEPLOYMENT_MODULE]
            if found:
                calls[name] = found[0]
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
                self.rel(call.path), call.line, INCONSISTENT_ARGUMENTS,
                f'environment {name} passes different arguments to module "{DEPLOYMENT_MODULE}" than '
                f"{', '.join(compared)} ({details})"))
        return findings

    def missing_deployment_findings(self):
        findings = []
        for name, directory in self.environment_dirs():
            files = self.tf_files(directory)
            if name == GLOBAL_ENVIRONMENT or not files:
                continue
            if any(block.label == DEPLOYMENT_MODULE for block in self.directory_blocks(directory, "module")):
                continue
            main = os.path.join(directory, "main.tf")
            findings.append(Finding(
                self.rel(main if main in files else files[0]), 1, MISSING_DEPLOYMENT,
                f'environment {name} has no module "{DEPLOYMENT_MODULE}" call: applying it destroys what the '
                f"environment had. To retire it, `ecsenv env remove {name}`; otherwise restore the call"))
        return findings

    def backend_file_findings(self, config, only=None):
        import hcl2

        from bootstrap.project import render

        findings = []
        for path, expected_text in render.backend_files(config, self.project_dir).items():
            environment = os.path.basename(os.path.dirname(path))
            if only is not None and environment != only:
                continue
            rel = self.rel(path)
            if not os.path.isfile(path):
                findings.append(Finding(rel, 1, BACKEND_CONFIG,
                                        f"missing: environment {environment} has no backend config "
                                        "(`ecsenv render` writes it from ecsenv.yaml)"))
                continue
            text, actual = self.parse(path)
            actual = {key: _unquote(value) for key, value in _attributes(actual).items()}
            expected = {key: _unquote(value) for key, value in _attributes(hcl2.loads(expected_text)).items()}
            for key, want in expected.items():
                if key not in actual:
                    findings.append(Finding(rel, 1, BACKEND_CONFIG,
                                            f"{key} is not set; ecsenv.yaml implies {key} = {_show(want)}"))
                elif _show(actual[key]) != _show(want):
                    findings.append(Finding(rel, _attribute_line(text, key), BACKEND_CONFIG,
                                            f"{key} = {_show(actual[key])}, but ecsenv.yaml implies "
                                            f"{key} = {_show(want)}"))
            for key in actual.keys() - expected.keys():
                findings.append(Finding(rel, _attribute_line(text, key), BACKEND_CONFIG,
                                        f"{key} is set, but ecsenv.yaml implies no {key}"))
        return findings

    def inline_backend(self, directory):
        """(settings, "path:line") of the `backend "s3"` block in a root, or ({}, None)."""
        for block in self.directory_blocks(directory, "terraform"):
            for entry in block.body.get("backend") or []:
                if isinstance(entry, dict):
                    for label, body in entry.items():
                        if _unquote(label) == "s3" and isinstance(body, dict):
                            settings = {key: _unquote(value) for key, value in _attributes(body).items()}
                            return settings, f"{self.rel(block.path)}:{block.line}"
        return {}, None

    def declared_backends(self):
        from bootstrap.project import render

        found = {}
        for name, directory in self.environment_dirs():
            settings, where = self.inline_backend(directory)
            sources = [where] if settings else []
            backend_file = os.path.join(directory, BACKEND_FILE)
            if os.path.isfile(backend_file) and not render.is_generated(backend_file):
                _text, data = self.parse(backend_file)
                from_file = {key: _unquote(value) for key, value in _attributes(data).items()}
                if from_file:
                    settings = {**settings, **from_file}  # -backend-config values win over inline ones
                    sources.append(f"{self.rel(backend_file)}:1")
            if settings:
                found[name] = DeclaredBackend(name, settings, tuple(sources))
        return found

    def inline_override_findings(self, config, only=None):
        """Inline `backend "s3"` settings that differ from what ecsenv.yaml implies: whichever wins, one of the two
        is not what it seems (an adopted repository's inline key pointing at another state, say)."""
        import hcl2

        from bootstrap.project import render

        findings = []
        for path, expected_text in render.backend_files(config, self.project_dir).items():
            directory = os.path.dirname(path)
            if only is not None and os.path.basename(directory) != only:
                continue
            inline, where = self.inline_backend(directory)
            if not inline:
                continue
            expected = {key: _unquote(value) for key, value in _attributes(hcl2.loads(expected_text)).items()}
            rel, line = where.rsplit(":", 1)
            for key, value in sorted(inline.items()):
                if key in expected and _show(value) != _show(expected[key]):
                    findings.append(Finding(rel, int(line), BACKEND_CONFIG,
                                            f'backend "s3" sets {key} = {_show(value)} inline, but ecsenv.yaml '
                                            f"implies {key} = {_show(expected[key])}: remove it from the block "
                                            "(the backend file carries it) or set it in ecsenv.yaml"))
        return findings

    def backend_declaration_findings(self, only=None):
        findings = []
        for name, directory in self.environment_dirs():
            if only is not None and name != only:
                continue
            files = self.tf_files(directory)
            if not files:
                continue
            blocks = self.directory_blocks(directory, "terraform")
            backends = []  # (type, terraform block)
            for block in blocks:
                for entry in block.body.get("backend") or []:
                    if isinstance(entry, dict):
                        backends += [(_unquote(label), block) for label in entry if not str(label).startswith("__")]
            if any(kind == "s3" for kind, _block in backends):
                continue
            if backends:
                kind, block = backends[0]
                findings.append(Finding(self.rel(block.path), block.line, BACKEND_CONFIG,
                                        f'environment {name} declares backend "{kind}", not "s3": '
                                        f"its {BACKEND_FILE} is not used"))
                continue
            main = os.path.join(directory, "main.tf")
            path, line = (blocks[0].path, blocks[0].line) if blocks else (main if main in files else files[0], 1)
            findings.append(Finding(self.rel(path), line, BACKEND_CONFIG,
                                    f'environment {name} declares no backend "s3" (add `backend "s3" {{}}` to a '
                                    "terraform block): its state would stay on local disk"))
        return findings


def _line(text, block_type, label):
    """1-based line of `block_type "label" {` (label quoted or not) in HCL text; 1 if not found."""
    label_pattern = "" if label is None else r'[ \t]+(?:"' + re.escape(label) + r'"|' + re.escape(label) + r")"
    match = re.search(r"^[ \t]*" + re.escape(block_type) + label_pattern + r"[ \t]*\{", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def _attribute_line(text, key):
    match = re.search(r"^[ \t]*" + re.escape(key) + r"[ \t]*=", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1
