"""`ecsenv local start|stop|status`: the embedded AWS emulator of this project."""

from bootstrap.errors import EXIT_OK, EXIT_PENDING


def cmd_local(ctx):
    from bootstrap.local import emulator as local

    if ctx.args.action == "start":
        state, started = local.start(ctx.project_dir, lenient=getattr(ctx.args, "lenient", False))
        verb = "started" if started else "already running"
        print(f"Local AWS emulator {verb} at {state['endpoint']} (pid {state['pid']}, {_flavour(state)}).")
        print("Use it with `ecsenv --local COMMAND`; stop it with `ecsenv local stop`.")
        return EXIT_OK
    if ctx.args.action == "stop":
        state = local.stop(ctx.project_dir)
        print("Local AWS emulator stopped." if state else "No local AWS emulator was running.")
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
