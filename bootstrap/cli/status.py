"""`ecsenv status`: main's HEAD against every environment."""

from bootstrap.errors import EXIT_OK, EXIT_PENDING

RECENT_COMMITS = 10  # how much of the trunk the markdown report's graph shows


def cmd_status(ctx):
    from bootstrap.cli import display, reports, status_reports
    from bootstrap.lifecycle import git, status

    config = ctx.config
    result = status.report(ctx.project_dir, config, ctx.state_aws(), ctx.environment_aws)
    if ctx.args.format == "json":
        print(reports.to_json(status_reports.status_document(result)))
    elif ctx.args.format == "markdown":
        commits = git.recent_commits(ctx.project_dir, result["main"], RECENT_COMMITS) if result["main"] else []
        print(status_reports.status_markdown(result, commits))
    else:
        print(display.format_status(result))
    return EXIT_OK if result["converged"] else EXIT_PENDING


COMMANDS = {"status": cmd_status}
