"""`ecsenv plan`, `apply` and `drift`: terraform with SHA discipline."""

import sys

from bootstrap.cli.context import echo_to
from bootstrap.errors import EXIT_FAILED, EXIT_OK, EXIT_PENDING, UserError


def cmd_plan(ctx):
    import dataclasses
    import json

    from bootstrap.cli import display
    from bootstrap.lifecycle import plans as lifecycle

    config = ctx.config
    if ctx.args.all == bool(ctx.args.environment):
        raise UserError("name one environment, or pass --all")
    if ctx.args.all:
        results = lifecycle.plan_all(ctx.project_dir, config, ctx.terraform(color=False))
        rows = [display.plan_row(name, result) for name, result in results.items()]
        if ctx.args.json:
            print(json.dumps(rows, indent=2))
        else:
            print(display.format_table(rows, [("environment", "ENVIRONMENT"), ("sha", "COMMIT"), ("add", "ADD"),
                                              ("change", "CHANGE"), ("destroy", "DESTROY"), ("result", "RESULT")]))
        if any(row["result"].startswith("failed") for row in rows):
            return EXIT_FAILED
        return EXIT_PENDING if any(row["result"] == "changes" for row in rows) else EXIT_OK
    result = lifecycle.plan(ctx.project_dir, config, ctx.args.environment, ctx.terraform(),
                            echo=echo_to(sys.stderr if ctx.args.json else sys.stdout))
    if ctx.args.json:
        print(json.dumps({"environment": result.environment, "sha": result.sha, "dirty": result.dirty,
                          **dataclasses.asdict(result.summary)}, indent=2))
    else:
        print(f"\n{result.environment} at {result.sha[:12]}{' (dirty work tree)' if result.dirty else ''}: "
              f"{result.summary}.")
        print(f"Saved the plan: apply it with `ecsenv apply {result.environment}`." if result.summary.has_changes
              else "No changes: the environment matches this commit.")
    return EXIT_PENDING if result.summary.has_changes else EXIT_OK


def cmd_apply(ctx):
    from bootstrap import ledger
    from bootstrap.lifecycle import plans as lifecycle

    config = ctx.config
    aws = ctx.state_aws()
    checked = lifecycle.check_apply(ctx.project_dir, config, ctx.args.environment, aws, ctx.args.allow_dirty,
                                    ctx.args.emergency)  # every refusal before anything runs
    identity = aws.identity()
    ctx.start_changes()
    record = lifecycle.apply(ctx.project_dir, config, ctx.args.environment, aws, ctx.terraform(), identity,
                             checked, ctx.args.emergency, echo=echo_to(sys.stdout))
    print(f"\nApplied {record.sha[:12]} to {record.environment}; recorded in s3://{config.state.bucket}/"
          f"{ledger.APPLIED_PREFIX}/{record.environment}/ (by {record.by}).")
    if record.emergency:
        print(f"Emergency apply: {record.emergency!r}. `ecsenv status` shows it until {record.environment} is "
              "converged with main again.")
    return EXIT_OK


def cmd_drift(ctx):
    from bootstrap.lifecycle import plans as lifecycle

    config = ctx.config
    real, deploys = lifecycle.drift(ctx.project_dir, config, ctx.args.environment, ctx.terraform(),
                                    echo=echo_to(sys.stderr))
    for address, changed in deploys:
        print(f"expected (made by a deploy): {address}: {', '.join(changed)}")
    for address, changed in real:
        print(f"drift: {address}: {', '.join(changed)}")
    if real:
        print(f"{len(real)} resource{'s' if len(real) != 1 else ''} changed outside Terraform in "
              f"{ctx.args.environment}: `ecsenv plan {ctx.args.environment}` shows how Terraform would put "
              "them back; or adopt the change in code.")
        return EXIT_PENDING
    print(f"No drift in {ctx.args.environment}" + (" beyond what deploys changed." if deploys else "."))
    return EXIT_OK


COMMANDS = {"plan": cmd_plan, "apply": cmd_apply, "drift": cmd_drift}
