"""`ecsenv logs`: a service's CloudWatch streams (PutLogEvents on the emulator), merged in time order, one prefix per
task; --sha keeps the tasks of one commit; --follow polls until Ctrl-C."""

import time

import pytest
from app_day_world import PROJECT, REPO, SHA2, build, freeze_tasks, on_call, thaw_tasks

from bootstrap.cli import main


@pytest.fixture
def world(boto, aws_env, project_dir, monkeypatch):
    world = build(boto, aws_env, project_dir, monkeypatch, environments=("staging",))
    freeze_tasks(aws_env)
    yield world
    thaw_tasks(aws_env)


def lines_of(out):
    return [line for line in out.splitlines() if line.strip()]


def test_two_tasks_streams_are_merged_in_time_order_one_prefix_per_task(world, capsys):
    now = int(time.time() * 1000) - 120_000
    world.put_logs("staging", "web/web/aaaa1111", [(0, "a: booting"), (20, "a: ready"), (40, "a: GET /")], at=now)
    world.put_logs("staging", "web/web/bbbb2222", [(10, "b: booting"), (30, "b: ready"), (50, "b: GET /health")],
                   at=now)
    world.put_logs("staging", "api/api/cccc3333", [(15, "another service")], at=now)
    world.put_logs("staging", "web/web/dddd4444", [(0, "too old")], at=now - 3_600_000)
    code = main(["logs", "staging", "web", "--since", "30m"])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = lines_of(out)
    assert [line.split("] ", 1)[1] for line in lines] == ["a: booting", "b: booting", "a: ready", "b: ready",
                                                           "a: GET /", "b: GET /health"]
    assert all(" [aaaa1111 web] a:" in line for line in lines if "] a:" in line)
    assert all(" [bbbb2222 web] b:" in line for line in lines if "] b:" in line)
    assert lines[0].startswith(time.strftime("%Y-%m-%dT", time.gmtime(now / 1000)))


def test_sha_shows_only_the_tasks_of_that_commit(world, capsys):
    ecs = world.client("ecs")
    old = world.running_definition("staging")
    new = ecs.register_task_definition(
        family=old["family"], networkMode="awsvpc", cpu="256", memory="512", requiresCompatibilities=["FARGATE"],
        containerDefinitions=[dict(old["containerDefinitions"][0], image=f"{REPO}:{SHA2}")])["taskDefinition"]
    task_old = world.start_service_task("staging", old["taskDefinitionArn"])
    task_new = world.start_service_task("staging", new["taskDefinitionArn"])
    world.put_logs("staging", f"web/web/{task_old.id}", [(0, "old commit speaking")])
    world.put_logs("staging", f"web/web/{task_new.id}", [(5, "new commit speaking")])
    code = main(["logs", "staging", "--sha", SHA2[:12]])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "new commit speaking" in out and "old commit speaking" not in out
    assert f"[{task_new.id[:8]} web]" in out


def test_follow_prints_new_lines_as_they_come_and_ctrl_c_exits_0(world, capsys, monkeypatch):
    world.put_logs("staging", "web/web/aaaa1111", [(0, "before")])

    def later(params):
        world.put_logs("staging", "web/web/bbbb2222", [(0, "while following")], at=int(time.time() * 1000))

    def ctrl_c(params):
        raise KeyboardInterrupt

    on_call(monkeypatch, "FilterLogEvents", {1: later, 3: ctrl_c})
    code = main(["logs", "staging", "web", "--follow"])
    out, err = capsys.readouterr()
    assert code == 0
    assert out.index("before") < out.index("while following")
    assert out.count("before") == 1, "each line once, however often it is polled"


def test_bad_since_is_refused(world, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["logs", "staging", "--since", "yesterday"])
    assert exited.value.code == 2
    assert "neither a duration" in capsys.readouterr().err


def test_no_service_of_that_name(world, capsys):
    code = main(["logs", "staging", "worker"])
    assert code == 2 and f"no service worker in {PROJECT}-staging" in capsys.readouterr().err
