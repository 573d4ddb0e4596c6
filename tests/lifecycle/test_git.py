"""The trunk: ecsenv.yaml's `trunk`, else the branch the remote's HEAD names, else main (real git)."""

import subprocess

from bootstrap.lifecycle import git


def run(cwd, *args):
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True, text=True).stdout.strip()


def repository(path, branch):
    run(path.parent, "init", "-q", "-b", branch, str(path))
    run(path, "config", "user.email", "t@example.com")
    run(path, "config", "user.name", "t")
    (path / "README").write_text("x\n")
    run(path, "add", "-A")
    run(path, "commit", "-qm", "first")
    return run(path, "rev-parse", "HEAD")


def test_a_clone_of_a_master_repository_uses_master_as_its_trunk(tmp_path):
    upstream = tmp_path / "upstream"
    sha = repository(upstream, "master")
    clone = tmp_path / "clone"
    run(tmp_path, "clone", "-q", str(upstream), str(clone))
    assert git.trunk_name(str(clone)) == "master"
    assert git.main_sha(str(clone)) == sha and git.is_on_main(str(clone), sha)


def test_the_configured_trunk_wins_and_a_missing_one_is_none(tmp_path):
    sha = repository(tmp_path / "repo", "develop")
    repo = str(tmp_path / "repo")
    assert git.trunk_name(repo) == "main" and git.main_ref(repo) is None  # no remote, no main: nothing to trust
    assert git.trunk_name(repo, "develop") == "develop" and git.main_sha(repo, "develop") == sha
