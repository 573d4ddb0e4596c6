"""`ecsenv run`: a one-off task from the service's task definition, in its network, logs streamed, the container's
exit code returned. The task's end is driven through moto's ECS backend (see app_day_world)."""

import os
import signal

import pytest
from app_day_world import PROJECT, REPO, SHA1, SHA2, SHA3, build, freeze_tasks, on_call, thaw_tasks

from bootstrap.cli import main


@pytest.fixture
def world(boto, aws_env, project_dir, monkeypatch):
    world = build(boto, aws_env, project_dir, monkeypatch, environments=("staging",))
    freeze_tasks(aws_env)
    yield world
    thaw_tasks(aws_env)


def stream_of(task):
    return f"web/web/{task.id}"


def end_after_logs(world, exit_code, lines, **ending):
    """DescribeTasks #1 finds the task running with its first line logged; #2 finds the rest logged and it ended."""
    def first(params):
        world.put_logs("staging", stream_of(world.tasks()[-1]), [(0, lines[0])])

    def last(params):
        task = world.tasks()[-1]
        world.put_logs("staging", stream_of(task), [(index, line) for index, line in enumerate(lines[1:], 1)])
        world.end(task, exit_code, **ending)

    return {0: first, 2: last}


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_task_that_exits_0_streams_its_logs_and_exits_0(world, capsys, monkeypatch):
    on_call(monkeypatch, "DescribeTasks", end_after_logs(world, 0, ["migrating 1 of 2", "migrating 2 of 2",
                                                                    "done"]))
    code, out, err = run(capsys, "run", "staging", "--", "bin/migrate", "--to", "latest")
    assert code == 0, err
    assert out.index("migrating 1 of 2") < out.index("migrating 2 of 2") < out.index("done")
    assert "exited 0" in out
    task = world.tasks()[-1]
    described = world.client("ecs").describe_tasks(cluster=f"{PROJECT}-staging", tasks=[task.task_arn])["tasks"][0]
    assert described["overrides"]["containerOverrides"] == [{"name": "web", "command": ["bin/migrate", "--to",
                                                                                          "latest"]}]
    assert described["startedBy"] == "ecsenv-run" and described["launchType"] == "FARGATE"
    assert task.network_configuration["awsvpcConfiguration"]["subnets"] == [world.subnets["staging"]]
    assert task.network_configuration["awsvpcConfiguration"]["securityGroups"] == [world.security_groups["staging"]]
    assert described["taskDefinitionArn"] == world.running_definition("staging")["taskDefinitionArn"]


def test_a_task_that_exits_3_exits_3_with_its_reason(world, capsys, monkeypatch):
    on_call(monkeypatch, "DescribeTasks", end_after_logs(world, 3, ["starting", "relation users does not exist"]))
    code, out, err = run(capsys, "run", "staging", "--service", "web", "--", "bin/migrate")
    assert code == 3
    assert "relation users does not exist" in out
    assert "container web: exit code 3" in err and "Essential container in task exited" in err
    assert "exited 3" in err


def test_a_task_that_never_starts_exits_1_with_ecs_stopped_reason(world, capsys, monkeypatch):
    reason = "CannotPullContainerError: pull image manifest has been retried 1 time(s): not found"

    def never_ran(params):
        world.end(world.tasks()[-1], exit_code=None, reason="Task failed to start", stop_code="TaskFailedToStart",
                  container_reason=reason)

    on_call(monkeypatch, "DescribeTasks", {0: never_ran})
    code, out, err = run(capsys, "run", "staging", "--", "bin/migrate")
    assert code == 1
    assert "never ran: Task failed to start" in err
    assert "container web: no exit code (it never ran): CannotPullContainerError" in err


def test_sha_runs_that_image_from_a_one_off_family_and_leaves_the_service_family_alone(world, capsys, monkeypatch):
    before = world.revisions(f"{PROJECT}-staging-web")
    on_call(monkeypatch, "DescribeTasks", {0: lambda params: world.end(world.tasks()[-1], 0)})
    code, out, err = run(capsys, "run", "staging", "--sha", SHA2, "--", "true")
    assert code == 0, err
    described = world.client("ecs").describe_task_definition(
        taskDefinition=world.tasks()[-1].task_definition_arn)["taskDefinition"]
    assert described["family"] == f"{PROJECT}-staging-web_oneoff"
    assert described["containerDefinitions"][0]["image"] == f"{REPO}:{SHA2}"
    assert described["containerDefinitions"][0]["environment"] == [{"name": "APP_ENV", "value": "staging"}]
    assert world.revisions(f"{PROJECT}-staging-web") == before, "the service's family gets no revision"
    assert world.running_definition("staging")["containerDefinitions"][0]["image"] == f"{REPO}:{SHA1}"


def test_sha_without_an_image_is_refused_before_anything_starts(world, capsys):
    code, out, err = run(capsys, "run", "staging", "--sha", SHA3, "--", "true")
    assert code == 2 and f"image {REPO}:{SHA3} does not exist" in err
    assert world.tasks() == []


def test_sigterm_stops_the_task_and_exits_130(world, capsys, monkeypatch):
    """A cancelled CI job: SIGTERM while the task runs. The task is stopped (StopTask), not left running alone."""
    on_call(monkeypatch, "DescribeTasks", {1: lambda params: os.kill(os.getpid(), signal.SIGTERM)})
    code, out, err = run(capsys, "run", "staging", "--", "sleep", "600")
    task = world.tasks()[-1]
    assert code == 130
    assert f"stopped task {task.id} (StopTask)" in err
    assert task.last_status == "STOPPED" and "interrupted" in task.stopped_reason


def test_timeout_stops_the_task_and_exits_1(world, capsys):
    code, out, err = run(capsys, "run", "staging", "--timeout", "0.3", "--", "sleep", "600")
    task = world.tasks()[-1]
    assert code == 1 and "did not finish within 0.3s: stopped it" in err
    assert task.last_status == "STOPPED" and "timed out" in task.stopped_reason


@pytest.mark.parametrize("argv, message", [
    (["run", "staging"], "no command to run"),
    (["run", "staging", "--service", "api", "--", "true"], "no service api"),
    (["run", "qa", "--", "true"], "'qa' is not an environment"),
])
def test_bad_run_usage_exits_2_and_starts_nothing(world, capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and message in err
    assert world.tasks() == []


def test_the_newest_active_revision_runs_with_the_image_the_service_runs(world, capsys, monkeypatch):
    """Terraform registered a newer revision (new settings) that no deploy rolled out yet: a one-off task gets its
    settings. With the running image it runs as it is; with Terraform's placeholder image, a one-off revision of it
    carries the running image instead."""
    ecs = world.client("ecs")
    running = world.running_definition("staging")
    container = dict(running["containerDefinitions"][0], environment=[{"name": "FEATURE", "value": "on"}])
    newer = ecs.register_task_definition(
        family=running["family"], networkMode="awsvpc", cpu="256", memory="512", requiresCompatibilities=["FARGATE"],
        containerDefinitions=[container])["taskDefinition"]
    on_call(monkeypatch, "DescribeTasks", {0: lambda params: world.end(world.tasks()[-1], 0),
                                           1: lambda params: world.end(world.tasks()[-1], 0)})
    assert run(capsys, "run", "staging", "--", "true")[0] == 0
    assert world.tasks()[-1].task_definition_arn == newer["taskDefinitionArn"]

    placeholder = ecs.register_task_definition(
        family=running["family"], networkMode="awsvpc", cpu="256", memory="512", requiresCompatibilities=["FARGATE"],
        containerDefinitions=[dict(container, image=f"{REPO}:latest")])["taskDefinition"]
    assert run(capsys, "run", "staging", "--", "true")[0] == 0
    used = ecs.describe_task_definition(taskDefinition=world.tasks()[-1].task_definition_arn)["taskDefinition"]
    assert used["family"].endswith("_oneoff") and used["taskDefinitionArn"] != placeholder["taskDefinitionArn"]
    assert used["containerDefinitions"][0]["image"] == f"{REPO}:{SHA1}"
    assert used["containerDefinitions"][0]["environment"] == [{"name": "FEATURE", "value": "on"}]
