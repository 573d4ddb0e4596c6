"""`ecsenv plan` / `apply` with SHA discipline, on real terraform against the moto server, in a git repo made here."""

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
from datetime import timezone

import pytest
from conftest import ACCOUNT, terraform_or_skip, write_answers

from bootstrap.cli import main

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
    progress = err.splitlines()  # a line per environment as it finishes, in whatever order they finish
    assert sorted(line.split(":")[0] for line in progress) == ["global_aws", "production", "staging"]
    assert all(re.search(r": 1 to add, 0 to change, 0 to destroy: changes \(\d+s\)$", line) for line in progress)

    (repo / "environments" / "production" / "main.tf").write_text(root_tf("v1").replace('"v1"', "var.missing"))
    commit(repo, "broken production")
    code, out, err = run(capsys, "plan", "--all")
    assert code == 1
    failed = err[err.index("production: failed"):]
    assert "terraform plan failed in" in failed and "Reference to undeclared input variable" in failed


def test_plan_all_parallel_runs_at_most_n_plans_at_once_and_says_why_one_failed(repo, capsys, monkeypatch):
    """Three environments, --parallel 2: two plans run together (a barrier holds the first two until both have
    started, so the test does not depend on timing), never three; a line per environment as it finishes; the broken
    one says why on its line; the table ends it."""
    import threading

    from bootstrap.lifecycle.terraform import Terraform

    real = Terraform.plan
    lock, counts = threading.Lock(), {"running": 0, "peak": 0, "started": 0}
    first_two = threading.Barrier(2, timeout=120)

    def counted(self, *args, **kwargs):
        with lock:
            counts["running"] += 1
            counts["started"] += 1
            counts["peak"] = max(counts["peak"], counts["running"])
            early = counts["started"] <= 2
        try:
            if early:
                first_two.wait()
            return real(self, *args, **kwargs)
        finally:
            with lock:
                counts["running"] -= 1

    monkeypatch.setattr(Terraform, "plan", counted)
    (repo / "environments" / "staging" / "main.tf").write_text(root_tf("v1").replace('"v1"', "var.missing"))
    commit(repo, "broken staging")
    code, out, err = run(capsys, "plan", "--all", "--parallel", "2")
    assert code == 1, err
    assert counts == {"running": 0, "peak": 2, "started": 3}
    progress = err.splitlines()
    assert sorted(line.split(":")[0] for line in progress if not line.startswith(" ")) == [
        "global_aws", "production", "staging"]
    failed = err[err.index("staging: failed"):]
    assert "Reference to undeclared input variable" in failed
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert "failed" in rows["staging"]
    assert rows["production"].endswith("changes") and rows["global_aws"].endswith("changes")

    code, out, err = run(capsys, "plan", "staging", "--parallel", "2")
    assert code == 2 and "--parallel goes with --all" in err, err
    with pytest.raises(SystemExit) as exited:  # argparse refuses it
        main(["plan", "--all", "--parallel", "0"])
    assert exited.value.code == 2 and "not a positive whole number" in capsys.readouterr().err


def test_plan_of_an_unknown_environment_is_bad_usage(repo, capsys):
    code, out, err = run(capsys, "plan", "qa")
    assert code == 2 and "'qa' is not an environment" in err
    code, out, err = run(capsys, "plan")
    assert code == 2 and "--all" in err


def apply_everywhere(capsys):
    for environment in ("global_aws", "staging", "production"):
        assert run(capsys, "plan", environment)[0] in (0, 3)
        code, out, err = run(capsys, "apply", environment)
        assert code == 0, err


def run_service(boto, cluster, image):
    ecs = boto.ecs
    ecs.create_cluster(clusterName=cluster)
    task = ecs.register_task_definition(family=f"{cluster}-web", containerDefinitions=[
        {"name": "web", "image": image, "memory": 512}])["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster=cluster, serviceName="web", taskDefinition=task, desiredCount=1)


def test_status_reports_convergence_of_code_environments_and_services(repo, boto, capsys):
    code, out, err = run(capsys, "status")
    assert code == 3 and out.count("never applied") == 3

    apply_everywhere(capsys)
    sha = git(repo, "rev-parse", "HEAD")
    run_service(boto, "acme-staging", f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/acme/web:{sha}")
    code, out, err = run(capsys, "status")
    assert code == 3, out + err  # production's cluster does not exist: never "converged"
    assert "unreadable (cannot read cluster acme-production: there is no such cluster" in out
    boto.ecs.create_cluster(clusterName="acme-production")
    code, out, err = run(capsys, "status")
    assert code == 3 and "no services (cluster acme-production (us-east-1, account" in out
    run_service(boto, "acme-production", f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/acme/web:{sha}")
    code, out, err = run(capsys, "status")
    assert code == 0, out + err
    assert f"main: {sha[:12]}" in out and "Converged" in out
    assert f"web {sha[:12]}" in out

    (repo / "README.md").write_text("a change\n")
    new = commit(repo, "docs")
    code, out, err = run(capsys, "status", "--json")
    assert code == 3
    report = json.loads(out)
    assert report["main"] == new and report["converged"] is False
    staging = next(env for env in report["environments"] if env["environment"] == "staging")
    assert staging["verdict"] == "behind" and "infra 1 commit behind main" in staging["detail"]
    assert "web runs" in staging["detail"] and "(1 behind)" in staging["detail"]
    assert staging["services"][0]["app_sha"] == sha

    boto.ecs.register_task_definition(family="acme-staging-web", containerDefinitions=[
        {"name": "web", "image": "x:y", "memory": 256}])
    code, out, err = run(capsys, "status")
    assert "task definition change not deployed yet" in out


def test_status_dates_an_environment_applied_before_ecsenv_by_its_state_object(repo, boto, capsys):
    # Applied with plain terraform before ecsenv: a state object at its key, no record under ecsenv/.
    state = {"version": 4, "terraform_version": "1.11.0", "serial": 7, "lineage": "a1b2", "outputs": {},
             "resources": []}
    boto.s3.put_object(Bucket=BUCKET, Key="staging/terraform.tfstate", Body=json.dumps(state).encode())
    written = boto.s3.head_object(Bucket=BUCKET, Key="staging/terraform.tfstate")["LastModified"]
    when = written.astimezone(timezone.utc).isoformat(timespec="seconds")

    code, out, err = run(capsys, "status")
    assert code == 3, out + err
    (staging,) = [line for line in out.splitlines() if line.startswith("staging ")]
    assert f"{when} (state written outside ecsenv)" in staging and "applied outside ecsenv" in staging
    assert "never applied" not in staging
    (production,) = [line for line in out.splitlines() if line.startswith("production ")]
    assert "never applied" in production  # no state object either

    code, out, err = run(capsys, "status", "--json")
    report = {entry["environment"]: entry for entry in json.loads(out)["environments"]}
    assert report["staging"]["verdict"] == "applied outside ecsenv" and report["staging"]["applied_at"] == when
    assert report["staging"]["applied_by"] is None and report["staging"]["infra_sha"] is None
    assert report["production"]["verdict"] == "never applied" and report["production"]["applied_at"] is None

    code, out, err = run(capsys, "status", "--format", "markdown")
    (row,) = [line for line in out.splitlines() if line.startswith("| staging |")]
    assert f"{when} (state written outside ecsenv)" in row and "applied outside ecsenv" in row

    # Once ecsenv applies it, its record is what status shows.
    assert run(capsys, "plan", "staging")[0] == 3 and run(capsys, "apply", "staging")[0] == 0
    code, out, err = run(capsys, "status", "--json")
    staging = next(entry for entry in json.loads(out)["environments"] if entry["environment"] == "staging")
    assert staging["infra_sha"] == git(repo, "rev-parse", "HEAD") and staging["verdict"] != "applied outside ecsenv"


def test_status_shows_an_emergency_until_converged_again(repo, boto, capsys):
    apply_everywhere(capsys)
    for cluster in ("acme-staging", "acme-production"):
        run_service(boto, cluster, f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/acme/web:"
                    + git(repo, "rev-parse", "HEAD"))
    git(repo, "checkout", "-q", "-b", "hotfix")
    (repo / "environments" / "production" / "main.tf").write_text(root_tf("hotfix"))
    commit(repo, "hotfix")
    assert run(capsys, "plan", "production")[0] == 3
    assert run(capsys, "apply", "production", "--emergency", "bad migration")[0] == 0
    code, out, err = run(capsys, "status")
    assert code == 3 and "emergency (emergency apply: bad migration)" in out

    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-edit", "hotfix")
    apply_everywhere(capsys)
    head = git(repo, "rev-parse", "HEAD")
    for cluster in ("acme-staging", "acme-production"):  # the app follows main too
        task = boto.ecs.register_task_definition(family=f"{cluster}-web", containerDefinitions=[
            {"name": "web", "image": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/acme/web:{head}", "memory": 512}])
        boto.ecs.update_service(cluster=cluster, service="web",
                                taskDefinition=task["taskDefinition"]["taskDefinitionArn"])
    code, out, err = run(capsys, "status")
    assert code == 0, out


def test_drift_lists_what_changed_behind_terraforms_back(repo, boto, capsys, monkeypatch, aws_env, tmp_path):
    import os

    mirror = os.environ.get("ECSENV_TF_PROVIDER_MIRROR")
    if not mirror:
        if os.environ.get("ECSENV_REQUIRE_TERRAFORM"):
            pytest.fail("ECSENV_TF_PROVIDER_MIRROR is not set, but CI must run the terraform tests")
        pytest.skip("ECSENV_TF_PROVIDER_MIRROR is not set (the offline mirror of the hashicorp/aws provider)")
    cli_config = tmp_path / "mirror.rc"
    cli_config.write_text(f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n  }}\n}}\n')
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(cli_config))
    (repo / "environments" / "staging" / "main.tf").write_text(textwrap.dedent(f"""\
        terraform {{
          backend "s3" {{}}
          required_providers {{
            aws = {{
              source  = "hashicorp/aws"
              version = "5.100.0"
            }}
          }}
        }}

        # Test-only provider settings: the emulator.
        provider "aws" {{
          region                      = "us-east-1"
          access_key                  = "testing"
          secret_key                  = "testing"
          s3_use_path_style           = true
          skip_credentials_validation = true
          skip_requesting_account_id  = true
          skip_metadata_api_check     = true
          endpoints {{
            s3  = "{aws_env}"
            sts = "{aws_env}"
          }}
        }}

        resource "aws_s3_bucket" "assets" {{
          bucket = "acme-staging-assets"
          tags   = {{ team = "web" }}
        }}
        """))
    commit(repo, "assets bucket")  # .gitignore has .terraform/ only: the lock file init writes is not ignored
    code, out, err = run(capsys, "plan", "staging")
    assert code == 3, err
    assert "terraform init wrote environments/staging/.terraform.lock.hcl" in out and "commit it" in out
    assert "Saved the plan: apply it" not in out
    code, out, err = run(capsys, "apply", "staging")
    assert code == 2 and "environments/staging/.terraform.lock.hcl: terraform init writes this file" in err
    commit(repo, "the provider lock file")  # as CI would have it: committed
    code, out, err = run(capsys, "plan", "staging")
    assert code == 3 and "Saved the plan: apply it with `ecsenv apply staging`." in out
    assert "Initializing" not in out  # committing the lock file changed nothing init depends on
    assert run(capsys, "apply", "staging")[0] == 0
    code, out, err = run(capsys, "drift", "staging")
    assert code == 0, out + err
    assert "No drift in staging." in out

    # terraform's warnings on stderr (here: a CLI config file that is missing) are never read as JSON
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(tmp_path / "missing.tfrc"))
    boto.s3.put_bucket_tagging(Bucket="acme-staging-assets", Tagging={"TagSet": [{"Key": "team", "Value": "ops"}]})
    code, out, err = run(capsys, "drift", "staging")
    assert code == 3, out + err
    assert "drift: aws_s3_bucket.assets: tags" in out

    # every environment at once (the scheduled drift job's command): a line each as it finishes, then the report
    code, out, err = run(capsys, "drift", "--all", "--parallel", "2")
    assert code == 3, out + err
    assert "staging: drifted: aws_s3_bucket.assets" in err and "production: no drift" in err
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert rows["staging"].split()[1:] == ["1", "0", "drifted"] and rows["global_aws"].endswith("no drift")
    code, out, err = run(capsys, "drift", "--all", "--format", "json")
    document = json.loads(out)
    assert code == 3 and document["format_version"] == 1 and document["drifted"] is True
    by_name = {item["environment"]: item for item in document["environments"]}
    assert by_name["staging"]["drift"] == [{"address": "aws_s3_bucket.assets", "changed": ["tags", "tags_all"]}]
    assert by_name["production"]["drifted"] is False and document["failed"] == []
    code, out, err = run(capsys, "drift", "--all", "--format", "markdown")
    assert code == 3 and out.startswith("## ecsenv drift") and "### ecsenv drift: staging" in out
    code, out, err = run(capsys, "drift", "staging", "--parallel", "2")
    assert code == 2 and "--parallel goes with --all" in err


# ------------------------------------------------------------------ interrupts, init, backend, plan semantics

def slow_root(count=30):
    """A root whose apply takes a while: each resource runs `sleep 2` (terraform creates 10 at a time)."""
    return textwrap.dedent(f"""\
        terraform {{
          backend "s3" {{}}
        }}

        resource "terraform_data" "step" {{
          count = {count}
          input = count.index

          provisioner "local-exec" {{
            command = "sleep 2"
          }}
        }}
        """)


def ecsenv(repo, *argv, **kwargs):
    """ecsenv as its own process (signals, file descriptors): Popen with its output merged and piped."""
    return subprocess.Popen([sys.executable, "-m", "bootstrap", *argv], cwd=repo, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL, **kwargs)


def lock_entries(boto, environment):
    """The state locks held on an environment's state: DynamoDB lock items and the S3 .tflock object."""
    key = f"{environment}/terraform.tfstate"
    items = boto.dynamodb.scan(TableName="acme-tfstate-lock")["Items"]
    held = [item["LockID"]["S"] for item in items if item["LockID"]["S"] == f"{BUCKET}/{key}"]
    listed = boto.s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{key}.tflock").get("Contents", [])
    return held + [entry["Key"] for entry in listed]


def start_slow_apply(repo, capsys):
    """A committed slow root, planned; then `ecsenv apply staging` in a session of its own (the terminal: Ctrl-C
    signals its whole foreground process group), read up to the first resource created. (process, lines so far)"""
    (repo / "environments" / "staging" / "main.tf").write_text(slow_root())
    commit(repo, "slow")
    assert run(capsys, "plan", "staging")[0] == 3
    process = ecsenv(repo, "apply", "staging", start_new_session=True)
    lines = []
    for line in process.stdout:
        lines.append(line)
        if "Creation complete" in line:
            return process, lines
    raise AssertionError("".join(lines))


def created_resources(output):
    return set(re.findall(r"^(terraform_data\.step\[\d+\]): Creation complete", output, re.M))


@pytest.mark.parametrize("sent", ["SIGINT to the terminal's process group", "SIGTERM to ecsenv",
                                  "SIGHUP with the terminal gone"])
def test_an_interrupted_apply_saves_terraforms_state_and_releases_both_locks(repo, boto, capsys, sent):
    process, lines = start_slow_apply(repo, capsys)
    if sent.startswith("SIGINT"):
        os.killpg(process.pid, signal.SIGINT)
    elif sent.startswith("SIGTERM"):
        os.kill(process.pid, signal.SIGTERM)
    else:
        os.kill(process.pid, signal.SIGHUP)
        process.stdout.close()  # nobody reads any more: ecsenv must keep draining terraform all the same
    if not process.stdout.closed:
        lines += process.stdout.readlines()
        assert process.wait(timeout=120) == 130
        output = "".join(lines)
        assert "passed on to terraform" in output, output
        assert "interrupted: terraform stopped gracefully" in output, output
        assert "run `ecsenv plan staging`" in output and "picks up" not in output
        assert "Two interrupts received" not in output  # terraform saw one interrupt: not the terminal's AND ours
    else:
        process.wait(timeout=120)
        output = "".join(lines)
    created = created_resources(output)
    assert 0 < len(created) < 30

    # No lock left behind, and everything terraform created is in the state: the next plan takes the lock at once.
    assert lock_entries(boto, "staging") == []
    listing = ecsenv(repo, "tf", "staging", "--", "state", "list")
    state = set(listing.stdout.read().split())
    assert listing.wait(timeout=60) == 0
    assert created <= state
    code, out, err = run(capsys, "plan", "staging", "--lock-timeout", "0s")
    assert code == 3, out + err


def test_a_second_interrupt_is_terraforms_force_stop_and_the_message_says_what_may_be_left(repo, capsys):
    process, lines = start_slow_apply(repo, capsys)
    os.kill(process.pid, signal.SIGINT)
    for line in process.stdout:
        lines.append(line)
        if "Interrupt received" in line:
            os.kill(process.pid, signal.SIGINT)
            break
    lines += process.stdout.readlines()
    assert process.wait(timeout=120) == 130
    output = "".join(lines)
    assert "second interrupt (SIGINT): terraform exits at once" in output, output
    assert "Two interrupts received" in output  # terraform's own force stop
    assert "interrupted twice" in output and "force-unlock" in output and "import" in output


def test_plan_initialises_again_when_a_module_is_added(repo, capsys):
    assert run(capsys, "plan", "staging")[0] == 3
    module = repo / "modules" / "notes"
    module.mkdir(parents=True)
    (module / "main.tf").write_text('resource "terraform_data" "note" {\n  input = "n"\n}\n')
    with open(repo / "environments" / "staging" / "main.tf", "a") as handle:
        handle.write('\nmodule "notes" {\n  source = "../../modules/notes"\n}\n')
    commit(repo, "a module")
    code, out, err = run(capsys, "plan", "staging")  # without a re-init: "Module not installed"
    assert code == 3, out + err
    assert "Initializing modules" in out and "module.notes.terraform_data.note will be created" in out
    code, out, err = run(capsys, "plan", "staging")
    assert code == 3 and "Initializing" not in out  # nothing init depends on changed since
    code, out, err = run(capsys, "plan", "staging", "--reinit")
    assert code == 3 and "Initializing" in out


def test_plan_and_apply_refuse_a_backend_file_that_is_not_ecsenv_yamls(repo, capsys):
    backend = repo / "environments" / "staging" / "backend.s3.tfbackend"
    backend.write_text(backend.read_text().replace("staging/terraform.tfstate", "production/terraform.tfstate"))
    commit(repo, "copy-pasted backend")
    for command in ("plan", "apply"):
        code, out, err = run(capsys, command, "staging")
        assert code == 2, err
        assert "environments/staging/backend.s3.tfbackend" in err
        assert 'key = "production/terraform.tfstate", but ecsenv.yaml implies key = "staging/terraform.tfstate"' \
            in err
        assert "Terraform" not in out  # nothing ran


def test_a_plan_that_only_changes_outputs_is_a_change(repo, capsys):
    assert run(capsys, "plan", "staging")[0] == 3
    assert run(capsys, "apply", "staging")[0] == 0
    with open(repo / "environments" / "staging" / "main.tf", "a") as handle:
        handle.write('\noutput "release" {\n  value = terraform_data.release.output\n}\n')
    sha = commit(repo, "an output")
    code, out, err = run(capsys, "plan", "staging")
    assert code == 3, out + err
    assert f"staging at {sha[:12]}: 0 to add, 0 to change, 0 to destroy (only outputs change)." in out
    assert "No changes" not in out.split("\n\n")[-1]
    plan_file = repo / ".ecsenv" / "plans" / f"staging-{sha[:12]}.tfplan"
    meta_file = plan_file.with_suffix(".json")
    assert (plan_file.stat().st_mode & 0o777, meta_file.stat().st_mode & 0o777) == (0o600, 0o600)
    assert json.loads(meta_file.read_text())["changes"] is True

    for corrupt in ('{"environment": "sta', "[]"):
        meta_file.write_text(corrupt)
        code, out, err = run(capsys, "apply", "staging")
        assert code == 2
        assert err.strip().splitlines() == [
            f"ecsenv: error: the saved plan's metadata .ecsenv/plans/{meta_file.name} is unreadable: "
            "run `ecsenv plan staging` again"]
    assert run(capsys, "plan", "staging")[0] == 3
    assert run(capsys, "apply", "staging")[0] == 0
    assert run(capsys, "plan", "staging")[0] == 0


def test_plan_of_a_promoted_environment_says_apply_waits_for_its_source(repo, capsys):
    code, out, err = run(capsys, "plan", "production")
    assert code == 3, err
    assert "Note: production promotes from staging, which has not applied" in out
    assert "`ecsenv apply staging`" in out
