"""A project and an environment name together leave every derived AWS name its `<project>-<env>-` prefix, which the
IAM policies match (validation.PROJECT_AND_ENV_MAX): refused at init, in ecsenv.yaml and by env add, before any AWS
call or write."""

import pytest
from conftest import write_answers

from bootstrap.cli import main
from bootstrap.project import validation
from bootstrap.project.config import EnvironmentConfig, ProjectConfig, StateConfig, save_config

PROJECT = "p" + "x" * 39  # 40 characters, the longest project name
FITS, TOO_LONG = "e" * 14, "e" * 15  # 54 and 55 characters together


def test_the_rule_is_the_sum():
    assert validation.environment_in_project(PROJECT, FITS) is None
    problem = validation.environment_in_project(PROJECT, TOO_LONG)
    assert "55 characters together, at most 54" in problem
    # a shortened name keeps the prefix whole exactly up to the limit: RDS's 63 characters keep 56
    name = f"{PROJECT}-{FITS}-postgres"
    assert validation.aws_name(name, 63).startswith(f"{PROJECT}-{FITS}-")


def test_init_refuses_before_any_aws_call(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens: a call would fail otherwise
    answers = write_answers(tmp_path, f"project: {PROJECT}\nregion: eu-south-2\nenvironments: [{FITS}, {TOO_LONG}]\n")
    assert main(["init", "--answers", answers, "--yes"]) == 2
    err = capsys.readouterr().err
    assert f"environment {TOO_LONG!r} are 55 characters together" in err and "Traceback" not in err
    assert not (tmp_path / "ecsenv.yaml").exists()


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = ProjectConfig(PROJECT, StateConfig("210987654321", "eu-south-2", "b-tfstate", "lockfile", None, None, {}),
                           {FITS: EnvironmentConfig("210987654321", "eu-south-2")})
    save_config(config, str(tmp_path / "ecsenv.yaml"))
    return tmp_path


def test_env_add_refuses_a_name_too_long_for_the_project(project, capsys):
    assert main(["env", "add", TOO_LONG]) == 2
    assert "55 characters together" in capsys.readouterr().err
    assert not (project / "environments" / TOO_LONG).exists()


def test_ecsenv_yaml_with_a_pair_too_long_is_refused_at_its_line(project, capsys):
    path = project / "ecsenv.yaml"
    path.write_text(path.read_text().replace(f"  {FITS}:", f"  {TOO_LONG}:"))
    assert main(["env", "list"]) == 2
    err = capsys.readouterr().err
    assert "ecsenv.yaml:" in err and "55 characters together" in err
