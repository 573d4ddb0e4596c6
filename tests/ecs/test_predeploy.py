"""The pre-deploy step: a one-off task with the NEW image before any service is updated; a failure aborts the deploy
with nothing changed; it is recorded, promote runs it in the target environment, and a rollback across it warns.
The one-off tasks' ends are made in moto's ECS backend (see app_day_world)."""

import pytest
from app_day_world import PROJECT, REPO, SHA1, SHA2, build, freeze_tasks, on_call, thaw_tasks

from bootstrap.cli import main


@pytest.fixture
def world(boto, aws_env, project_dir, monkeypatch):
    world = build(boto, aws_env, project_dir, monkeypatch, services={"web": "bin/migrate --database main"})
    freeze_tasks(aws_env)
    yield world
    thaw_tasks(aws_env)


def one_off_ends(world, environment, exit_code, lines=()):
    """The next one-off task logs `lines` and ends with `exit_code` when it is first described."""
    def end(params):
        task = world.tasks()[-1]
        if lines:
            world.put_logs(environment, f"web/web/{task.id}", list(enumerate(lines)))
        world.end(task, exit_code)
    return end


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_failing_pre_deploy_step_aborts_the_deploy_with_nothing_changed(world, capsys, monkeypatch):
    before = world.revisions(f"{PROJECT}-staging-web")
    lines = [f"applying migration {number}" for number in range(1, 26)] + ["ERROR: column users.email is missing"]
    on_call(monkeypatch, "DescribeTasks", {0: one_off_ends(world, "staging", 2, lines)})
    code, out, err = run(capsys, "deploy", "staging", "--sha", SHA2)
    assert code == 1
    assert "the pre-deploy step of web (`bin/migrate --database main`) exited 2" in err
    assert "nothing was deployed, no service was updated" in err
    assert "its last 20 log lines:" in err and "ERROR: column users.email is missing" in err
    assert "applying migration 6\n" not in err and "applying migration 7" in err
    assert "| ERROR: column users.email is missing" in out, "streamed while it ran"
    # what ran: the new image, the configured command, in the service's network
    task = world.tasks()[-1]
    definition = world.client("ecs").describe_task_definition(taskDefinition=task.task_definition_arn)
    assert definition["taskDefinition"]["containerDefinitions"][0]["image"] == f"{REPO}:{SHA2}"
    assert task.overrides["containerOverrides"][0]["command"] == ["bin/migrate", "--database", "main"]
    # nothing changed
    assert world.revisions(f"{PROJECT}-staging-web") == before
    assert world.running_definition("staging")["containerDefinitions"][0]["image"] == f"{REPO}:{SHA1}"
    assert world.history("staging") == []
    keys = [o["Key"] for o in world.client("s3").list_objects_v2(Bucket=f"{PROJECT}-tfstate-318406527194")
            .get("Contents", [])]
    assert not any("deploy-locks" in key for key in keys), "the lock is released"


def test_the_step_runs_before_any_service_change_and_is_recorded(world, capsys, monkeypatch, api_calls):
    on_call(monkeypatch, "DescribeTasks", {0: one_off_ends(world, "staging", 0, ["migrated"])})
    code, out, err = run(capsys, "deploy", "staging", "--sha", SHA2, "--pre-deploy", "bin/migrate --only 'add email'")
    assert code == 0, err
    assert api_calls.calls.index("RunTask") < api_calls.calls.index("UpdateService")
    assert world.tasks()[-1].overrides["containerOverrides"][0]["command"] == ["bin/migrate", "--only", "add email"]
    assert world.running_definition("staging")["containerDefinitions"][0]["image"] == f"{REPO}:{SHA2}"
    [entry] = world.history("staging")
    assert entry["pre_deploy"][0]["command"] == "bin/migrate --only 'add email'"
    assert entry["pre_deploy"][0]["exit_code"] == 0 and entry["pre_deploy"][0]["service"] == "web"


def test_promote_runs_the_step_in_the_target_environment(world, capsys, monkeypatch):
    actions = {0: one_off_ends(world, "staging", 0), 1: one_off_ends(world, "production", 0)}
    on_call(monkeypatch, "DescribeTasks", actions)
    assert run(capsys, "deploy", "staging", "--sha", SHA2)[0] == 0
    code, out, err = run(capsys, "promote", "production")
    assert code == 0, err
    task = world.tasks()[-1]
    assert task.cluster_name == f"{PROJECT}-production"
    assert task.network_configuration["awsvpcConfiguration"]["subnets"] == [world.subnets["production"]]
    definition = world.client("ecs").describe_task_definition(taskDefinition=task.task_definition_arn)
    assert definition["taskDefinition"]["containerDefinitions"][0]["image"] == f"{REPO}:{SHA2}"
    assert world.history("production")[0]["pre_deploy"][0]["command"] == "bin/migrate --database main"


def test_a_rollback_across_a_pre_deploy_step_names_it_and_needs_yes(world, capsys, monkeypatch):
    on_call(monkeypatch, "DescribeTasks", {0: one_off_ends(world, "staging", 0), 1: one_off_ends(world, "staging", 0)})
    assert run(capsys, "deploy", "staging", "--sha", SHA1)[0] == 0
    assert run(capsys, "deploy", "staging", "--sha", SHA2)[0] == 0
    code, out, err = run(capsys, "rollback", "staging")
    assert code == 2
    assert f"back to {SHA1[:12]} goes back across 1 release whose pre-deploy step ran" in err
    assert f"{SHA2[:12]} (deployed 20" in err and "by arn:aws:" in err and "web: `bin/migrate --database main`" in err
    assert "pass --yes" in err
    assert world.running_definition("staging")["containerDefinitions"][0]["image"] == f"{REPO}:{SHA2}"
    code, out, err = run(capsys, "rollback", "staging", "--yes")
    assert code == 0, err
    assert world.running_definition("staging")["containerDefinitions"][0]["image"] == f"{REPO}:{SHA1}"
    assert "pre_deploy" not in world.history("staging")[-1], "a rollback runs no pre-deploy step"


@pytest.fixture
def plain_world(boto, aws_env, project_dir, monkeypatch):
    return build(boto, aws_env, project_dir, monkeypatch, environments=("staging",))


def test_without_pre_deploy_steps_no_task_runs_and_a_rollback_asks_nothing(plain_world, capsys, api_calls):
    assert run(capsys, "deploy", "staging", "--sha", SHA1)[0] == 0
    assert run(capsys, "deploy", "staging", "--sha", SHA2)[0] == 0
    code, out, err = run(capsys, "rollback", "staging")
    assert code == 0, err
    assert "RunTask" not in api_calls.calls and "warning" not in err
    assert plain_world.running_definition("staging")["containerDefinitions"][0]["image"] == f"{REPO}:{SHA1}"


def test_sigterm_during_the_step_stops_its_task_and_changes_nothing(world, capsys, monkeypatch):
    import os
    import signal

    on_call(monkeypatch, "DescribeTasks", {1: lambda params: os.kill(os.getpid(), signal.SIGTERM)})
    code, out, err = run(capsys, "deploy", "staging", "--sha", SHA2)
    task = world.tasks()[-1]
    assert code == 130
    assert f"pre-deploy: interrupted; stopped task {task.id}" in out
    assert task.last_status == "STOPPED" and "interrupted" in task.stopped_reason
    assert world.running_definition("staging")["containerDefinitions"][0]["image"] == f"{REPO}:{SHA1}"
    assert world.history("staging") == []
