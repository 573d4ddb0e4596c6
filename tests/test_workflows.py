"""The adopters' CI (.github/workflows) and maskfile.md: they parse, run in the right order with OIDC, and every
ecsenv command they contain is one the CLI accepts. (actionlint is not used: its PyPI package downloads the
binary from GitHub at install time, which this machine cannot reach.)"""

import pathlib
import re
import shlex

import pytest
import yaml

from bootstrap.cli.parser import build_parser

ROOT = pathlib.Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"


def load(name):
    return yaml.safe_load((WORKFLOWS / name).read_text())


def shell_lines(path):
    """The shell the file runs: `run:` steps of a workflow, ```bash blocks of the maskfile."""
    if path.suffix == ".yml":
        return [line for job in yaml.safe_load(path.read_text())["jobs"].values() for step in job["steps"]
                for line in step.get("run", "").splitlines()]
    return re.findall(r"```bash\n(.*?)\n```", path.read_text(), re.S)


def ecsenv_commands(path):
    commands = []
    for line in shell_lines(path):
        match = re.match(r"\s*ecsenv (.*?)(?:\s*\|\|.*)?$", line)
        if match:
            # Shell variables and GitHub expressions stand for a commit (or a name): give them one.
            text = re.sub(r"\$\{\{[^}]*\}\}|\$\{?[A-Za-z_]+\}?", "0a1b2c3", match.group(1))
            commands.append(shlex.split(text))
    return commands


def test_push_to_main_tests_builds_applies_and_deploys_staging_in_order():
    workflow = load("deploy.yml")
    assert workflow[True]["push"]["branches"] == ["main"]  # YAML 1.1 reads the key `on` as true
    assert workflow["permissions"]["id-token"] == "write"
    jobs = workflow["jobs"]
    assert jobs["build"]["needs"] == "test" and jobs["staging"]["needs"] == "build"
    runs = [step.get("run", "") for step in jobs["staging"]["steps"]]
    order = [next(i for i, run in enumerate(runs) if run.startswith(f"ecsenv {verb}"))
             for verb in ("plan staging", "apply staging", "deploy staging")]
    assert order == sorted(order)
    assert any("role-to-assume" in (step.get("with") or {}) for step in jobs["staging"]["steps"])


def test_promotion_is_manual_and_protected():
    workflow = load("promote.yml")
    assert "workflow_dispatch" in workflow[True]
    job = workflow["jobs"]["production"]
    assert job["environment"] == "production"
    runs = " ".join(step.get("run", "") for step in job["steps"])
    assert "ecsenv apply production" in runs and "ecsenv promote production" in runs


@pytest.mark.parametrize("path", [WORKFLOWS / "deploy.yml", WORKFLOWS / "promote.yml", ROOT / "maskfile.md"],
                         ids=lambda path: path.name)
def test_every_ecsenv_command_is_valid_usage(path):
    commands = ecsenv_commands(path)
    assert commands, f"no ecsenv command found in {path.name}"
    parser = build_parser()
    for argv in commands:
        args = parser.parse_args(argv)  # exits 2 (fails the test) on bad usage
        assert args.command
