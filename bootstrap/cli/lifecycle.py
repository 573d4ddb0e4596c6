"""`ecsenv plan`, `apply`, `drift` and `tf`: terraform with SHA discipline (and, for `tf`, with ecsenv's wiring)."""

import sys

from bootstrap.cli.context import echo_to
from bootstrap.errors import EXIT_FAILED, EXIT_OK, EXIT_PENDING, EcsenvError, UserError


def _terraform(ctx, color=None):
    terraform = ctx.terraform(color=color)
    terraform.lock_timeout = getattr(ctx.args, "lock_timeout", None) or terraform.lock_timeout
    return terraform


def cmd_plan(ctx):
    from bootstrap.cli import display, plan_reports, reports
    from bootstrap.lifecycle import plans as lifecycle

    config = ctx.config
    form = ctx.args.format
    if _all_environments(ctx):
        results = lifecycle.plan_all(ctx.project_dir, config, _terraform(ctx, color=False), workers=_workers(ctx),
                                     reinit=ctx.args.reinit,
                                     progress=lambda name, result: print(display.plan_progress(name, result),
                                                                         file=sys.stderr, flush=True))
        rows = [display.plan_row(name, result) for name, result in results.items()]
        if form == "json":
            print(reports.to_json(plan_reports.plan_all_document(rows)))
        elif form == "markdown":
            print(plan_reports.plan_all_markdown(results))
        else:
            print(display.format_table(rows, [("environment", "ENVIRONMENT"), ("sha", "COMMIT"), ("add", "ADD"),
                                              ("change", "CHANGE"), ("destroy", "DESTROY"), ("result", "RESULT")]))
        if any(row["result"].startswith("failed") for row in rows):
            return EXIT_FAILED
        return EXIT_PENDING if any(row["result"] == "changes" for row in rows) else EXIT_OK
    environment = ctx.args.environment
    report = form != "text"  # stdout is the report; terraform's output goes to stderr
    result = lifecycle.plan(ctx.project_dir, config, environment, _terraform(ctx, color=False if report else None),
                            echo=echo_to(sys.stderr if report else sys.stdout), reinit=ctx.args.reinit)
    if form == "json":
        print(reports.to_json(plan_reports.plan_document(result)))
    elif form == "markdown":
        print(plan_reports.plan_markdown(result))
    else:
        print(f"\n{environment} at {result.sha[:12]}{' (dirty work tree)' if result.dirty else ''}: "
              f"{display.plan_summary(result)}.")
        for line in _next_steps(ctx, result):
            print(line)
    return EXIT_PENDING if result.changes else EXIT_OK


def _next_steps(ctx, result):
    """What to run next, only naming commands that will work (FIELD-REPORT 2.16)."""
    environment = result.environment
    if not result.changes:
        yield "No changes: the environment matches this commit."
        return
    plan, apply = ctx.command(f"plan {environment}"), ctx.command(f"apply {environment}")  # with --local, -C DIR
    if result.lock_files_written:
        yield (f"Saved the plan, but terraform init wrote {', '.join(result.lock_files_written)} (the provider "
               f"versions it chose), which is not committed: commit it, then run `{plan}` again and `{apply}`.")
    elif result.dirty:
        yield ("Saved the plan, made from a work tree with uncommitted changes: commit them and run "
               f"`{plan}` again, then `{apply}` (or apply this plan with `{apply} --allow-dirty`).")
    else:
        yield f"Saved the plan: apply it with `{apply}`."
    waiting = _promotion_wait(ctx, environment, result.sha)
    if waiting:
        yield waiting


def _promotion_wait(ctx, environment, sha):
    """A note when apply will be refused until the source environment has applied this commit (None if not, or
    when the record cannot be read: the plan itself stands)."""
    from bootstrap.ledger.records import was_applied
    from bootstrap.lifecycle import plans as lifecycle

    source = lifecycle.promotion_source(ctx.config, environment)
    if not source:
        return None
    try:
        if was_applied(ctx.state_aws(), ctx.config.state.bucket, source, sha):
            return None
    except EcsenvError:
        return None
    return (f"Note: {environment} promotes from {source}, which has not applied {sha[:12]} yet: "
            f"`{ctx.command(f'apply {environment}')}` is refused until `{ctx.command(f'apply {source}')}` has run at "
            "this commit.")


def cmd_apply(ctx):
    from bootstrap.ledger.keys import APPLIED_PREFIX
    from bootstrap.lifecycle import plans as lifecycle

    config = ctx.config
    aws = ctx.state_aws()
    checked = lifecycle.check_apply(ctx.project_dir, config, ctx.args.environment, aws, ctx.args.allow_dirty,
                                    ctx.args.emergency)  # every refusal before anything runs
    identity = aws.identity()
    ctx.start_changes()
    record = lifecycle.apply(ctx.project_dir, config, ctx.args.environment, aws, _terraform(ctx), identity,
                             checked, ctx.args.emergency, echo=echo_to(sys.stdout))
    print(f"\nApplied {record.sha[:12]} to {record.environment}; recorded in s3://{config.state.bucket}/"
          f"{APPLIED_PREFIX}/{record.environment}/ (by {record.by}).")
    if record.emergency:
        print(f"Emergency apply: {record.emergency!r}. `ecsenv status` shows it until {record.environment} is "
              "converged with main again.")
    return EXIT_OK


def _all_environments(ctx):
    """True for --all; refuses a command line that names neither one environment nor --all, or both."""
    if ctx.args.all == bool(ctx.args.environment):
        raise UserError("name one environment, or pass --all")
    if ctx.args.parallel and not ctx.args.all:
        raise UserError(f"--parallel goes with --all (one environment is one {ctx.args.command})")
    return ctx.args.all


def _workers(ctx):
    import os

    return ctx.args.parallel or os.cpu_count() or 1


def cmd_drift(ctx):
    from bootstrap.cli import reports
    from bootstrap.lifecycle import plans as lifecycle

    form = ctx.args.format
    if _all_environments(ctx):
        return _drift_all(ctx, form)
    environment = ctx.args.environment
    real, deploys = lifecycle.drift(ctx.project_dir, ctx.config, environment,
                                    _terraform(ctx, color=False if form != "text" else None), echo=echo_to(sys.stderr))
    if form == "json":
        print(reports.to_json(reports.drift_document(environment, real, deploys)))
    elif form == "markdown":
        print(reports.drift_markdown(environment, real, deploys))
    else:
        print(reports.drift_text(environment, real, deploys))
    return EXIT_PENDING if real else EXIT_OK


def _drift_all(ctx, form):
    from bootstrap.cli import display, reports
    from bootstrap.lifecycle import plans as lifecycle

    results = lifecycle.drift_all(ctx.project_dir, ctx.config, _terraform(ctx, color=False), workers=_workers(ctx),
                                  progress=lambda name, result: print(display.drift_progress(name, result),
                                                                      file=sys.stderr, flush=True))
    if form == "json":
        print(reports.to_json(reports.drift_all_document(results)))
    elif form == "markdown":
        print(reports.drift_all_markdown(results))
    else:
        print(display.format_table([display.drift_row(name, result) for name, result in results.items()],
                                   [("environment", "ENVIRONMENT"), ("drift", "DRIFT"), ("deploys", "BY DEPLOYS"),
                                    ("result", "RESULT")]))
    outcomes = list(results.values())
    if any(isinstance(outcome, Exception) for outcome in outcomes):
        return EXIT_FAILED
    return EXIT_PENDING if any(outcome[0] for outcome in outcomes) else EXIT_OK


def cmd_tf(ctx):
    from bootstrap.lifecycle import plans as lifecycle

    args = terraform_args(ctx)
    environment = ctx.args.environment
    if not args:
        raise UserError(f"name the terraform command after --, e.g. `ecsenv tf {environment} -- state list`")
    terraform = _terraform(ctx)
    if args[0] == "init":  # ecsenv's backend wiring, plus whatever was asked (-upgrade, ...)
        root = lifecycle.environment_root(ctx.project_dir, ctx.config, environment)
        lifecycle.check_backend(ctx.project_dir, ctx.config, environment)
        ctx.start_changes()
        terraform.init(root, echo=echo_to(sys.stdout), extra=args[1:])
        return EXIT_OK
    root = lifecycle.prepare(ctx.project_dir, ctx.config, environment, terraform, echo=echo_to(sys.stderr))
    ctx.start_changes()
    return terraform.passthrough(root, args)


def terraform_args(ctx):
    """What `ecsenv tf` passes to terraform. argparse leaves everything after ENV to terraform (and drops a `--`
    right after it); ecsenv's own options between ENV and `--` (`ecsenv tf qa --local -- ...`) are taken back."""
    args = list(ctx.args.terraform_args)
    if "--" in args:
        cut = args.index("--")
        _own_options(ctx, args[:cut])
        args = args[cut + 1:]
    return args


def _own_options(ctx, options):
    if not options:
        return
    from bootstrap.cli.parser import build_parser

    parsed = build_parser().parse_args([*options, "tf", ctx.args.environment])
    for name in ("local", "profile", "region", "project_dir"):
        value = getattr(parsed, name)
        if value not in (None, False, "."):
            setattr(ctx.args, name, value)
    ctx.project_dir = ctx.args.project_dir


COMMANDS = {"plan": cmd_plan, "apply": cmd_apply, "drift": cmd_drift, "tf": cmd_tf}
