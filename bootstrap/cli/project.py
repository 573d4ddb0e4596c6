"""Commands on the project's files: `render`, `env add|remove|list|policy`, `check`."""

import os
import sys

from bootstrap.cli.context import echo_to
from bootstrap.errors import EXIT_OK, EXIT_PENDING, UserError


def cmd_render(ctx):
    from bootstrap.cli import display
    from bootstrap.project import render

    config = ctx.config
    files = render.plan_generated_files(config, ctx.project_dir)
    if ctx.args.check:
        print(display.format_files(files, planned=True))
        changed = [planned for planned in files if planned.status != render.UNCHANGED]
        return EXIT_PENDING if changed else EXIT_OK
    print(display.format_files(render.write_planned(files, ctx.args.force) or files))
    return EXIT_OK


def cmd_env(ctx):
    return {"add": cmd_env_add, "remove": cmd_env_remove, "list": cmd_env_list,
            "policy": cmd_env_policy}[ctx.args.env_command](ctx)


def cmd_env_add(ctx):
    import dataclasses

    from bootstrap.cli import display
    from bootstrap.project import environments, render
    from bootstrap.project import files as project_files
    from bootstrap.project.config_edits import add_environment

    config, args = ctx.config, ctx.args
    environments.check_new_environment(config, ctx.project_dir, args.name, args.source, args.promotes_from)
    env = environments.new_environment(config, args.region, args.account, args.promotes_from)
    source = args.source or environments.default_source(config, ctx.project_dir, args.promotes_from)
    scaffold = environments.scaffold(config, ctx.project_dir, args.name, env, source, formatter=_formatter(ctx))
    env = dataclasses.replace(env, state_key=scaffold.state_key)
    updated, config_text = add_environment(ctx.config_path, config, args.name, env)  # checked, not yet written
    files = [render.plan_file(path, text, ctx.project_dir) for path, text in scaffold.files.items()]
    files += render.plan_generated_files(updated, ctx.project_dir)
    project_files.check_writable(ctx.project_dir, [ctx.config_path, *(planned.path for planned in files)])
    written = render.write_planned(files, force=False)  # conflicts are refused before anything is written
    project_files.write_text(ctx.config_path, config_text, ctx.project_dir)
    print(display.format_files(written))
    config_name = os.path.normpath(ctx.config_path)
    if scaffold.source is None:
        print(f"Added environment {args.name!r} to {config_name} (the starter template: add its module calls).")
    else:
        network = (f"; its VPC network is {scaffold.network[1]} ({scaffold.source}'s is {scaffold.network[0]})"
                   if scaffold.network else "")
        print(f"Added environment {args.name!r} to {config_name}: a copy of environments/{scaffold.source}"
              f"{network}.")
        if scaffold.reviewed:
            print(f"{scaffold.reviewed} place{'s are' if scaffold.reviewed != 1 else ' is'} marked "
                  f"`ecsenv: review` in environments/{args.name}/, each saying what it was for {scaffold.source}. "
                  f"Everything else is {scaffold.source}'s value: check sizes, counts and domains.")
        if scaffold.unmarked:
            print(f"Also rewritten, with no room for a marker: {', '.join(scaffold.unmarked)}: review them too.")
        if scaffold.skipped:
            print(f"Not copied (not text): {', '.join(scaffold.skipped)}: copy them from environments/"
                  f"{scaffold.source}/ if {args.name} needs them.")
    print(f"Next: `{ctx.command(f'plan {args.name}')}`.")
    return EXIT_OK


def _formatter(ctx):
    """`terraform fmt` for the files `env add` writes, when terraform is installed (it is not needed to add one)."""
    try:
        return ctx.terraform(color=False).format_text
    except UserError:
        return None


def cmd_env_remove(ctx):
    from bootstrap.ledger.inventory import environment_records
    from bootstrap.lifecycle import removal
    from bootstrap.project import render
    from bootstrap.project.config_edits import remove_environment
    from bootstrap.project.layout import GLOBAL_ENVIRONMENT

    config, args, name = ctx.config, ctx.args, ctx.args.name
    removal.check_removable(config, name)
    updated, config_text = remove_environment(ctx.config_path, config, name)  # checked now, written at the end
    interactive = sys.stdin.isatty() and not args.yes
    if args.confirm is not None and args.confirm != name:
        raise UserError(f"--confirm {args.confirm!r} does not match the environment {name!r}; nothing was changed")
    if not interactive and args.confirm is None:
        raise UserError(f"removing {name} destroys its resources: confirm with `--yes --confirm {name}` (no terminal "
                        "to ask on); nothing was changed")
    aws = ctx.state_aws()
    plan = removal.plan_destroy(ctx.project_dir, config, name, aws, ctx.terraform(), echo=echo_to(sys.stdout))
    if plan.plan_file is None:
        print(f"\n{name} has no Terraform root and no resources in its state: nothing to destroy.")
    else:
        print(f"\nDestroying {name} would remove {plan.summary.destroy} resource"
              f"{'s' if plan.summary.destroy != 1 else ''}" + (":" if plan.summary.resources else "."))
        for address, _action in plan.summary.resources:
            print(f"  - {address}")
    if interactive and args.confirm is None:
        from bootstrap.cli import wizard

        typed = wizard.ask_typed(f"Type {name} to destroy it and remove it from the project:")
        if typed != name:
            removal.discard(plan)
            raise UserError(f"not confirmed ({typed!r} is not {name!r}); nothing was changed")
    before = removal.current_state_version(aws, config, name)
    ctx.start_changes()
    removal.destroy(ctx.terraform(), plan, echo=echo_to(sys.stdout))
    versions = removal.state_versions(aws, config, name)
    records = environment_records(aws, config.state.bucket, name)
    removed = removal.forget(ctx.project_dir, ctx.config_path, config_text, name)
    generated = render.plan_generated_files(updated, ctx.project_dir)
    conflicts = [planned for planned in generated if planned.status in (render.EDITED, render.FOREIGN)]
    rendered = render.write_planned([planned for planned in generated if planned not in conflicts])

    bucket = config.state.bucket
    print(f"\nRemoved {name}: {'destroyed its resources, ' if plan.plan_file else ''}took it out of "
          f"{os.path.normpath(ctx.config_path)}" + "".join(f", deleted {os.path.relpath(path, ctx.project_dir)}/"
                                                         for path in removed) + ".")
    if versions:
        print(f"Kept s3://{bucket}/{config.state_key(name)}: {len(versions)} version{'s' if len(versions) != 1 else ''}"
              + (f"; the state as it was before the destroy is version {before}." if before else "."))
    for prefix, count in records.items():
        print(f"Kept s3://{bucket}/{prefix}: {count} record{'s' if count != 1 else ''}.")
    if config.state.uses_table:
        print(f"The state bucket {bucket} and the lock table {config.state.lock_table} are unchanged: nothing in "
              "them was deleted.")
    else:
        print(f"The state bucket {bucket} is unchanged: nothing in it was deleted.")
    for planned in rendered:
        print(f"Updated {os.path.relpath(planned.path, ctx.project_dir)} (rendered from ecsenv.yaml).")
    if conflicts:
        print(f"Not updated (changed by hand): {', '.join(planned.path for planned in conflicts)}: "
              f"`{ctx.command('render --force')}` replaces them.")
    mentions = removal.mentions(ctx.project_dir, GLOBAL_ENVIRONMENT, name)
    if mentions:
        print(f"environments/{GLOBAL_ENVIRONMENT} still names {name} ({', '.join(mentions)}): take it out there, "
              f"then `{ctx.command(f'plan {GLOBAL_ENVIRONMENT}')}`.")
    print("Next: commit the removal (ecsenv.yaml and the deleted directory).")
    return EXIT_OK


def cmd_env_list(ctx):
    from bootstrap.cli import display, reports
    from bootstrap.project import environments

    config = ctx.config
    rows = environments.listing(config)
    if ctx.args.format == "json":
        print(reports.to_json({"environments": rows}))
    elif ctx.args.format == "markdown":
        print(reports.environments_markdown(rows))
    else:
        print(display.format_table(rows, [("name", "ENVIRONMENT"), ("region", "REGION"), ("account_id", "ACCOUNT"),
                                          ("promotes_from", "PROMOTES FROM"), ("state", "STATE")]))
    return EXIT_OK


def cmd_env_policy(ctx):
    import json

    from bootstrap.state_backend.policy import state_access_policy

    config = ctx.config
    ctx.environment(ctx.args.name, include_global=True)
    print(json.dumps(state_access_policy(config, ctx.args.name), indent=2))
    return EXIT_OK


def cmd_check(ctx):
    import dataclasses
    import json

    from bootstrap.project import checks
    from bootstrap.project.config_reader import load_config
    from bootstrap.project.layout import CONFIG_FILE

    config_path = os.path.join(ctx.project_dir, CONFIG_FILE)
    config = load_config(config_path) if os.path.exists(config_path) else None
    findings = checks.run_checks(ctx.project_dir, config)
    if ctx.args.json:
        print(json.dumps([dataclasses.asdict(finding) for finding in findings], indent=2))
    else:
        for finding in findings:
            print(finding)
        if config is None:
            print(f"note: no {CONFIG_FILE}, so backend configs were not compared with it", file=sys.stderr)
        print(f"{len(findings)} finding{'s' if len(findings) != 1 else ''}." if findings else "Clean: no findings.")
    return EXIT_PENDING if findings else EXIT_OK


COMMANDS = {"render": cmd_render, "env": cmd_env, "check": cmd_check}
