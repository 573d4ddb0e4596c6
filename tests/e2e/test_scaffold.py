"""A first-time setup from an empty git repository, as a user does it on the embedded emulator (`ecsenv local
start`, answering as an account, region and project that appear nowhere else in the repository): init, then every
command init and plan print as the next step, run as printed, until the first environment is applied with real
terraform and a new plan finds nothing to change. One apply (the first environment's): global_aws is planned, with
the state backend adopted by `init --adopt`'s import blocks."""

import re
import shlex
import subprocess

import pytest
import yaml

pytestmark = pytest.mark.terraform

ACCOUNT, REGION, PROJECT = "604917382256", "ap-southeast-2", "harbourline"
GITHUB = "harbourline-dev/harbourline-infra"
ANSWERS = f"project: {PROJECT}\nregion: {REGION}\nenvironments: [qa, live]\nlocking: lockfile\n"


def run(project, command, expect=0):
    """A command as ecsenv printed it (`ecsenv ...`, or git), run in the project's directory with its console
    script and environment (conftest.LocalProject); its output."""
    argv = shlex.split(command)
    if argv[0] == "ecsenv":
        argv = [project.ecsenv, *argv[1:]]
    result = subprocess.run(argv, cwd=project.dir, env=project.env, capture_output=True, text=True, timeout=600,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == expect, f"{command} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def next_commands(out):
    """In the order printed: the commands a run's output names between backticks, and the commit its "Next:" line
    gives in parentheses (a list of its `&&`-joined commands)."""
    found = re.findall(r"`(ecsenv [^`]+)`|\((git add -A && git commit [^)]+)\)", out)
    return [command if command else commit.split(" && ") for command, commit in found]


def test_an_empty_repository_is_scaffolded_planned_and_applied_on_the_emulator(local_project, tmp_path):
    project = local_project(ACCOUNT, copy=False)  # an empty git repository, its emulator answering as ACCOUNT
    project.git("remote", "add", "origin", f"https://github.com/{GITHUB}.git")
    answers = tmp_path / "answers.yaml"
    answers.write_text(ANSWERS)

    # No terminal, no --scaffold: no stack. --adopt: state_backend.tf, which global_aws's plan must take as it is.
    out = run(project, f"ecsenv --local init --answers {answers} --yes --adopt")
    assert "AWS account 604917382256" in out and not (project.dir / "modules").exists()
    scaffold = next(command for command in next_commands(out) if isinstance(command, str))
    assert scaffold == "ecsenv --local init --scaffold --yes"

    out = run(project, scaffold)
    assert "created                  environments/live/ (4 files)" in out
    config = yaml.safe_load((project.dir / "ecsenv.yaml").read_text())
    assert config["project"] == PROJECT and config["github_repository"] == GITHUB  # from the remote
    assert config["environments"]["qa"] == {"account_id": ACCOUNT, "region": REGION}
    steps = next_commands(out)
    commit = next(step for step in steps if isinstance(step, list))
    assert steps[steps.index(commit) + 1:] == ["ecsenv --local plan global_aws", "ecsenv --local apply global_aws"]
    fmt = subprocess.run(["terraform", "fmt", "-check", "-recursive", "-diff"], cwd=project.dir,
                         capture_output=True, text=True, timeout=60)
    assert fmt.returncode == 0, f"the scaffolded stack is not fmt-clean:\n{fmt.stdout}{fmt.stderr}"
    for command in commit:
        run(project, command)
    assert run(project, "git status --porcelain") == ""

    out = run(project, "ecsenv --local plan global_aws", expect=3)
    assert "Plan: 6 to import," in out  # the bucket and its settings (no TLS-only policy on the emulator)
    assert "global_aws at" in out and "to add, 0 to change, 0 to destroy" in out

    # The same for the first environment (`then the same for qa, live`): plan, then the apply plan prints.
    out = run(project, "ecsenv --local plan qa", expect=3)
    assert "0 to change, 0 to destroy" in out
    (apply,) = [command for command in next_commands(out) if isinstance(command, str)]
    assert apply == "ecsenv --local apply qa"
    out = run(project, apply)
    assert "Applied" in out and "to qa" in out

    out = run(project, "ecsenv --local plan qa")  # converged: the stack as written applies cleanly
    assert "qa at" in out and "0 to add, 0 to change, 0 to destroy." in out and "No changes" in out
    assert run(project, "git status --porcelain") == ""  # nothing terraform left behind is uncommitted
