"""`ecsenv backend migrate-locking`: DynamoDB locking to the S3 lockfile, in two safe steps."""

import os

from bootstrap.errors import EXIT_OK


def cmd_backend(ctx):
    import dataclasses

    from bootstrap.cli import display
    from bootstrap.project import render
    from bootstrap.project.config import save_config
    from bootstrap.state_backend import lock_migration

    config, config_path = ctx.config, ctx.config_path
    if config.state.locking == "lockfile":
        print("Locking is already the S3 lockfile only: nothing to do.")
        return EXIT_OK
    from bootstrap.project import files as project_files

    aws = ctx.state_aws()
    project_files.check_writable(ctx.project_dir, [config_path])
    step = lock_migration.next_step(aws, config)
    state = dataclasses.replace(config.state, locking=step,
                                lock_table=config.state.lock_table if step == "both" else None)
    updated = dataclasses.replace(config, state=state)
    written = render.write_planned(render.plan_generated_files(updated, ctx.project_dir), ctx.args.force)
    save_config(updated, config_path)
    print(f"Locking: {config.state.locking} -> {step} in {os.path.normpath(config_path)}.")
    print(display.format_files(written))
    if step == "both":
        print("Step 1 of 2 done: every run now takes both locks. Commit the backend files; in each environment run "
              "`ecsenv plan ENV` (it initialises again with the new backend config), then run "
              "`ecsenv backend migrate-locking --to lockfile` again.")
    else:
        print("Step 2 of 2 done: Terraform now locks with the S3 lockfile only. Commit the backend files; the next "
              "`ecsenv plan ENV` initialises each environment again with them.")
        print(lock_migration.keeping_the_table(config.state))
    return EXIT_OK


COMMANDS = {"backend": cmd_backend}
