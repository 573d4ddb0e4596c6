"""Commands on the project's files: `render`, `env add|list|policy`, `check`."""

import os
import sys

from bootstrap.errors import EXIT_OK, EXIT_PENDING


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
    return {"add": cmd_env_add, "list": cmd_env_list, "policy": cmd_env_policy}[ctx.args.env_command](ctx)


def cmd_env_add(ctx):
    import dataclasses

    from bootstrap.cli import display
    from bootstrap.project import environments, render
    from bootstrap.project.config import save_config

    config, config_path = ctx.config, ctx.config_path
    environments.check_new_environment(config, ctx.project_dir, ctx.args.name, ctx.args.source, ctx.args.promotes_from)
    env = environments.new_environment(config, ctx.args.region, ctx.args.account, ctx.args.promotes_from)
    source = ctx.args.source or environments.default_source(config, ctx.project_dir, ctx.args.promotes_from)
    scaffold, copied_from = environments.scaffold(config, ctx.project_dir, ctx.args.name, env, source)
    updated = dataclasses.replace(config, environments={**config.environments, ctx.args.name: env})
    files = [render.plan_file(path, text) for path, text in scaffold.items()]
    files += render.plan_generated_files(updated, ctx.project_dir)
    written = render.write_planned(files, force=False)  # conflicts are refused before anything is written
    save_config(updated, config_path)
    print(display.format_files(written))
    origin = f"a copy of environments/{copied_from}" if copied_from else "the starter template"
    print(f"Added environment {ctx.args.name!r} to {os.path.normpath(config_path)} ({origin}).")
    print(f"Next: review the lines marked `ecsenv: review` in environments/{ctx.args.name}/, then plan it with "
          f"`terraform -chdir=environments/{ctx.args.name} init -backend-config=backend.s3.tfbackend`.")
    return EXIT_OK


def cmd_env_list(ctx):
    import json

    from bootstrap.cli import display
    from bootstrap.project import environments

    config = ctx.config
    rows = environments.listing(config)
    print(json.dumps(rows, indent=2) if ctx.args.json else display.format_table(
        rows, [("name", "ENVIRONMENT"), ("region", "REGION"), ("account_id", "ACCOUNT"),
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
    from bootstrap.project.config import CONFIG_FILE, load_config

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
