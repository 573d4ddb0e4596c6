"""A first-time setup from an empty git repository, as a user does it on the embedded emulator (`ecsenv local
start`, answering as an account, region and project that appear nowhere else in the repository): init, then every
command init and plan print as the next step, run as printed, until the first environment is applied with real
terraform and a new plan finds nothing to change. One apply (the first environment's): global_aws is planned, with
the state backend adopted by `init --adopt`'s import blocks."""

import os
import re
import shlex
import subprocess
import sys

import pytest
import yaml
from conftest import mirror_cli_config, mirror_or_skip, terraform_or_skip

pytestmark = pytest.mark.terraform

ACCOUNT, REGION, PROJECT = "604917382256", "ap-southeast-2", "harbourline"
GITHUB = "harbourline-dev/harbourline-infra"
ANSWERS = f"project: {PROJECT}\nregion: {REGION}\nenvironments: [qa, live]\nlocking: lockfile\n"


@pytest.fixture
def empty_repository(tmp_path):
    terraform_or_skip()
    mirror = mirror_or_skip()
    project = tmp_path / PROJECT
    project.mkdir()
    for args in (("init", "-q", "-b", "main"), ("config", "user.name", "t"), ("config", "user.email", "t@example.com"),
                 ("remote", "add", "origin", f"https://github.com/{GITHUB}.git")):
        subprocess.run(["git", "-C", str(project), *args], check=True, capture_output=True)
    env = {key: value for key, value in os.environ.items()
           if key not in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE")}
    env.update(MOTO_ACCOUNT_ID=ACCOUNT,  # the emulator answers as this account
               TF_CLI_CONFIG_FILE=mirror_cli_config(str(tmp_path), mirror), TF_IN_AUTOMATION="1", NO_COLOR="1")
    (tmp_path / "answers.yaml").write_text(ANSWERS)
    yield project, env
    subprocess.run([sys.executable, "-m", "bootstrap", "-C", str(project), "local", "stop"], env=env,
                   capture_output=True, timeout=60)


def run(project, env, command, expect=0):
    """A command as ecsenv printed it (`ecsenv ...`, or git), run in the project; its output."""
    argv = shlex.split(command)
    if argv[0] == "ecsenv":
        argv = [sys.executable, "-m", "bootstrap", *argv[1:]]
    result = subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True, timeout=600,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == expect, f"{command} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def next_commands(out):
    """In the order printed: the commands a run's output names between backticks, and the commit its "Next:" line
    gives in parentheses (a list of its `&&`-joined commands)."""
    found = re.findall(r"`(ecsenv [^`]+)`|\((git add -A && git commit [^)]+)\)", out)
    return [command if command else commit.split(" && ") for command, commit in found]


def test_an_empty_repository_is_scaffolded_planned_and_applied_on_the_emulator(empty_repository):
    project, env = empty_repository
    answers = str(project.parent / "answers.yaml")
    run(project, env, "ecsenv local start")

    # No terminal, no --scaffold: no stack. --adopt: state_backend.tf, which global_aws's plan must take as it is.
    out = run(project, env, f"ecsenv --local init --answers {answers} --yes --adopt")
    assert "AWS account 604917382256" in out and not (project / "modules").exists()
    scaffold = next(command for command in next_commands(out) if isinstance(command, str))
    assert scaffold == "ecsenv --local init --scaffold --yes"

    out = run(project, env, scaffold)
    assert "created                  environments/live/ (4 files)" in out
    config = yaml.safe_load((project / "ecsenv.yaml").read_text())
    assert config["project"] == PROJECT and config["github_repository"] == GITHUB  # from the remote
    assert config["environments"]["qa"] == {"account_id": ACCOUNT, "region": REGION}
    steps = next_commands(out)
    commit = next(step for step in steps if isinstance(step, list))
    assert steps[steps.index(commit) + 1:] == ["ecsenv --local plan global_aws", "ecsenv --local apply global_aws"]
    fmt = subprocess.run([terraform_or_skip(), "fmt", "-check", "-recursive", "-diff"], cwd=project,
                         capture_output=True, text=True, timeout=60)
    assert fmt.returncode == 0, f"the scaffolded stack is not fmt-clean:\n{fmt.stdout}{fmt.stderr}"
    for command in commit:
        run(project, env, command)
    assert run(project, env, "git status --porcelain") == ""

    out = run(project, env, "ecsenv --local plan global_aws", expect=3)
    assert "Plan: 6 to import," in out  # the bucket and its settings (no TLS-only policy on the emulator)
    assert "global_aws at" in out and "to add, 0 to change, 0 to destroy" in out

    # The same for the first environment (`then the same for qa, live`): plan, then the apply plan prints.
    out = run(project, env, "ecsenv --local plan qa", expect=3)
    assert "0 to change, 0 to destroy" in out
    (apply,) = [command for command in next_commands(out) if isinstance(command, str)]
    assert apply == "ecsenv --local apply qa"
    out = run(project, env, apply)
    assert "Applied" in out and "to qa" in out

    out = run(project, env, "ecsenv --local plan qa")  # converged: the stack as written applies cleanly
    assert "qa at" in out and "0 to add, 0 to change, 0 to destroy." in out and "No changes" in out
    assert run(project, env, "git status --porcelain") == ""  # nothing terraform left behind is uncommitted
