"""`ecsenv status`: main's HEAD against every environment."""

from bootstrap.errors import EXIT_OK, EXIT_PENDING


def cmd_status(ctx):
    import json

    from bootstrap.cli import display
    from bootstrap.lifecycle import status

    config = ctx.config
    result = status.report(ctx.project_dir, config, ctx.state_aws(), ctx.environment_aws)
    print(json.dumps(status.as_json(result), indent=2) if ctx.args.json else display.format_status(result))
    return EXIT_OK if result["converged"] else EXIT_PENDING


COMMANDS = {"status": cmd_status}
