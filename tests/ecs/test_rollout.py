"""Following OUR deployment (rollout.assess) on service documents shaped as ECS documents them
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html): pure, no AWS. The CLI flows on the
emulator are in tests/e2e/test_deploy.py."""

from bootstrap.ecs.rollout import DONE, PENDING, Tracked, assess
from bootstrap.ecs.services import undeployable_reason
from bootstrap.ledger.history import FAILED, ROLLED_BACK, SUPERSEDED

OLD = "arn:aws:ecs:ap-southeast-5:731902468135:task-definition/tindra-qa-web:7"
NEW = "arn:aws:ecs:ap-southeast-5:731902468135:task-definition/tindra-qa-web:8"


def deployment(id_, status, task_definition, rollout, running, desired, reason=None):
    return {"id": id_, "status": status, "taskDefinition": task_definition, "rolloutState": rollout,
            "rolloutStateReason": reason, "runningCount": running, "desiredCount": desired}


def service(*deployments, task_definition=NEW, running=None, desired=2):
    return {"serviceName": "web", "taskDefinition": task_definition, "deployments": list(deployments),
            "runningCount": running if running is not None else sum(d["runningCount"] for d in deployments),
            "desiredCount": desired}


BEFORE = service(deployment("ecs-svc/1", "PRIMARY", OLD, "COMPLETED", 2, 2), task_definition=OLD)


def tracked_from(answer):
    return Tracked.from_update(BEFORE, answer, NEW)


def test_our_deployment_is_the_one_updateservice_created():
    answer = service(deployment("ecs-svc/2", "PRIMARY", NEW, "IN_PROGRESS", 0, 2),
                     deployment("ecs-svc/1", "ACTIVE", OLD, "COMPLETED", 2, 2))
    tracked = tracked_from(answer)
    assert tracked.deployment_id == "ecs-svc/2" and not tracked.follows_service_document


def test_a_first_read_that_does_not_show_our_deployment_yet_is_not_a_failure():
    tracked = Tracked("web", NEW, OLD, {"ecs-svc/1"})  # the answer did not show it either
    stale = BEFORE  # an eventually consistent read: the service as it was before the update
    assert assess(stale, tracked).state == PENDING
    fresh = service(deployment("ecs-svc/2", "PRIMARY", NEW, "IN_PROGRESS", 1, 2),
                    deployment("ecs-svc/1", "ACTIVE", OLD, "COMPLETED", 2, 2))
    assert assess(fresh, tracked).state == PENDING and tracked.deployment_id == "ecs-svc/2"


def test_done_needs_our_deployment_completed_with_all_its_own_tasks():
    tracked = Tracked("web", NEW, OLD, {"ecs-svc/1"}, "ecs-svc/2")
    # The service counts 3 running (old tasks included): that proves nothing.
    rolling = service(deployment("ecs-svc/2", "PRIMARY", NEW, "IN_PROGRESS", 1, 2),
                      deployment("ecs-svc/1", "ACTIVE", OLD, "COMPLETED", 2, 2))
    assert rolling["runningCount"] >= rolling["desiredCount"] and assess(rolling, tracked).state == PENDING
    short = service(deployment("ecs-svc/2", "PRIMARY", NEW, "COMPLETED", 1, 2))
    assert assess(short, tracked).state == PENDING
    done = service(deployment("ecs-svc/2", "PRIMARY", NEW, "COMPLETED", 2, 2))
    assert assess(done, tracked).state == DONE


def test_a_circuit_breaker_rollback_quotes_our_deployments_reason_not_the_rollbacks():
    tracked = Tracked("web", NEW, OLD, {"ecs-svc/1"}, "ecs-svc/2")
    rolled_back = service(
        deployment("ecs-svc/3", "PRIMARY", OLD, "IN_PROGRESS", 1, 2, "ECS deployment ecs-svc/3 in progress."),
        deployment("ecs-svc/2", "ACTIVE", NEW, "FAILED", 0, 2,
                   "ECS deployment circuit breaker: tasks failed to start."), task_definition=OLD)
    result = assess(rolled_back, tracked)
    assert result.state == ROLLED_BACK
    assert result.reason == "ECS deployment circuit breaker: tasks failed to start."
    assert "rolled the deployment back to tindra-qa-web:7" in result.what


def test_failed_without_rollback_and_superseded_are_failures_too():
    tracked = Tracked("web", NEW, OLD, {"ecs-svc/1"}, "ecs-svc/2")
    failed = service(deployment("ecs-svc/2", "PRIMARY", NEW, "FAILED", 0, 2, "tasks failed to start"))
    assert assess(failed, tracked).state == FAILED
    other = "arn:aws:ecs:ap-southeast-5:731902468135:task-definition/tindra-qa-web:9"
    superseded = service(deployment("ecs-svc/4", "PRIMARY", other, "IN_PROGRESS", 0, 2),
                         deployment("ecs-svc/2", "ACTIVE", NEW, "IN_PROGRESS", 1, 2), task_definition=other)
    result = assess(superseded, tracked)
    assert result.state == SUPERSEDED and "tindra-qa-web:9" in result.what


def test_no_rollout_state_is_accepted_only_when_the_list_has_none_at_all():
    tracked = Tracked("web", NEW, OLD, {"ecs-svc/1"}, "ecs-svc/2")
    # Classic Load Balancer services have no rolloutState: done = ours alone, all its tasks running.
    classic = service(deployment("ecs-svc/2", "PRIMARY", NEW, None, 2, 2))
    assert assess(classic, tracked).state == DONE
    draining = service(deployment("ecs-svc/2", "PRIMARY", NEW, None, 2, 2),
                       deployment("ecs-svc/1", "ACTIVE", OLD, None, 1, 2))
    assert assess(draining, tracked).state == PENDING
    mixed = service(deployment("ecs-svc/2", "PRIMARY", NEW, None, 2, 2),
                    deployment("ecs-svc/1", "ACTIVE", OLD, "COMPLETED", 0, 0))
    assert assess(mixed, tracked).state == PENDING


def test_an_emulator_whose_deployments_list_ignores_updateservice_is_followed_on_the_service_document():
    # moto: the answer names our task definition, the deployments list still the old one (ECS never answers so).
    answer = service(deployment("ecs-svc/1", "PRIMARY", OLD, "COMPLETED", 1, 1), running=1, desired=1)
    tracked = tracked_from(answer)
    assert tracked.follows_service_document
    assert assess(answer, tracked).state == DONE
    back = service(deployment("ecs-svc/1", "PRIMARY", OLD, "COMPLETED", 1, 1), task_definition=OLD, running=1,
                   desired=1)
    assert assess(back, tracked).state == ROLLED_BACK


def test_only_ecs_rolling_deployments_can_be_deployed():
    assert undeployable_reason({"deploymentController": {"type": "ECS"}}) is None
    assert undeployable_reason({}) is None  # ECS and ROLLING are the defaults
    assert "CODE_DEPLOY" in undeployable_reason({"deploymentController": {"type": "CODE_DEPLOY"}})
    assert "EXTERNAL" in undeployable_reason({"deploymentController": {"type": "EXTERNAL"}})
    for strategy in ("BLUE_GREEN", "LINEAR", "CANARY"):
        reason = undeployable_reason({"deploymentConfiguration": {"strategy": strategy}})
        assert f"ECS's {strategy} deployment strategy" in reason
    assert undeployable_reason({"deploymentConfiguration": {"strategy": "ROLLING"}}) is None
