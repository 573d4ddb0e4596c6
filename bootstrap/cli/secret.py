"""`ecsenv secret list|set`: the values of the secrets Terraform declares, never through Terraform."""

import sys

from bootstrap.errors import EXIT_OK, EXIT_PENDING


def cmd_secret(ctx):
    from bootstrap.ecs import secrets

    config = ctx.config
    ctx.environment(ctx.args.environment)
    aws = ctx.environment_aws(ctx.args.environment)  # the environment's own region and account
    if ctx.args.secret_command == "list":
        return _secret_list(ctx, config, aws, secrets)
    from bootstrap.ecs.outputs import environment_cluster

    value = secrets.read_value(sys.stdin, sys.stdin.isatty(),
                               name=f"{ctx.args.name} of {config.project} {ctx.args.environment}")
    cluster = environment_cluster(aws, config, ctx.args.environment)
    if ctx.args.redeploy:
        secrets.refuse_unredeployable(aws, config.project, ctx.args.environment, ctx.args.name, cluster)
    ctx.start_changes()
    entry = secrets.set_secret(aws, config.project, ctx.args.environment, ctx.args.name, value)
    del value  # not kept around: nothing below needs it
    print(f"Set {entry.name} of {config.project} {ctx.args.environment} ({entry.secret_id}); new current version"
          + (f" at {entry.last_changed}." if entry.last_changed else "."))
    # one verdict per service using it
    verdicts = secrets.readers_check(aws, config.project, ctx.args.environment, entry, cluster)
    for service, verdict in verdicts:
        print(f"  {service}: execution role may read it: {verdict}")
        if verdict.startswith("denied"):
            print(f"ecsenv: warning: {service} cannot read {entry.name}; its tasks will fail to start",
                  file=sys.stderr)
    using = [service for service, _ in verdicts]
    if not using:
        print(f"No ECS service of {ctx.args.environment} uses it yet.")
    elif ctx.args.redeploy:
        print(f"Redeploying {', '.join(using)} (new tasks read the new value)...")
        secrets.redeploy(aws, config.project, ctx.args.environment, using, cluster)
        print(f"Redeployed {len(using)} service{'s' if len(using) != 1 else ''}.")
    else:
        print(f"Running tasks keep the old value until they restart: run again with --redeploy, or redeploy "
              f"{', '.join(using)}.")
    return EXIT_OK


def _secret_list(ctx, config, aws, secrets):
    from bootstrap.cli import display, reports

    declared = secrets.list_secrets(aws, config.project, ctx.args.environment)
    if ctx.args.format == "json":
        print(reports.to_json(reports.secrets_document(config.project, ctx.args.environment, declared)))
    elif ctx.args.format == "markdown":
        print(reports.secrets_markdown(config.project, ctx.args.environment, declared))
    elif not declared:
        print(f"No secrets are declared for {config.project} {ctx.args.environment} (add them to secret_names in "
              f"environments/{ctx.args.environment} and apply).")
    else:
        print(display.format_table(reports.secret_rows(declared),
                                   [("name", "NAME"), ("value", "VALUE"), ("changed", "LAST CHANGED")]))
    return EXIT_PENDING if any(not entry.has_value for entry in declared) else EXIT_OK


COMMANDS = {"secret": cmd_secret}
