"""`ecsenv init` in a repository without Terraform code, in-process against the moto server: --scaffold writes the
whole stack (after the state backend, never over a file that exists), --plan lists it, a run without a terminal
writes it only when asked and says how, and the GitHub repository defaults to the git remote."""

import shlex
import subprocess

import yaml
from conftest import write_answers

from bootstrap.cli import main

ACCOUNT = "123456789012"  # the moto server's own
ANSWERS = """\
project: quillmark
region: ca-central-1
environments: [dev, prod]
locking: lockfile
"""


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def init(capsys, project_dir, *flags):
    return run(capsys, "init", "--answers", write_answers(project_dir.parent, ANSWERS), "--yes", *flags)


def hinted(out, prefix="ecsenv "):
    """The commands a run's output names between backticks."""
    return [command for command in out.split("`")[1::2] if command.startswith(prefix)]


def git(directory, *args):
    subprocess.run(["git", "-C", str(directory), *args], check=True, capture_output=True)


def test_without_a_terminal_the_stack_is_written_only_when_asked_and_the_hint_says_how(boto, project_dir, capsys):
    code, out, err = init(capsys, project_dir)
    assert code == 0, err
    assert not (project_dir / "modules").exists() and not (project_dir / "environments" / "dev" / "main.tf").exists()
    assert "this repository has no Terraform code yet" in out
    (command,) = [command for command in hinted(out) if "--scaffold" in command]
    assert command == "ecsenv init --scaffold --yes"

    code, out, err = run(capsys, *shlex.split(command)[1:])  # the hint, as printed: works from this state
    assert code == 0, err
    assert "Converged: the state bucket and lock table are already as specified" in out
    assert "created                  modules/ (32 files)" in out
    for path in ("modules/cluster/main.tf", "environments/global_aws/main.tf", "environments/dev/main.tf",
                 "environments/prod/env.auto.tfvars", "environments/prod/.terraform.lock.hcl",
                 ".github/workflows/deploy.yml", ".github/workflows/promote.yml", "maskfile.md", ".gitignore"):
        assert (project_dir / path).is_file(), path
    assert "ecsenv plan global_aws" in hinted(out)  # the next step, once the stack is there
    # What init generated for the stack is what `render` generates: the identity variables the roots declare.
    assert run(capsys, "render", "--check")[0] == 0
    code, out, err = run(capsys, "check")
    assert code == 0, out + err


def test_plan_lists_the_stack_and_writes_nothing(boto, project_dir, capsys):
    code, out, err = init(capsys, project_dir, "--scaffold", "--plan")
    assert code == 3, err
    assert "will create              modules/ (32 files)" in out
    assert "will create              environments/dev/ (4 files)" in out and "environments/prod/ (4 files)" in out
    assert "will create              .github/workflows/ (4 files)" in out
    assert list(project_dir.iterdir()) == []
    assert boto.s3.list_buckets()["Buckets"] == []


def test_a_rerun_finds_the_stack_unchanged(boto, project_dir, capsys):
    assert init(capsys, project_dir, "--scaffold")[0] == 0
    code, out, err = init(capsys, project_dir, "--scaffold")
    assert code == 0, err
    assert "Stack: every file is already there, unchanged." in out
    code, out, err = init(capsys, project_dir)  # no flag: a repository with a stack is not offered one
    assert code == 0 and "Stack" not in out and "no Terraform code" not in out


def test_terraform_code_of_its_own_refuses_the_scaffold_before_any_change(boto, project_dir, capsys, api_calls):
    (project_dir / "modules" / "cluster").mkdir(parents=True)
    (project_dir / "modules" / "cluster" / "main.tf").write_text("# ours\n")
    code, out, err = init(capsys, project_dir, "--scaffold")
    assert code == 2
    assert "modules/cluster/main.tf already exists and differs from ecsenv's stack" in err
    assert "exists, differs: refused modules/cluster/main.tf" in out
    assert "nothing was changed" in err
    assert api_calls.writes == [] and not (project_dir / "ecsenv.yaml").exists()
    assert (project_dir / "modules" / "cluster" / "main.tf").read_text() == "# ours\n"
    assert not (project_dir / "environments").exists()


def test_a_workflow_of_its_own_is_kept_and_said_so(boto, project_dir, capsys):
    (project_dir / ".github" / "workflows").mkdir(parents=True)
    (project_dir / ".github" / "workflows" / "deploy.yml").write_text("name: ours\n")
    code, out, err = init(capsys, project_dir, "--scaffold")
    assert code == 0, err
    assert "exists, differs: kept    .github/workflows/deploy.yml" in out
    assert "created                  .github/workflows/ (3 files)" in out
    assert (project_dir / ".github" / "workflows" / "deploy.yml").read_text() == "name: ours\n"


def test_no_scaffold_writes_no_stack(boto, project_dir, capsys):
    code, out, err = init(capsys, project_dir, "--no-scaffold")
    assert code == 0, err
    assert not (project_dir / "modules").exists() and "ecsenv init --scaffold --yes" in hinted(out)


def test_plan_in_a_repository_without_roots_points_at_the_scaffold(boto, project_dir, capsys):
    assert init(capsys, project_dir)[0] == 0
    git(project_dir, "init", "-q", "-b", "main")
    git(project_dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "0")
    code, out, err = run(capsys, "plan", "dev")
    assert code == 2 and "`ecsenv init --scaffold` writes ecsenv's stack" in err
    assert "env add" not in err  # which refuses an environment ecsenv.yaml already has


def test_github_repository_defaults_to_the_git_remote(boto, project_dir, capsys):
    git(project_dir, "init", "-q", "-b", "main")
    git(project_dir, "remote", "add", "origin", "git@github.com:quill-works/quillmark-infra.git")
    assert init(capsys, project_dir, "--scaffold")[0] == 0
    config = yaml.safe_load((project_dir / "ecsenv.yaml").read_text())
    assert config["github_repository"] == "quill-works/quillmark-infra"
    identity = (project_dir / "environments" / "global_aws" / "ecsenv.auto.tfvars").read_text()
    assert 'github_repository = "quill-works/quillmark-infra"' in identity

    git(project_dir, "remote", "set-url", "origin", "https://gitlab.example.com/quill-works/quillmark-infra.git")
    (project_dir / "ecsenv.yaml").unlink()
    assert init(capsys, project_dir)[0] == 0
    assert "github_repository" not in yaml.safe_load((project_dir / "ecsenv.yaml").read_text())  # github.com only


def test_a_rerun_keeps_what_no_question_asks(boto, project_dir, capsys):
    assert init(capsys, project_dir)[0] == 0
    path = project_dir / "ecsenv.yaml"
    path.write_text(path.read_text().replace("project: quillmark\n", "project: quillmark\ntrunk: develop\n"
                                             "github_repository: quill-works/infra\n", 1))
    code, out, err = init(capsys, project_dir)
    assert code == 0, err
    config = yaml.safe_load(path.read_text())
    assert config["trunk"] == "develop" and config["github_repository"] == "quill-works/infra"
