"""`ecsenv deploy`, `rollback` and `promote`: an image commit onto an environment's ECS services (its own region and
account, from ecsenv.yaml); `deploy --force-unlock` removes a dead deploy's lock."""

import sys

from bootstrap.errors import EXIT_OK, OperationFailed, UserError


def _explain_failure(aws, config, environment, plans):
    """Why the tasks of the revisions this deploy registered stopped (stderr: it belongs to the error)."""
    from bootstrap.ecs import diagnosis
    from bootstrap.ecs.outputs import environment_cluster

    for plan in plans:
        if plan.new_arn:
            print(diagnosis.explain_service(aws, environment_cluster(aws, config, environment), plan.service,
                                            plan.new_arn), file=sys.stderr)


def _run_deploy(ctx, sha, kind, services=None, verify=None, rolled_back_from=None, pre_deploy=False, header=None):
    """`header` is printed once the checks have passed, before the first change: a credential or input problem is
    then the only line a failed deploy prints."""
    from concurrent.futures import ThreadPoolExecutor

    from bootstrap.ecs import deploy, predeploy

    environment, config = ctx.args.environment, ctx.config
    aws = ctx.environment_aws(environment)
    announced = []

    def announce():
        if header and not announced:
            announced.append(True)
            print(header, flush=True)

    # Who we are (for the account check, the lock and the history) is asked while the deploy's checks run. The
    # clients of the first round trip are built first (CPU work), so that its requests really go out together.
    for service, region in (("sts", None), ("s3", config.state.region), ("ecs", None)):
        aws.client(service, region)
    identity_pool = ThreadPoolExecutor(max_workers=1)
    identity = identity_pool.submit(aws.identity)
    identity_pool.shutdown(wait=False)

    def progress(update):
        announce()
        for event in update.events:
            print(f"  {update.service}: {event}")
        print(f"  {update.service}: rollout {update.rollout or '-'}, {update.running}/{update.desired} running",
              flush=True)

    planned = []  # the plans, kept to explain a failure (the verify hook sees them before anything is registered)

    def keep_plans(plans):
        planned.extend(plans)
        if verify:
            verify(plans)
        announce()  # every check passed: what follows changes things

    step_hook = None
    if pre_deploy:
        step_hook = predeploy.hook(aws, config, environment, getattr(ctx.args, "pre_deploy", None),
                                   ctx.args.timeout, on_log=lambda line: print(f"    | {line.message}", flush=True),
                                   on_step=lambda line: (announce(), print(f"  {line}", flush=True)))
    try:
        result = deploy.deploy(aws, ctx.state_aws(), config, environment, sha, identity, services=services,
                               timeout=ctx.args.timeout, wait_for_it=not ctx.args.no_wait,
                               on_step=lambda line: (announce(), print(f"  {line}", flush=True)),
                               on_progress=progress, kind=kind, verify=keep_plans, rolled_back_from=rolled_back_from,
                               on_first_write=ctx.start_changes, pre_deploy=step_hook)
    except OperationFailed:
        _explain_failure(aws, config, environment, planned)
        raise
    announce()
    for warning in result.warnings:
        print(f"ecsenv: warning: {warning}", file=sys.stderr)
    names = ", ".join(plan.service for plan in result.services)
    if ctx.args.no_wait:
        print(f"Updated {names} in {environment} to {sha[:12]}; not waiting (see `ecsenv status`).")
    else:
        print(f"{kind.capitalize()} done: {names} in {environment} run {sha[:12]} (rollout COMPLETED).")
    return EXIT_OK


def _commit(ctx, ref):
    """The full commit a --sha/--to names, resolved before anything else happens."""
    from bootstrap.lifecycle import git

    return git.resolve_commit(ctx.project_dir, ref)


def _named(sha, ref):
    return sha[:12] if ref in (sha, None) else f"{sha[:12]} ({ref})"


def cmd_deploy(ctx):
    ctx.environment(ctx.args.environment)
    if ctx.args.force_unlock:
        return _force_unlock(ctx)
    sha = _commit(ctx, ctx.args.sha)
    ctx.environment_aws(ctx.args.environment)  # its region checked before the first line of output
    return _run_deploy(ctx, sha, "deploy", ctx.args.service, pre_deploy=True,
                       header=f"Deploying {_named(sha, ctx.args.sha)} to {ctx.args.environment}...")


def cmd_rollback(ctx):
    from bootstrap.ecs import releases

    environment = ctx.environment(ctx.args.environment)
    to = _commit(ctx, ctx.args.to) if ctx.args.to else None
    sha, current = releases.rollback_target(ctx.state_aws(), ctx.config, environment, to, ctx.args.service)
    if not _confirm_crossing(ctx, sha):
        print("Stopped; nothing was changed.")
        return EXIT_OK
    print(f"Rolling {environment} back to {_named(sha, ctx.args.to)}"
          + (f" (from {current[:12]})" if current and current != sha else "") + "...")
    return _run_deploy(ctx, sha, "rollback", ctx.args.service, rolled_back_from=current if current != sha else None)


def cmd_promote(ctx):
    from bootstrap.ecs import releases

    environment = ctx.environment(ctx.args.environment)
    source = ctx.config.environments[environment].promotes_from
    source_aws = ctx.environment_aws(source) if source else ctx.environment_aws(environment)
    sha, images, source = releases.promotion_images(source_aws, ctx.config, environment)
    print(f"Promoting {sha[:12]} from {source} (healthy) to {environment}...")
    return _run_deploy(ctx, sha, "promote", sorted(images),
                       verify=releases.same_digests_as(ctx.environment_aws(environment), source_aws, images),
                       pre_deploy=True)


def _confirm_crossing(ctx, target):
    """A rollback across releases whose pre-deploy step ran (migrations) goes ahead only with --yes or a "y" typed
    at a terminal: older code meets the schema those steps left."""
    from bootstrap.ecs import predeploy

    crossed = predeploy.crossed(ctx.state_aws(), ctx.config, ctx.args.environment, target)
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


def _force_unlock(ctx):
    from bootstrap.ledger.lock import read_lock, remove_lock

    environment = ctx.args.environment
    aws = ctx.state_aws()
    bucket = ctx.config.state.bucket
    held = read_lock(aws, bucket, environment)
    if held is None:
        print(f"No deploy lock is held for {environment}.")
        return EXIT_OK
    print(f"The deploy lock of {environment} is held by {held.describe()}"
          + (f"; it is stale: {held.stale}." if held.stale else "; its holder may still be running."))
    if not ctx.args.yes:
        if not sys.stdin.isatty():
            raise UserError("removing another deploy's lock needs confirmation: run again with --yes")
        answer = input("Remove it? A deploy still running would then race the next one. [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Left in place.")
            return EXIT_OK
    ctx.start_changes()
    problem = remove_lock(aws, bucket, environment, held.etag)
    if problem:
        raise UserError(f"the lock was not removed: {problem}; run again to see who holds it now")
    print(f"Removed the deploy lock of {environment} (was held by {held.owner}).")
    return EXIT_OK


COMMANDS = {"deploy": cmd_deploy, "rollback": cmd_rollback, "promote": cmd_promote}
