"""`ecsenv local start|stop|status`: the embedded AWS emulator of this project."""

import os

from bootstrap.errors import EXIT_OK, EXIT_PENDING

EMPTY = ("It keeps everything in memory and starts empty: run `ecsenv --local init` to create the state backend "
         "again, then apply what you need.")


def cmd_local(ctx):
    from bootstrap.local import emulator as local
    from bootstrap.project import layout

    if ctx.args.action == "start":
        state, started = local.start(ctx.project_dir, lenient=getattr(ctx.args, "lenient", False))
        verb = "started" if started else "already running"
        print(f"Local AWS emulator {verb} at {state['endpoint']} (pid {state['pid']}, {_flavour(state)}).")
        if started and os.path.exists(layout.config_path(ctx.project_dir)):
            print(EMPTY)  # an ecsenv.yaml: this project ran init before, against an emulator that is gone now
        print("Use it with `ecsenv --local COMMAND`; stop it with `ecsenv local stop`.")
        return EXIT_OK
    if ctx.args.action == "stop":
        state, stale = local.stop(ctx.project_dir)
        if stale is not None:
            print(f"The record named pid {stale}, which is not this project's emulator: not signalled; record "
                  "removed.")
        if state:
            print("Local AWS emulator stopped; what it held is gone (the next `ecsenv local start` starts empty).")
        else:
            print("No local AWS emulator was running.")
        return EXIT_OK
    state = local.status(ctx.project_dir)
    if state:
        print(f"Local AWS emulator running at {state['endpoint']} (pid {state['pid']}, {_flavour(state)}).")
        return EXIT_OK
    print("No local AWS emulator is running (start it with `ecsenv local start`).")
    return EXIT_PENDING


def _flavour(state):
    if state.get("strict", False):
        return "strict: answers as AWS documents where moto is lenient; `--lenient` for plain moto"
    return "lenient: plain moto"


COMMANDS = {"local": cmd_local}
