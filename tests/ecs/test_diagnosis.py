"""A failed deploy says why: for the newest stopped tasks of the revision it registered, ECS's stoppedReason, each
container's exit code and reason, their last 20 log lines, and load-balancer health-check failures named as such.
The tasks' ends are made in moto's ECS backend, as ECS's circuit breaker would leave them (see app_day_world)."""

import pytest
from app_day_world import PROJECT, SHA1, SHA2, build, freeze_tasks, thaw_tasks
from botocore.client import BaseClient

from bootstrap.cli import main
from bootstrap.ecs.diagnosis import health_check_kind

ELB_REASON = ("Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:ap-south-2:318406527194:"
              "targetgroup/tallowmere-staging-web/0123456789abcdef)")


@pytest.fixture
def world(boto, aws_env, project_dir, monkeypatch):
    world = build(boto, aws_env, project_dir, monkeypatch, environments=("staging",))
    freeze_tasks(aws_env)
    yield world
    thaw_tasks(aws_env)


def test_a_rolled_back_deploy_prints_stopped_reasons_exit_codes_and_last_log_lines(world, capsys, monkeypatch):
    old = world.running_definition("staging")["taskDefinitionArn"]
    stale = world.start_service_task("staging", old)  # a stopped task of the OLD revision: not ours, not shown
    world.end(stale, 137, reason="Scaling activity initiated by (deployment ecs-svc/1)")

    def tasks_fail_then_ecs_rolls_back(params):
        """What ECS does after our UpdateService: start tasks of the new revision, see them fail, go back."""
        if params.get("taskDefinition") in (None, old):
            return
        ecs = world.client("ecs")
        crashed = world.start_service_task("staging", params["taskDefinition"])
        world.put_logs("staging", f"web/web/{crashed.id}", [(index, f"boot step {index}") for index in range(30)]
                       + [(40, "KeyError: 'DATABASE_URL'")])
        world.end(crashed, 1)
        unhealthy = world.start_service_task("staging", params["taskDefinition"])
        world.end(unhealthy, 0, reason=ELB_REASON, stop_code="ServiceSchedulerInitiated")
        # a rollback made by the circuit breaker: the service goes back to the old revision
        ecs.update_service(cluster=f"{PROJECT}-staging", service="web", taskDefinition=old)

    real = BaseClient._make_api_call

    def after_update(client, name, params):
        response = real(client, name, params)
        if name == "UpdateService":
            tasks_fail_then_ecs_rolls_back(params)
        return response

    monkeypatch.setattr(BaseClient, "_make_api_call", after_update)
    code = main(["deploy", "staging", "--sha", SHA2])
    out, err = capsys.readouterr()
    assert code == 1
    assert f"ECS rolled the deployment back to {PROJECT}-staging-web:1" in err
    assert f"web: the newest stopped tasks of {PROJECT}-staging-web:2:" in err
    assert "Essential container in task exited [EssentialContainerExited]" in err
    assert "container web: exit code 1" in err
    assert "last 20 log lines of web" in err and "KeyError: 'DATABASE_URL'" in err
    assert "boot step 10" not in err and "boot step 11" in err, "the last 20 lines, not more"
    assert err.index("boot step 29") < err.index("KeyError: 'DATABASE_URL'"), "oldest first, as they were written"
    assert "failed the target group's health check" in err and "targetgroup/tallowmere-staging-web" in err
    assert stale.id not in err, "tasks of other revisions are not ours"


def test_a_deploy_that_times_out_says_when_no_task_has_stopped_yet(world, capsys, monkeypatch):
    world.service("staging", SHA1, name="worker", desired=3)  # the emulator runs one task of three
    code = main(["deploy", "staging", "--sha", SHA2, "--timeout", "0.5", "--service", "worker"])
    out, err = capsys.readouterr()
    assert code == 1 and "timed out after 0.5s" in err
    assert f"worker: no stopped task of {PROJECT}-staging-worker:2 (yet)" in err


@pytest.mark.parametrize("reason, kind", [
    (ELB_REASON, "load balancer"),
    ("Task failed container health checks", "container"),
    ("Essential container in task exited", None),
    (None, None),
])
def test_health_check_failures_are_told_apart(reason, kind):
    assert health_check_kind(reason) == kind
