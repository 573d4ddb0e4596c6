"""A command run anywhere inside the project finds its ecsenv.yaml as git finds its repository (FIELD-REPORT 4.13:
monorepos), and work in progress beside the project in a monorepo does not make it dirty."""

import subprocess

from bootstrap.cli import main
from bootstrap.lifecycle import git
from bootstrap.project.config import EnvironmentConfig, ProjectConfig, StateConfig, save_config

ACCOUNT = "418273645091"
REGION = "ap-southeast-4"


def _git(directory, *args):
    subprocess.run(["git", "-C", str(directory), *args], check=True, capture_output=True)


def _monorepo(tmp_path):
    """A repository whose infrastructure lives in infra/ beside an application in app/."""
    repo = tmp_path / "mono"
    infra = repo / "infra"
    (repo / "app").mkdir(parents=True)
    infra.mkdir()
    _git(repo, "init", "-q", "-b", "trunk")
    config = ProjectConfig("kelpmart", StateConfig(ACCOUNT, REGION, "kelpmart-tfstate", "lockfile", None, None, {}),
                           {"qa": EnvironmentConfig(ACCOUNT, REGION)})
    save_config(config, str(infra / "ecsenv.yaml"))
    (repo / "app" / "main.py").write_text("print('hi')\n")
    return repo, infra


def test_a_command_in_a_subdirectory_finds_the_project_above(tmp_path, monkeypatch, capsys):
    repo, infra = _monorepo(tmp_path)
    deep = infra / "environments" / "qa"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert main(["env", "list"]) == 0
    assert "s3://kelpmart-tfstate/qa/terraform.tfstate" in capsys.readouterr().out


def test_the_search_stops_at_the_repository_top_and_says_where_it_looked(tmp_path, monkeypatch, capsys):
    repo, infra = _monorepo(tmp_path)
    monkeypatch.chdir(repo / "app")  # beside the project, not under it
    assert main(["env", "list"]) == 2
    err = capsys.readouterr().err
    assert "no ecsenv.yaml here or in a directory above it" in err and "-C DIR" in err and "Traceback" not in err

    (tmp_path / "ecsenv.yaml").write_text((infra / "ecsenv.yaml").read_text())  # an enclosing project's file
    assert main(["env", "list"]) == 2, "never wander out of the repository into an enclosing directory's project"


def test_dirty_means_dirty_under_the_project_only(tmp_path):
    repo, infra = _monorepo(tmp_path)
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "start")
    (repo / "app" / "main.py").write_text("print('work in progress')\n")
    (repo / "app" / "new.py").write_text("")
    assert git.dirty_paths(str(infra)) == [], "the application's work in progress does not block an apply"
    (infra / "extra.tf").write_text("")
    assert git.dirty_paths(str(infra)) == ["infra/extra.tf"]
    assert sorted(git.dirty_paths(str(repo))) == ["app/main.py", "app/new.py", "infra/extra.tf"]
