"""The files ecsenv writes: never through a link or outside the project, atomically, with the modes a user expects,
and an unwritable project found before any AWS write.

Tests run as root in CI, where chmod does not stop a write. The read-only runs therefore use what stops root too: a
path component that is a FILE where a directory must be (`environments`, `.ecsenv`), so creating anything below it
fails with ENOTDIR whoever you are; plus a chmod run for non-root users."""

import os
import stat
import subprocess
import sys

import pytest
from conftest import ACCOUNT, write_answers

from bootstrap.cli import main
from bootstrap.errors import UserError
from bootstrap.project import files
from bootstrap.project.config import EnvironmentConfig, ProjectConfig, StateConfig, save_config

ANSWERS = ("project: acme\nregion: us-east-1\nenvironments: [staging, production]\nlocking: lockfile\n"
           f"bucket: acme-tfstate-{ACCOUNT}\n")


def config():
    return ProjectConfig("acme", StateConfig(ACCOUNT, "us-east-1", f"acme-tfstate-{ACCOUNT}", "lockfile"),
                         {"staging": EnvironmentConfig(ACCOUNT, "us-east-1"),
                          "production": EnvironmentConfig(ACCOUNT, "us-east-1", "staging")})


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------ modes and atomicity


def test_committed_files_follow_the_umask_and_private_ones_are_0600(tmp_path, umask_022, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    save_config(config(), str(tmp_path / "ecsenv.yaml"))
    assert mode(tmp_path / "ecsenv.yaml") == 0o644  # like an editor: 0666 minus the umask, not mkstemp's 0600
    assert run(capsys, "render")[0] == 0
    assert mode(tmp_path / "environments" / "staging" / "backend.s3.tfbackend") == 0o644
    assert mode(tmp_path / "environments" / "global_aws" / "ecsenv.auto.tfvars") == 0o644
    files.write_text(str(tmp_path / ".ecsenv" / "plans" / "x.json"), "{}", str(tmp_path), private=True)
    assert mode(tmp_path / ".ecsenv" / "plans" / "x.json") == 0o600
    assert [name for name in os.listdir(tmp_path) if name.startswith(".tmp")] == []


def test_a_rewritten_file_keeps_its_mode(tmp_path, umask_022):
    path = tmp_path / "ecsenv.yaml"
    save_config(config(), str(path))
    os.chmod(path, 0o640)
    changed = config()
    changed.state.tags = {"team": "platform"}
    save_config(changed, str(path))
    assert mode(path) == 0o640 and "team: platform" in path.read_text()


def test_the_state_directory_is_private_and_ignores_itself(tmp_path, umask_022):
    from bootstrap.project import layout

    layout.ensure(str(tmp_path), "plans")
    assert mode(tmp_path / ".ecsenv") == 0o700 and mode(tmp_path / ".ecsenv" / "plans") == 0o700
    assert (tmp_path / ".ecsenv" / ".gitignore").read_text() == "*\n"


# ------------------------------------------------------------------ links and the project's boundary


def test_render_refuses_a_linked_environment_directory(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    save_config(config(), str(tmp_path / "ecsenv.yaml"))
    elsewhere = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    elsewhere.mkdir()
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "production").symlink_to(elsewhere)
    code, out, err = run(capsys, "render", "--force")
    assert code == 2
    assert err.strip() == (f"ecsenv: error: refusing to write through environments/production: it is a symbolic "
                           f"link (to {elsewhere}); remove it and run the command again")
    assert os.listdir(elsewhere) == []
    assert not (tmp_path / "environments" / "staging").exists()  # nothing written: the link was found first


def test_a_diff_never_prints_a_linked_file(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    save_config(config(), str(tmp_path / "ecsenv.yaml"))
    secret = tmp_path.parent / f"{tmp_path.name}-secret.txt"
    secret.write_text("password=hunter2\n")
    (tmp_path / "environments" / "staging").mkdir(parents=True)
    (tmp_path / "environments" / "staging" / "backend.s3.tfbackend").symlink_to(secret)
    code, out, err = run(capsys, "render")
    assert code == 2 and "hunter2" not in out + err and "symbolic link" in err
    assert secret.read_text() == "password=hunter2\n"


def test_write_text_refuses_a_link_in_place_of_the_file_and_paths_outside(tmp_path):
    victim = tmp_path.parent / f"{tmp_path.name}-victim"
    victim.write_text("keep\n")
    (tmp_path / "ecsenv.yaml").symlink_to(victim)
    with pytest.raises(UserError, match="symbolic link"):
        files.write_text(str(tmp_path / "ecsenv.yaml"), "x", str(tmp_path))
    with pytest.raises(UserError, match="outside the project"):
        files.write_text(str(tmp_path / ".." / "escaped.txt"), "x", str(tmp_path))
    assert victim.read_text() == "keep\n" and not (tmp_path.parent / "escaped.txt").exists()


def test_local_start_refuses_a_planted_record_link(tmp_path):
    """The field report's repro: `ln -s ~/victim.txt .ecsenv/local.json; ecsenv local start`."""
    victim = tmp_path / "victim.txt"
    victim.write_text("mine\n")
    project = tmp_path / "acme"
    (project / ".ecsenv").mkdir(parents=True)
    (project / ".ecsenv" / "local.json").symlink_to(victim)
    (project / ".ecsenv" / "local.log").symlink_to(victim)
    result = subprocess.run([sys.executable, "-m", "bootstrap", "-C", str(project), "local", "start"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "local.json: it is a symbolic link" in result.stderr
    assert result.stderr.count("\n") == 1 and victim.read_text() == "mine\n"


# ------------------------------------------------------------------ an unwritable project, before any AWS write


def test_init_in_an_unwritable_project_stops_before_any_aws_call(aws_env, api_calls, project_dir, capsys, boto):
    """`environments` is a file, so nothing can be created below it (for root too). init must say so before it
    creates a bucket, not crash writing after."""
    (project_dir / "environments").write_text("not a directory\n")
    code, out, err = run(capsys, "init", "--answers", write_answers(project_dir, ANSWERS), "--yes")
    assert code == 2, err
    assert err.strip() == ("ecsenv: error: cannot write environments/global_aws/backend.s3.tfbackend: "
                           "environments is not a directory; move it aside")
    assert api_calls.calls == [] and out == ""
    assert not (project_dir / "ecsenv.yaml").exists()
    assert boto.s3.list_buckets()["Buckets"] == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only directory anyway (the test above "
                                                "covers root with a file in the way)")
def test_init_in_a_read_only_project_stops_before_any_aws_call(aws_env, api_calls, project_dir, capsys):
    answers = write_answers(project_dir, ANSWERS)
    os.chmod(project_dir, 0o555)
    try:
        code, out, err = run(capsys, "init", "--answers", answers, "--yes")
    finally:
        os.chmod(project_dir, 0o755)
    assert code == 2 and "cannot write in" in err and err.count("\n") == 1
    assert api_calls.calls == []


def test_check_writable_probes_for_real(tmp_path):
    """A directory that takes no new file is found by creating one (and removing it again)."""
    files.check_writable(str(tmp_path), [str(tmp_path / "ecsenv.yaml")])
    assert os.listdir(tmp_path) == []
    (tmp_path / ".ecsenv").write_text("a file\n")
    with pytest.raises(UserError, match=r"\.ecsenv is not a directory"):
        files.check_writable(str(tmp_path), [str(tmp_path / ".ecsenv" / "local.json")])


def test_local_start_with_ecsenv_a_file_is_one_line(tmp_path):
    (tmp_path / ".ecsenv").write_text("a file\n")
    result = subprocess.run([sys.executable, "-m", "bootstrap", "-C", str(tmp_path), "local", "start"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "not a directory" in result.stderr
    assert (tmp_path / ".ecsenv").read_text() == "a file\n"


def test_env_add_into_an_unwritable_project_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    save_config(config(), str(tmp_path / "ecsenv.yaml"))
    before = (tmp_path / "ecsenv.yaml").read_text()
    (tmp_path / "environments").write_text("not a directory\n")
    code, out, err = run(capsys, "env", "add", "qa")
    assert code == 2 and "not a directory" in err
    assert (tmp_path / "ecsenv.yaml").read_text() == before
