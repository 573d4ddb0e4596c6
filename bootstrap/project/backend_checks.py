"""The backend-config findings of `ecsenv check` (and of `plan`/`apply`, which refuse on them), and the S3 backend
settings an existing repository's roots declare (what `init` adopts):
- an environment's `backend.s3.tfbackend` missing or with settings other than ecsenv.yaml implies (compared setting
  by setting, comments and layout ignored);
- inline `backend "s3"` settings that contradict ecsenv.yaml;
- an environment root that declares no `backend "s3"` (or another backend type)."""

import os
from dataclasses import dataclass

from bootstrap.project.findings import BACKEND_CONFIG, Finding, by_place
from bootstrap.project.hcl_reader import TerraformFiles, attribute_line, parse_text, settings
from bootstrap.project.layout import BACKEND_FILE


@dataclass(frozen=True)
class DeclaredBackend:
    """The S3 backend settings a root states itself: inline in `backend "s3" {...}` and in a backend file that
    ecsenv did not generate (an existing repository's)."""

    environment: str
    settings: dict  # bucket, key, region, use_lockfile, dynamodb_table, ... as written
    sources: tuple  # "path:line" of each place that set something


def declared_backends(project_dir):
    """{environment: DeclaredBackend} for every root under environments/ that states S3 backend settings."""
    from bootstrap.project import render

    files = TerraformFiles(project_dir)
    found = {}
    for name, directory in files.environment_dirs():
        declared, where = _inline_backend(files, directory)
        sources = [where] if declared else []
        backend_file = os.path.join(directory, BACKEND_FILE)
        if os.path.isfile(backend_file) and not render.is_generated(backend_file):
            _text, data = files.parse(backend_file)
            from_file = settings(data)
            if from_file:
                declared = {**declared, **from_file}  # -backend-config values win over inline ones
                sources.append(f"{files.rel(backend_file)}:1")
        if declared:
            found[name] = DeclaredBackend(name, declared, tuple(sources))
    return found


def backend_findings(project_dir, config, environment):
    """The backend-config findings of one environment (its backend file and inline settings against ecsenv.yaml,
    and its root's `backend "s3"` declaration): what `plan` and `apply` refuse on, the same comparisons
    `ecsenv check` makes."""
    return sorted(all_backend_findings(TerraformFiles(project_dir), config, only=environment), key=by_place)


def all_backend_findings(files, config=None, only=None):
    """Every backend-config finding (of environment `only`, if given); the comparisons with ecsenv.yaml need
    `config`."""
    findings = _declaration_findings(files, only)
    if config is not None:
        findings = _backend_file_findings(files, config, only) + _inline_override_findings(files, config, only) \
            + findings
    return findings


def _show(value):
    """A backend setting as it would be written in HCL."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def _expected_backend_files(files, config, only):
    """[(path, the settings ecsenv.yaml implies)] of each environment's backend file."""
    from bootstrap.project import render

    return [(path, settings(parse_text(text))) for path, text in render.backend_files(config, files.project_dir).items()
            if only is None or os.path.basename(os.path.dirname(path)) == only]


def _backend_file_findings(files, config, only):
    findings = []
    for path, expected in _expected_backend_files(files, config, only):
        environment = os.path.basename(os.path.dirname(path))
        rel = files.rel(path)
        if not os.path.isfile(path):
            findings.append(Finding(rel, 1, BACKEND_CONFIG,
                                    f"missing: environment {environment} has no backend config "
                                    "(`ecsenv render` writes it from ecsenv.yaml)"))
            continue
        text, data = files.parse(path)
        actual = settings(data)
        for key, want in expected.items():
            if key not in actual:
                findings.append(Finding(rel, 1, BACKEND_CONFIG,
                                        f"{key} is not set; ecsenv.yaml implies {key} = {_show(want)}"))
            elif _show(actual[key]) != _show(want):
                findings.append(Finding(rel, attribute_line(text, key), BACKEND_CONFIG,
                                        f"{key} = {_show(actual[key])}, but ecsenv.yaml implies "
                                        f"{key} = {_show(want)}"))
        for key in actual.keys() - expected.keys():
            findings.append(Finding(rel, attribute_line(text, key), BACKEND_CONFIG,
                                    f"{key} is set, but ecsenv.yaml implies no {key}"))
    return findings


def _inline_backend(files, directory):
    """(settings, "path:line") of the `backend "s3"` block in a root, or ({}, None)."""
    for kind, body, block in files.backends(directory):
        if kind == "s3" and isinstance(body, dict):
            return settings(body), f"{files.rel(block.path)}:{block.line}"
    return {}, None


def _inline_override_findings(files, config, only):
    """Inline `backend "s3"` settings that differ from what ecsenv.yaml implies: whichever wins, one of the two
    is not what it seems (an adopted repository's inline key pointing at another state, say)."""
    findings = []
    for path, expected in _expected_backend_files(files, config, only):
        inline, where = _inline_backend(files, os.path.dirname(path))
        if not inline:
            continue
        rel, line = where.rsplit(":", 1)
        for key, value in sorted(inline.items()):
            if key in expected and _show(value) != _show(expected[key]):
                findings.append(Finding(rel, int(line), BACKEND_CONFIG,
                                        f'backend "s3" sets {key} = {_show(value)} inline, but ecsenv.yaml '
                                        f"implies {key} = {_show(expected[key])}: remove it from the block "
                                        "(the backend file carries it) or set it in ecsenv.yaml"))
    return findings


def _declaration_findings(files, only):
    findings = []
    for name, directory in files.environment_dirs():
        if only is not None and name != only:
            continue
        tf_files = files.tf_files(directory)
        if not tf_files:
            continue
        backends = files.backends(directory)
        if any(kind == "s3" for kind, _body, _block in backends):
            continue
        if backends:
            kind, _body, block = backends[0]
            findings.append(Finding(files.rel(block.path), block.line, BACKEND_CONFIG,
                                    f'environment {name} declares backend "{kind}", not "s3": '
                                    f"its {BACKEND_FILE} is not used"))
            continue
        blocks = files.directory_blocks(directory, "terraform")
        main = os.path.join(directory, "main.tf")
        path, line = (blocks[0].path, blocks[0].line) if blocks else (main if main in tf_files else tf_files[0], 1)
        findings.append(Finding(files.rel(path), line, BACKEND_CONFIG,
                                f'environment {name} declares no backend "s3" (add `backend "s3" {{}}` to a '
                                "terraform block): its state would stay on local disk"))
    return findings
