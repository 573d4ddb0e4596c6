"""The pre-deploy step (database migrations and the like): a command run as a one-off task with the NEW image, inside
the deploy lock, before any service is updated. A failure aborts the deploy with nothing changed. The step is
`services.<name>.pre_deploy` in ecsenv.yaml (each service deployed that has one), or `--pre-deploy CMD` for one
deploy. It is recorded in the deploy history, so a rollback that crosses it can say so: migrations are not undone by
going back to older code (the seed's warning: migrations assume time only moves forward)."""

import shlex
from dataclasses import dataclass

from bootstrap.ecs import diagnosis, run
from bootstrap.ecs.logs import task_id
from bootstrap.errors import OperationFailed
from bootstrap.ledger.history import read_history


@dataclass
class Step:
    service: str  # whose new task definition runs it
    command: str  # as written; split like a shell into the container's command words


def steps(config, services, override=None):
    """The pre-deploy steps of a deploy of `services` (names, in deploy order). `override` (--pre-deploy) replaces
    the configured ones and runs once: from the service that has a pre_deploy in ecsenv.yaml, else the first one."""
    configured = [name for name in services if name in config.services and config.services[name].pre_deploy]
    if override:
        return [Step(configured[0] if configured else services[0], override)]
    return [Step(name, config.services[name].pre_deploy) for name in configured]


def hook(aws, config, environment, override=None, timeout=900.0, on_log=None, on_step=None):
    """The `pre_deploy(plans)` hook of bootstrap.ecs.deploy.deploy: runs the steps, each until its task stops; returns
    what ran (for the deploy record) or None; raises OperationFailed, with the task's last log lines, on a failure."""
    from bootstrap.ecs.deploy import environment_services

    def run_steps(plans):
        planned = {plan.service: plan for plan in plans}
        todo = steps(config, list(planned), override)
        if not todo:
            return None
        documents = environment_services(aws, config, environment, sorted({step.service for step in todo}))
        ran = []
        for step in todo:
            one_off = run.from_plan(aws, config, environment, documents[step.service], planned[step.service])
            run.start(aws, one_off, shlex.split(step.command))
            if on_step:
                on_step(f"pre-deploy: `{step.command}` in task {task_id(one_off.task_arn)} of {step.service} "
                        f"({one_off.definition_arn.rsplit('/', 1)[-1]})")
            try:
                end = run.wait(aws, one_off, timeout, on_log)
            except KeyboardInterrupt:
                run.stop(aws, one_off, "ecsenv: the deploy was interrupted")
                if on_step:
                    on_step(f"pre-deploy: interrupted; stopped task {task_id(one_off.task_arn)} (no service was "
                            "updated)")
                raise
            if end.exit_code != 0:
                raise OperationFailed(failure_message(aws, step, one_off, end))
            ran.append({"service": step.service, "command": step.command, "task": one_off.task_arn,
                        "exit_code": end.exit_code})
        return ran

    return run_steps


def failure_message(aws, step, one_off, end):
    ident = task_id(one_off.task_arn)
    what = (f"exited {end.exit_code}" if end.exit_code is not None else
            f"never ran ({end.task.get('stoppedReason') or 'no reason given'})")
    lines = [f"the pre-deploy step of {step.service} (`{step.command}`) {what} in task {ident}: nothing was "
             "deployed, no service was updated"]
    lines += ["  " + line for line in diagnosis.explain_task(aws, end.task, one_off.definition, log_lines=0)]
    if end.last_lines:
        lines.append(f"  its last {len(end.last_lines)} log lines:")
        lines += [f"    {line.message}" for line in end.last_lines]
    else:
        lines.append("  it wrote no log lines")
    return "\n".join(lines)


def crossed(aws, config, environment, target):
    """The deploy attempts (newest last) a rollback to `target` goes back across whose pre-deploy step ran: every
    attempt after the last one of `target` (all of them when `target` was never deployed here). `aws` reaches the
    state bucket."""
    attempts = read_history(aws, config.state.bucket, environment).load_all()
    last_of_target = max((index for index, attempt in enumerate(attempts) if attempt.sha == target), default=-1)
    after = [attempt for attempt in attempts[last_of_target + 1:] if attempt.sha != target]
    return [{"at": attempt.as_dict()["started_at"], "by": attempt.started.get("by", "?"), "sha": attempt.sha,
             "pre_deploy": attempt.pre_deploy} for attempt in after if attempt.pre_deploy]
