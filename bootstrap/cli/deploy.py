"""`ecsenv deploy`, `rollback` and `promote`: an image SHA onto an environment's ECS services."""

import sys

from bootstrap.errors import EXIT_OK, OperationFailed, UserError


def _explain_failure(aws, config, environment, plans):
    """Why the tasks of the revisions this deploy registered stopped (stderr: it belongs to the error)."""
    from bootstrap.ecs import diagnosis
    from bootstrap.ecs.services import cluster_name

    for plan in plans:
        if plan.new_arn:
            print(diagnosis.explain_service(aws, cluster_name(config.project, environment), plan.service,
                                            plan.new_arn), file=sys.stderr)


def _run_deploy(ctx, config, aws, sha, kind, services=None, verify=None, pre_deploy=False):
    from concurrent.futures import ThreadPoolExecutor

    from bootstrap.ecs import deploy, predeploy

    # Who we are (for the lock and the history) is asked while the deploy's checks run.
    identity_pool = ThreadPoolExecutor(max_workers=1)
    identity = identity_pool.submit(aws.identity)
    identity_pool.shutdown(wait=False)

    def progress(update):
        for event in update.events:
            print(f"  {update.service}: {event}")
        print(f"  {update.service}: rollout {update.rollout or '-'}, {update.running}/{update.desired} running")

    planned = []  # the plans, kept to explain a failure (the verify hook sees them before anything is registered)

    def keep_plans(plans):
        planned.extend(plans)
        if verify:
            verify(plans)

    step_hook = None
    if pre_deploy:
        step_hook = predeploy.hook(aws, config, ctx.args.environment, getattr(ctx.args, "pre_deploy", None),
                                   ctx.args.timeout, on_log=lambda line: print(f"    | {line.message}", flush=True),
                                   on_step=lambda line: print(f"  {line}", flush=True))
    ctx.start_changes()
    try:
        result = deploy.deploy(aws, config, ctx.args.environment, sha, identity, services=services,
                               timeout=ctx.args.timeout, wait_for_it=not ctx.args.no_wait,
                               on_step=lambda line: print(f"  {line}"), on_progress=progress, kind=kind,
                               verify=keep_plans, pre_deploy=step_hook)
    except OperationFailed:
        _explain_failure(aws, config, ctx.args.environment, planned)
        raise
    names = ", ".join(plan.service for plan in result.services)
    if ctx.args.no_wait:
        print(f"Updated {names} in {ctx.args.environment} to {sha[:12]}; not waiting (see `ecsenv status`).")
    else:
        print(f"{kind.capitalize()} done: {names} in {ctx.args.environment} run {sha[:12]} (rollout COMPLETED).")
    return EXIT_OK


def cmd_deploy(ctx):
    config = ctx.config
    ctx.environment(ctx.args.environment)
    aws = ctx.state_aws()
    print(f"Deploying {ctx.args.sha[:12]} to {ctx.args.environment}...")
    return _run_deploy(ctx, config, aws, ctx.args.sha, "deploy", ctx.args.service, pre_deploy=True)


def cmd_rollback(ctx):
    from bootstrap.ecs import releases

    config = ctx.config
    ctx.environment(ctx.args.environment)
    aws = ctx.state_aws()
    sha = releases.rollback_target(aws, config, ctx.args.environment, ctx.args.to)
    if not _confirm_crossing(ctx, aws, config, sha):
        print("Stopped; nothing was changed.")
        return EXIT_OK
    print(f"Rolling {ctx.args.environment} back to {sha[:12]}...")
    return _run_deploy(ctx, config, aws, sha, "rollback", ctx.args.service)


def cmd_promote(ctx):
    from bootstrap.ecs import releases

    config = ctx.config
    ctx.environment(ctx.args.environment)
    aws = ctx.state_aws()
    sha, images, source = releases.promotion_images(aws, config, ctx.args.environment)
    print(f"Promoting {sha[:12]} from {source} (healthy) to {ctx.args.environment}...")
    return _run_deploy(ctx, config, aws, sha, "promote", sorted(images),
                       verify=releases.same_digests_as(aws, images), pre_deploy=True)


def _confirm_crossing(ctx, aws, config, target):
    """A rollback across releases whose pre-deploy step ran (migrations) goes ahead only with --yes or a "y" typed
    at a terminal: older code meets the schema those steps left."""
    from bootstrap.ecs import predeploy

    crossed = predeploy.crossed(aws, config, ctx.args.environment, target)
    if not crossed:
        return True
    print(f"ecsenv: warning: rolling {ctx.args.environment} back to {target[:12]} goes back across "
          f"{len(crossed)} release{'s' if len(crossed) != 1 else ''} whose pre-deploy step ran; a rollback does not "
          "undo them, so the older code will meet what they changed:", file=sys.stderr)
    for entry in crossed:
        ran = "; ".join(f"{step.get('service')}: `{step.get('command')}`" for step in entry["pre_deploy"])
        print(f"  {entry['sha'][:12]} (deployed {entry.get('at')} by {entry.get('by', '?')}): {ran}", file=sys.stderr)
    if ctx.args.yes:
        return True
    if not sys.stdin.isatty():
        raise UserError("not rolling back across pre-deploy steps without confirmation: pass --yes if the older code "
                        "works with them")
    return input("Roll back anyway? [y/N] ").strip().lower() in ("y", "yes")


COMMANDS = {"deploy": cmd_deploy, "rollback": cmd_rollback, "promote": cmd_promote}
