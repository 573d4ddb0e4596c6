"""`ecsenv run`: a one-off task from a service's task definition, its logs streamed, its exit code returned."""

import signal
import sys

from bootstrap.errors import EXIT_FAILED, EXIT_INTERRUPTED, UserError


def cmd_run(ctx):
    from bootstrap.ecs import diagnosis, run
    from bootstrap.ecs.logs import task_id

    config = ctx.config
    ctx.environment(ctx.args.environment)
    command = list(ctx.args.run_command)
    if not command:
        raise UserError("no command to run: ecsenv run ENV [--service NAME] -- COMMAND...")
    aws = ctx.environment_aws(ctx.args.environment)  # the environment's own region and account
    one_off = run.for_service(aws, config, ctx.args.environment, ctx.args.service, ctx.args.sha)
    ctx.start_changes()
    run.start(aws, one_off, command)
    ident = task_id(one_off.task_arn)
    print(f"Started task {ident} of {one_off.service} ({one_off.definition_arn.rsplit('/', 1)[-1]}) in "
          f"{one_off.cluster}: {' '.join(command)}", flush=True)

    def show(line):
        label = "" if line.container == one_off.container else f"[{line.container}] "
        print(f"{label}{line.message}", flush=True)

    try:
        end = run.wait(aws, one_off, ctx.args.timeout, on_log=show)
    except KeyboardInterrupt:
        _stop_after_interrupt(aws, one_off, run)
        print(f"\necsenv: interrupted: stopped task {ident} (StopTask)", file=sys.stderr)
        return EXIT_INTERRUPTED
    if end.exit_code == 0:
        print(f"Task {ident} exited 0.")
        return 0
    print("\n".join(diagnosis.explain_task(aws, end.task, one_off.definition, log_lines=0)), file=sys.stderr)
    if end.exit_code is None:
        print(f"ecsenv: error: task {ident} never ran: {end.task.get('stoppedReason') or 'no reason given'}",
              file=sys.stderr)
        return EXIT_FAILED
    print(f"ecsenv: task {ident} exited {end.exit_code}", file=sys.stderr)
    return end.exit_code


def _stop_after_interrupt(aws, one_off, run):
    """StopTask, with a second Ctrl-C or SIGTERM held off until it is sent: a task left running would go on alone."""
    held = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        run.stop(aws, one_off, "ecsenv run: interrupted (Ctrl-C or SIGTERM)")
    finally:
        for sig, previous in held.items():
            signal.signal(sig, previous)


COMMANDS = {"run": cmd_run}
