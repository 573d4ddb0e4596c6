"""`ecsenv plan` / `apply` with SHA discipline, on real terraform against the moto server, in a git repo made here."""

import json
import subprocess
import textwrap

import pytest

from bootstrap.cli import main
from conftest import ACCOUNT, terraform_or_skip, write_answers

BUCKET = f"acme-tfstate-{ACCOUNT}"


def git(repo, *args):
    result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def root_tf(value):
    return textwrap.dedent(f"""\
        terraform {{
          backend "s3" {{}}
        }}

        resource "terraform_data" "release" {{
          input = "{value}"
        }}
        """)


@pytest.fixture
def repo(aws_env, boto, project_dir, capsys, monkeypatch, tmp_path):
    terraform_or_skip()
    cli_config = tmp_path / "terraform.rc"
    cli_config.write_text("")  # no registry, no plugin cache: these roots use only terraform's built-ins
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(cli_config))
    answers = (f"project: acme\nregion: us-east-1\nenvironments: [staging, production]\nlocking: both\n"
               f"bucket: {BUCKET}\nlock_table: acme-tfstate-lock\n")
    assert main(["init", "--answers", write_answers(tmp_path, answers), "--yes"]) == 0, capsys.readouterr().err
    # The emulator applies the TLS-only Deny without its condition, refusing all object access (see 0001).
    boto.s3.delete_bucket_policy(Bucket=BUCKET)
    for environment in ("global_aws", "staging", "production"):
        (project_dir / "environments" / environment / "main.tf").write_text(root_tf("v1"))
    (project_dir / ".gitignore").write_text(".terraform/\n")
    git(project_dir, "init", "-q", "-b", "main")
    git(project_dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "add", "-A")
    commit(project_dir, "v1")
    capsys.readouterr()
    return project_dir


def commit(repo, message):
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def latest(boto, environment):
    body = boto.s3.get_object(Bucket=BUCKET, Key=f"ecsenv/applied/{environment}/latest.json")["Body"].read()
    return json.loads(body)


def test_plan_apply_records_and_converges(repo, boto, capsys):
    sha = git(repo, "rev-parse", "HEAD")
    code, out, err = run(capsys, "plan", "staging")
    assert code == 3, err
    assert "terraform_data.release will be created" in out  # terraform's own output, streamed
    assert f"staging at {sha[:12]}: 1 to add, 0 to change, 0 to destroy." in out
    assert (repo / ".ecsenv" / "plans" / f"staging-{sha[:12]}.tfplan").exists()

    code, out, err = run(capsys, "apply", "staging")
    assert code == 0, err
    assert f"Applied {sha[:12]} to staging" in out
    record = latest(boto, "staging")
    assert record["sha"] == sha and record["on_main"] is True and record["emergency"] is None
    assert record["by"].startswith("arn:aws:") and record["applied_at"]
    keys = [o["Key"] for o in boto.s3.list_objects_v2(Bucket=BUCKET, Prefix="ecsenv/")["Contents"]]
    assert f"ecsenv/applied/staging/{sha}.json" in keys
    assert not (repo / ".ecsenv" / "plans" / f"staging-{sha[:12]}.tfplan").exists()

    code, out, err = run(capsys, "plan", "staging", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["sha"] == sha and (summary["add"], summary["change"], summary["destroy"]) == (0, 0, 0)


def test_apply_refusals_say_what_to_run(repo, capsys):
    code, out, err = run(capsys, "apply", "staging")
    assert code == 2 and "no saved plan for staging" in err and "ecsenv plan staging" in err

    assert run(capsys, "plan", "staging")[0] == 3
    old = git(repo, "rev-parse", "HEAD")
    (repo / "environments" / "staging" / "main.tf").write_text(root_tf("v2"))
    new = commit(repo, "v2")
    code, out, err = run(capsys, "apply", "staging")
    assert code == 2
    assert f"made at {old[:12]}, but HEAD is {new[:12]}" in err and "ecsenv plan staging" in err

    assert run(capsys, "plan", "staging")[0] == 3
    (repo / "notes.txt").write_text("uncommitted")
    code, out, err = run(capsys, "apply", "staging")
    assert code == 2 and "uncommitted changes" in err and "--allow-dirty" in err
    assert run(capsys, "apply", "staging", "--allow-dirty")[0] == 0


def test_production_follows_staging(repo, boto, capsys):
    sha = git(repo, "rev-parse", "HEAD")
    assert run(capsys, "plan", "production")[0] == 3
    code, out, err = run(capsys, "apply", "production")
    assert code == 2
    assert f"HEAD is {sha[:12]}; staging last applied nothing yet" in err

    assert run(capsys, "plan", "staging")[0] == 3
    assert run(capsys, "apply", "staging")[0] == 0
    code, out, err = run(capsys, "apply", "production")
    assert code == 0, err
    assert latest(boto, "production")["sha"] == sha


def test_off_main_needs_an_emergency_reason_which_is_recorded(repo, boto, capsys):
    git(repo, "checkout", "-q", "-b", "hotfix")
    (repo / "environments" / "production" / "main.tf").write_text(root_tf("hotfix"))
    sha = commit(repo, "hotfix")
    assert run(capsys, "plan", "production")[0] == 3
    code, out, err = run(capsys, "apply", "production")
    assert code == 2 and f"{sha[:12]} is not on main" in err and "--emergency" in err
    code, out, err = run(capsys, "apply", "production", "--emergency", "")
    assert code == 2 and "needs a reason" in err
    code, out, err = run(capsys, "apply", "production", "--emergency", "roll back the bad migration")
    assert code == 0, err
    record = latest(boto, "production")
    assert record["sha"] == sha and record["on_main"] is False
    assert record["emergency"] == "roll back the bad migration"


def test_plan_all_prints_one_table(repo, capsys):
    code, out, err = run(capsys, "plan", "--all")
    assert code == 3, err
    lines = out.splitlines()
    assert lines[0].split() == ["ENVIRONMENT", "COMMIT", "ADD", "CHANGE", "DESTROY", "RESULT"]
    assert [line.split()[0] for line in lines[1:]] == ["global_aws", "staging", "production"]
    assert all(line.split()[2:5] == ["1", "0", "0"] and line.endswith("changes") for line in lines[1:])


def test_plan_of_an_unknown_environment_is_bad_usage(repo, capsys):
    code, out, err = run(capsys, "plan", "qa")
    assert code == 2 and "'qa' is not an environment" in err
    code, out, err = run(capsys, "plan")
    assert code == 2 and "--all" in err
