"""`ecsenv matrix`: environments in promotion order, and only those a change touches (through their own root or a
local module, followed through modules calling modules). Runs real git in a repository laid out unlike ours."""

import json
import subprocess

from bootstrap.cli import main
from bootstrap.project.config import EnvironmentConfig, ProjectConfig, StateConfig, save_config


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def make_repo(tmp_path):
    repo = tmp_path / "platform"
    git(tmp_path, "init", "-q", "-b", "trunk", str(repo))
    git(repo, "config", "user.email", "t@example.com")
    git(repo, "config", "user.name", "t")
    state = StateConfig(account_id="246813579024", region="sa-east-1", bucket="orbit-state-246813579024",
                        locking="lockfile", lock_table=None, kms_key_id=None, tags={})
    environments = {"qa": EnvironmentConfig("246813579024", "sa-east-1", None),
                    "uat": EnvironmentConfig("246813579024", "sa-east-1", "qa"),
                    "prod": EnvironmentConfig("246813579024", "sa-east-1", "uat")}
    save_config(ProjectConfig(project="orbit", state=state, environments=environments), str(repo / "ecsenv.yaml"))
    write(repo / "modules" / "network" / "main.tf", 'variable "cidr" {}\n')
    write(repo / "modules" / "edge" / "main.tf", 'module "net" {\n  source = "../network"\n}\n')
    write(repo / "modules" / "batch" / "main.tf", 'variable "size" {}\n')
    for name, module in (("qa", "edge"), ("uat", "edge"), ("prod", "batch"), ("global_aws", None)):
        body = f'module "m" {{\n  source = "../../modules/{module}"\n}}\n' if module else "# account-wide\n"
        write(repo / "environments" / name / "main.tf", body)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "stack")
    return repo


def matrix(capsys, repo, *args):
    code = main(["-C", str(repo), "matrix", *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    return [entry["environment"] for entry in json.loads(out)["include"]]


def test_the_matrix_lists_environments_in_promotion_order(tmp_path, capsys):
    repo = make_repo(tmp_path)
    assert matrix(capsys, repo) == ["global_aws", "qa", "uat", "prod"]


def test_a_change_to_a_nested_module_touches_every_environment_using_it(tmp_path, capsys):
    repo = make_repo(tmp_path)
    base = git(repo, "rev-parse", "HEAD")
    write(repo / "modules" / "network" / "main.tf", 'variable "cidr" {\n  default = "10.0.0.0/16"\n}\n')
    git(repo, "commit", "-qam", "network default")
    assert matrix(capsys, repo, "--changed-since", base) == ["qa", "uat"]


def test_a_change_to_one_root_touches_only_it_and_uncommitted_changes_count(tmp_path, capsys):
    repo = make_repo(tmp_path)
    write(repo / "environments" / "prod" / "main.tf", "# edited, not committed\n")
    assert matrix(capsys, repo, "--changed-since", "HEAD") == ["prod"]
    assert matrix(capsys, repo, "--changed-since", "trunk") == ["prod"]


def test_an_unknown_ref_is_bad_input(tmp_path, capsys):
    repo = make_repo(tmp_path)
    assert main(["-C", str(repo), "matrix", "--changed-since", "no-such-ref"]) == 2
    assert "no-such-ref" in capsys.readouterr().err
