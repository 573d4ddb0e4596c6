"""`ecsenv check`'s root-differs findings: the app environments' roots are the same code, only their data differs
(bootstrap/project/root_checks.py)."""

import json

import pytest

from bootstrap.cli import main
from bootstrap.project.config import EnvironmentConfig, ProjectConfig, StateConfig, save_config
from bootstrap.project.root_checks import root_differs_findings

ACCOUNT = "318205749163"
ROOT_MAIN = """\
terraform {
  backend "s3" {}
}

variable "name" {
  type = string
}

module "deployment" {
  source = "../../modules/app"
  name   = var.name
}
"""
HOW_TO_FIX = "make the change in every root, or move the per-environment value into env.auto.tfvars"


def config_of(*environments):
    return ProjectConfig("tallowmere", StateConfig(ACCOUNT, "ap-southeast-4", f"tallowmere-tfstate-{ACCOUNT}",
                                                   "lockfile"),
                         {name: EnvironmentConfig(ACCOUNT, "ap-southeast-4") for name in environments})


@pytest.fixture
def project(tmp_path, monkeypatch):
    """Two app roots with the same code and different data (their values, identity, backend, provider lock)."""
    monkeypatch.chdir(tmp_path)
    save_config(config_of("sandbox", "live"), str(tmp_path / "ecsenv.yaml"))
    (tmp_path / "modules" / "app").mkdir(parents=True)
    (tmp_path / "modules" / "app" / "variables.tf").write_text('variable "name" {}\n')
    (tmp_path / "environments" / "global_aws").mkdir(parents=True)
    (tmp_path / "environments" / "global_aws" / "main.tf").write_text('terraform {\n  backend "s3" {}\n}\n')
    for name, size in (("sandbox", 1), ("live", 3)):
        write(tmp_path, name, {"main.tf": ROOT_MAIN, "templates/motd.tpl": "welcome\n",
                               "env.auto.tfvars": f'name = "{name}"\nsize = {size}\n',
                               ".terraform.lock.hcl": f"# provider lock of {name}\n",
                               "terraform.tfstate": f'{{"serial": {size}}}\n'})
    assert main(["render"]) == 0  # backend files and ecsenv.auto.tfvars, each naming its environment
    return tmp_path


def write(project_dir, environment, files):
    for relative, text in files.items():
        path = project_dir / "environments" / environment / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def check(capsys, *args):
    code = main(["check", *args])
    return code, capsys.readouterr().out


def test_identical_roots_are_clean_whatever_their_data_says(project, capsys):
    code, out = check(capsys)
    assert (code, out.strip()) == (0, "Clean: no findings.")


def test_a_root_whose_main_tf_differs_exits_3_naming_the_file_the_roots_and_the_fix(project, capsys):
    write(project, "live", {"main.tf": ROOT_MAIN.replace("  name   = var.name\n", '  name   = "live"\n')})
    code, out = check(capsys)
    assert code == 3
    assert out.splitlines()[0] == (
        "environments/live/main.tf:11: main.tf in live is not the same as in sandbox: environment roots are the same "
        f"code and differ only in their data (env.auto.tfvars, ecsenv.auto.tfvars, backend files): {HOW_TO_FIX}")
    assert out.strip().endswith("1 finding.")
    code, out = check(capsys, "--json")
    assert code == 3 and [finding["kind"] for finding in json.loads(out)] == ["root-differs"]

    write(project, "live", {"main.tf": ROOT_MAIN})  # the fix: the value goes back to being data
    assert check(capsys)[0] == 0


def test_a_file_in_one_root_only_is_a_finding_in_either_direction(project):
    write(project, "live", {"outputs.tf": 'output "x" {\n  value = 1\n}\n', "templates/motd.tpl": "welcome!\n"})
    (project / "environments" / "sandbox" / "templates" / "motd.tpl").unlink()
    write(project, "sandbox", {"versions.tf": "terraform {}\n"})
    assert [(finding.path, finding.line, finding.message.split(":")[0])
            for finding in root_differs_findings(str(project), config_of("sandbox", "live"))] == [
        ("environments/live/outputs.tf", 1, "outputs.tf is in live but not in sandbox"),
        ("environments/live/templates/motd.tpl", 1, "templates/motd.tpl is in live but not in sandbox"),
        ("environments/sandbox/versions.tf", 1, "versions.tf is in sandbox but not in live"),
    ]


def test_the_version_most_roots_have_is_the_reference(project):
    config = config_of("sandbox", "qa", "live")
    write(project, "qa", {"main.tf": ROOT_MAIN, "templates/motd.tpl": "welcome\n", "extra.tf": "locals {}\n"})
    write(project, "sandbox", {"extra.tf": "locals {}\n"})
    write(project, "live", {"main.tf": ROOT_MAIN + "\n# live only\n"})
    assert [(finding.path, finding.line, finding.message.split(":")[0])
            for finding in root_differs_findings(str(project), config)] == [
        ("environments/sandbox/extra.tf", 1, "extra.tf is in sandbox, qa but not in live"),
        ("environments/live/main.tf", 13, "main.tf in live is not the same as in sandbox, qa"),  # where it grew
    ]


def test_with_one_app_environment_there_is_nothing_to_compare(project, capsys):
    save_config(config_of("sandbox"), str(project / "ecsenv.yaml"))
    write(project, "live", {"main.tf": "# not an environment of ecsenv.yaml: not compared\n"})
    assert root_differs_findings(str(project), config_of("sandbox")) == []
    assert root_differs_findings(str(project), config_of()) == []


def test_without_a_config_every_root_under_environments_but_global_aws_is_compared(project):
    write(project, "global_aws", {"roles.tf": "locals {}\n"})  # another stack: never compared
    write(project, "live", {"main.tf": ROOT_MAIN + "# changed\n"})
    # two roots, no majority: the reference is the first root, by name without a config, else ecsenv.yaml's first
    assert [finding.message.split(":")[0] for finding in root_differs_findings(str(project))] == [
        "main.tf in sandbox is not the same as in live"]
    assert [finding.message.split(":")[0] for finding in root_differs_findings(str(project),
                                                                               config_of("sandbox", "live"))] == [
        "main.tf in live is not the same as in sandbox"]


def test_environments_made_by_env_add_are_identical(tmp_path, monkeypatch, capsys):
    # the starter template names no environment, so a copy of it needs no rewriting: the roots stay the same code
    monkeypatch.chdir(tmp_path)
    save_config(config_of(), str(tmp_path / "ecsenv.yaml"))
    assert main(["env", "add", "sandbox"]) == 0
    assert main(["env", "add", "live"]) == 0
    capsys.readouterr()
    assert root_differs_findings(str(tmp_path), config_of("sandbox", "live")) == []
    assert (tmp_path / "environments" / "live" / "main.tf").read_text() == \
        (tmp_path / "environments" / "sandbox" / "main.tf").read_text()
