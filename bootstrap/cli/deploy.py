"""`ecsenv deploy`, `rollback` and `promote`: an image SHA onto an environment's ECS services."""

from bootstrap.errors import EXIT_OK


def _run_deploy(ctx, config, aws, sha, kind, services=None, verify=None):
    from concurrent.futures import ThreadPoolExecutor

    from bootstrap.ecs import deploy

    # Who we are (for the lock and the history) is asked while the deploy's checks run.
    identity_pool = ThreadPoolExecutor(max_workers=1)
    identity = identity_pool.submit(aws.identity)
    identity_pool.shutdown(wait=False)

    def progress(update):
        for event in update.events:
            print(f"  {update.service}: {event}")
        print(f"  {update.service}: rollout {update.rollout or '-'}, {update.running}/{update.desired} running")

    ctx.start_changes()
    result = deploy.deploy(aws, config, ctx.args.environment, sha, identity, services=services,
                           timeout=ctx.args.timeout, wait_for_it=not ctx.args.no_wait,
                           on_step=lambda line: print(f"  {line}"), on_progress=progress, kind=kind, verify=verify)
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
    return _run_deploy(ctx, config, aws, ctx.args.sha, "deploy", ctx.args.service)


def cmd_rollback(ctx):
    from bootstrap.ecs import releases

    config = ctx.config
    ctx.environment(ctx.args.environment)
    aws = ctx.state_aws()
    sha = releases.rollback_target(aws, config, ctx.args.environment, ctx.args.to)
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
                       verify=releases.same_digests_as(aws, images))


COMMANDS = {"deploy": cmd_deploy, "rollback": cmd_rollback, "promote": cmd_promote}
