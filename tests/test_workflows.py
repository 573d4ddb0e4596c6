"""The adopters' CI (.github/workflows) and maskfile.md: they parse, run in the right order with OIDC, and every
ecsenv command they contain is one the CLI accepts. (actionlint is not used: its PyPI package downloads the
binary from GitHub at install time, which this machine cannot reach.)"""

import argparse
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
    """The shell the file runs, line by line: `run:` steps of a workflow, ```bash blocks of the maskfile."""
    if path.suffix == ".yml":
        return [line for job in yaml.safe_load(path.read_text())["jobs"].values() for step in job["steps"]
                for line in step.get("run", "").splitlines()]
    return [line for block in re.findall(r"```bash\n(.*?)\n```", path.read_text(), re.S)
            for line in block.splitlines()]


# `ecsenv` as a command: at the start of a line, or after a shell operator or `$(`; not inside a word or a path
ECSENV = re.compile(r"(?:^|[;&|(]\s*|^\s+)ecsenv\s+(.*)$")


def ecsenv_commands(path):
    """Every ecsenv command line the file runs, as argv: cut at the first shell operator (a redirection, a pipe,
    `||`, `)`), with shell variables and GitHub expressions replaced by a stand-in value."""
    commands = []
    for line in shell_lines(path):
        match = ECSENV.search(line)
        if not match:
            continue
        # Shell variables and GitHub expressions stand for a commit (or a name): give them one.
        text = re.sub(r"\$\{\{[^}]*\}\}|\$\{?[A-Za-z_]+\}?", "0a1b2c3", match.group(1))
        lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|<>()")
        lexer.whitespace_split = True
        argv = []
        for token in lexer:
            if token and all(char in ";&|<>()" for char in token):
                break
            argv.append(token)
        commands.append(argv)
    return commands


def test_push_to_main_tests_builds_applies_and_deploys_staging_in_order():
    workflow = load("deploy.yml")
    assert workflow[True]["push"]["branches"] == ["main"]  # YAML 1.1 reads the key `on` as true
    jobs = workflow["jobs"]
    assert "id-token" not in workflow["permissions"] and "id-token" not in (jobs["test"].get("permissions") or {})
    assert jobs["build"]["needs"] == "test" and jobs["staging"]["needs"] == "build"
    steps = jobs["staging"]["steps"]
    runs = [step.get("run", "") for step in steps]
    order = [next(i for i, run in enumerate(runs) if run.startswith(f"ecsenv {verb}"))
             for verb in ("plan staging", "apply staging", "deploy staging")]
    assert order == sorted(order)
    # terraform runs as staging's terraform role; the deploy as its deploy role, assumed after the apply
    roles = [(i, step["with"]["role-to-assume"]) for i, step in enumerate(steps)
             if "role-to-assume" in (step.get("with") or {})]
    assert [role for _, role in roles] == ["${{ vars.AWS_TERRAFORM_ROLE_ARN }}", "${{ vars.AWS_DEPLOY_ROLE_ARN }}"]
    assert roles[0][0] < order[0] and order[1] < roles[1][0] < order[2]
    assert not any(run.startswith("pip install .") for run in runs)  # a pinned ecsenv, not this checkout


def test_promotion_is_manual_and_protected():
    workflow = load("promote.yml")
    assert "workflow_dispatch" in workflow[True]
    job = workflow["jobs"]["production"]
    assert job["environment"] == "production"
    runs = " ".join(step.get("run", "") for step in job["steps"])
    assert "ecsenv apply production" in runs and "ecsenv promote production" in runs
    # The commit is checked to be on main by a job that assumes no role, before the one that does
    assert job["needs"] == "verify" and "id-token" not in (workflow["jobs"]["verify"].get("permissions") or {})
    verify = " ".join(step.get("run", "") for step in workflow["jobs"]["verify"]["steps"])
    assert "merge-base --is-ancestor" in verify and "${{ inputs.sha }}" not in verify  # no script injection
    assert "pip install ." not in runs and "ecsenv status || true" in runs


def test_no_job_installs_the_checked_out_code_as_its_tool():
    """A job that assumes a role (or feeds one a matrix) runs a pinned ecsenv, never `pip install .` of the commit
    or pull request it checked out (FIELD-REPORT 3.4, 3.25)."""
    for path in sorted(WORKFLOWS.glob("*.yml")):
        workflow = yaml.safe_load(path.read_text())
        for name, job in workflow["jobs"].items():
            runs = [step.get("run", "") for step in job.get("steps", [])]
            assert not any(run.strip().startswith("pip install .") for run in runs), f"{path.name}: job {name}"
            if any(run.strip().startswith("pip install") for run in runs):
                assert 'pip install "$ECSENV_PIP_SPEC"' in runs, f"{path.name}: job {name}"


SHELL_FILES = [WORKFLOWS / "deploy.yml", WORKFLOWS / "promote.yml", WORKFLOWS / "pull_request.yml",
               WORKFLOWS / "drift.yml", ROOT / "maskfile.md"]


def test_every_workflow_is_checked():
    assert sorted(WORKFLOWS.glob("*.yml")) == sorted(path for path in SHELL_FILES if path.suffix == ".yml")


@pytest.mark.parametrize("path", SHELL_FILES, ids=lambda path: path.name)
def test_every_ecsenv_command_is_valid_usage(path):
    """Every command parses (argparse refuses an unknown flag), and every flag is spelled out in full (argparse
    would also take an abbreviation, which a new flag can make ambiguous later)."""
    commands = ecsenv_commands(path)
    assert commands, f"no ecsenv command found in {path.name}"
    parser = build_parser()
    flags = option_strings(parser)
    for argv in commands:
        args = parser.parse_args(argv)  # exits 2 (fails the test) on bad usage
        assert args.command
        for token in argv:
            if token.startswith("-") and token != "--":
                assert token.split("=", 1)[0] in flags, f"{path.name}: ecsenv {' '.join(argv)}: {token}"


def option_strings(parser):
    """Every flag of the parser and its subcommands, as written."""
    flags = set()
    for action in parser._actions:
        flags.update(action.option_strings)
        if isinstance(action, argparse._SubParsersAction):
            for subparser in action.choices.values():
                flags |= option_strings(subparser)
    return flags


def test_the_command_check_catches_a_flag_that_does_not_exist(tmp_path):
    workflow = tmp_path / "x.yml"
    workflow.write_text(yaml.safe_dump({"jobs": {"j": {"steps": [
        {"run": 'echo "m=$(ecsenv matrix --changed-since origin/main)" >> "$GITHUB_OUTPUT"'},
        {"run": 'ecsenv plan "$ENV" --format markdown --no-such-flag > report.md || [ $? -eq 3 ]'}]}}}))
    commands = ecsenv_commands(workflow)
    assert commands == [["matrix", "--changed-since", "origin/main"],
                        ["plan", "0a1b2c3", "--format", "markdown", "--no-such-flag"]]
    with pytest.raises(SystemExit):
        build_parser().parse_args(commands[1])
    assert "--format" in option_strings(build_parser()) and "--form" not in option_strings(build_parser())


def test_reports_go_to_the_job_summary():
    for name, command in (("deploy.yml", "ecsenv status --format markdown"),
                          ("promote.yml", "ecsenv status --format markdown"),
                          ("pull_request.yml", "ecsenv plan"), ("drift.yml", "ecsenv drift")):
        lines = shell_lines(WORKFLOWS / name)
        assert any(command in line and "--format markdown" in line for line in lines), name
        assert any("$GITHUB_STEP_SUMMARY" in line for line in lines), name


# The read-only plan role of the job's environment (the JSON of global_aws's plan_role_arns output).
PLAN_ROLE = "${{ fromJSON(vars.AWS_PLAN_ROLE_ARNS)[matrix.environment] }}"


def test_the_plan_roles_trust_the_subjects_the_plan_and_drift_jobs_present():
    # A job that names no GitHub environment presents `repo:<owner>/<name>:pull_request` on a pull request and
    # `repo:<owner>/<name>:ref:refs/heads/<branch>` otherwise (a schedule: the default branch). Neither workflow's
    # role-assuming jobs name an environment, and the plan role trusts exactly those two subjects.
    for name, trigger in (("pull_request.yml", "pull_request"), ("drift.yml", "schedule")):
        workflow = load(name)
        assert trigger in workflow[True]
        for job in workflow["jobs"].values():
            if _assumes_a_role(job):
                assert "environment" not in job, name
    plan_role = (ROOT / "environments" / "global_aws" / "github_plan_role.tf").read_text()
    assert ('["repo:${var.github_repository}:pull_request", '
            '"repo:${var.github_repository}:ref:refs/heads/${var.trunk_branch}"]') in plan_role


def _assumes_a_role(job):
    return any("role-to-assume" in (step.get("with") or {}) for step in job["steps"])


@pytest.mark.parametrize("name", ["pull_request.yml", "drift.yml"])
def test_only_the_jobs_that_assume_a_role_get_an_oidc_token(name):
    workflow = load(name)
    assert "id-token" not in workflow.get("permissions", {})  # not for every job
    jobs = workflow["jobs"]
    assert any(_assumes_a_role(job) for job in jobs.values())
    for job_name, job in jobs.items():
        token = (job.get("permissions") or {}).get("id-token")
        assert (token == "write") == _assumes_a_role(job), job_name
        for step in job["steps"]:
            if "role-to-assume" in (step.get("with") or {}):
                assert step["with"]["role-to-assume"] == PLAN_ROLE, job_name


def test_pull_requests_plan_the_touched_environments_in_parallel():
    workflow = load("pull_request.yml")
    assert "pull_request" in workflow[True]
    jobs = workflow["jobs"]
    assert any("ecsenv matrix --changed-since \"origin/${{ github.base_ref }}\"" in line
               for line in shell_lines(WORKFLOWS / "pull_request.yml"))
    plan = jobs["plan"]
    assert plan["strategy"]["matrix"] == "${{ fromJSON(needs.changed.outputs.matrix) }}"
    # No GitHub environment: the OIDC subject is `repo:<owner>/<name>:pull_request`, which the plan roles trust.
    assert "environment" not in plan
    assert any(step.get("uses", "").startswith("actions/upload-artifact") for step in plan["steps"])


def test_the_comment_job_updates_its_marked_comment_rather_than_adding_one():
    from bootstrap.cli.plan_reports import OUTPUT_END, OUTPUT_START, PLAN_MARKER

    job = load("pull_request.yml")["jobs"]["comment"]
    assert job["permissions"] == {"pull-requests": "write"}  # and no AWS
    assert not _assumes_a_role(job)
    script = next(step["with"]["script"] for step in job["steps"] if "github-script" in step.get("uses", ""))
    assert f'"{PLAN_MARKER}"' in script
    assert OUTPUT_START in script and OUTPUT_END.replace("/", "\\/") in script  # what it drops to fit
    find = script.index("listComments")
    found = re.search(r"if \((\w+)\) \{\s*await github\.rest\.issues\.updateComment\(", script)
    assert found and find < found.start(), "the marked comment is looked up, then updated when found"
    create = script.index("createComment")
    assert script.rfind("} else {", 0, create) > found.start()  # created only when none was found
    assert script.count("createComment") == 1


def test_a_drifted_environment_fails_its_job():
    job = load("drift.yml")["jobs"]["drift"]
    run = next(step["run"] for step in job["steps"] if "ecsenv drift" in step.get("run", ""))
    assert "exit $code" in run and "|| true" not in run
    assert load("drift.yml")[True].keys() >= {"schedule", "workflow_dispatch"}
