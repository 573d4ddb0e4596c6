"""The `ecsenv` command line: parse arguments, dispatch, print results.

This is the one place that turns errors into messages and exit codes (DESIGN.md):
0 done / converged, 1 an operation failed, 2 bad usage or input, 3 changes pending, 130 interrupted.
Heavy libraries (botocore, questionary, jinja2) are imported inside the commands, so `--help` stays fast.
"""

import argparse
import os
import sys

from bootstrap import __version__
from bootstrap.errors import EcsenvError, UserError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PENDING, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

DESCRIPTION = """\
ecsenv takes an AWS account from empty to a converged ECS cluster environment.
Start with `ecsenv init`: it creates the hardened Terraform state bucket and lock
table (asking first) and writes ecsenv.yaml. Try it on the embedded emulator:
  ecsenv local start && ecsenv --local init
"""

EPILOG = """\
exit codes: 0 done or converged, 1 an AWS/terraform operation failed,
2 bad usage or input, 3 changes pending (init --plan), 130 interrupted.
AWS settings follow the aws CLI: --profile/AWS_PROFILE, --region/AWS_REGION/
AWS_DEFAULT_REGION, AWS_ENDPOINT_URL.
"""


def _global_options(parser, suppress):
    """The options every command takes, before or after its name (`ecsenv --local init` == `ecsenv init --local`)."""
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("-C", "--project-dir", metavar="DIR", default=argparse.SUPPRESS if suppress else ".",
                        help="run as if started in DIR (where ecsenv.yaml lives)")
    parser.add_argument("--profile", default=default, help="AWS profile (default: AWS_PROFILE or the wizard's pick)")
    parser.add_argument("--region", default=default, help="AWS region (default: AWS_REGION / AWS_DEFAULT_REGION)")
    parser.add_argument("--local", action="store_true", default=argparse.SUPPRESS if suppress else False,
                        help="use this project's embedded local AWS emulator (see `ecsenv local start`)")


def build_parser():
    parser = argparse.ArgumentParser(prog="ecsenv", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"ecsenv {__version__}")
    _global_options(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    init = commands.add_parser(
        "init", help="create or bring up to spec the state bucket and lock table, write ecsenv.yaml",
        description="Ask the project's settings (or read them from --answers), show the caller identity, print "
                    "the plan for the state bucket and lock table (create / change before -> after / already "
                    "right), and apply it after you confirm. ecsenv.yaml is written only after a successful "
                    "apply. Re-running on a converged account makes no write call.",
        epilog="Non-interactive (stdin not a terminal, --answers or --yes): never prompts; a missing answer "
               "is an error (exit 2) unless --yes accepts the defaults. Answers file keys: project, profile, "
               "region, environments, locking, kms_key_id, bucket, lock_table, tags.")
    _global_options(init, suppress=True)
    init.add_argument("--answers", metavar="FILE", help="YAML file with the answers (no questions asked)")
    init.add_argument("-y", "--yes", action="store_true", help="accept defaults for unanswered questions and apply "
                      "without asking")
    init.add_argument("--plan", action="store_true", help="only print the changes; write nothing. "
                      "Exit 3 if changes are pending, 0 if converged")

    local = commands.add_parser("local", help="start, stop or show the embedded local AWS emulator",
                                description="A moto server on 127.0.0.1 for this project, running in the "
                                            "background until stopped; its endpoint is kept in .ecsenv/local.json. "
                                            "Use it with `ecsenv --local COMMAND`.")
    _global_options(local, suppress=True)
    local.add_argument("action", choices=("start", "stop", "status"))
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    handlers = {"init": cmd_init, "local": cmd_local}
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        print("\necsenv: interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except EcsenvError as exc:
        print(f"ecsenv: error: {exc}", file=sys.stderr)
        return exc.exit_code


def cmd_local(args):
    from bootstrap import local

    if args.action == "start":
        state, started = local.start(args.project_dir)
        verb = "started" if started else "already running"
        print(f"Local AWS emulator {verb} at {state['endpoint']} (pid {state['pid']}).")
        print("Use it with `ecsenv --local COMMAND`; stop it with `ecsenv local stop`.")
        return EXIT_OK
    if args.action == "stop":
        state = local.stop(args.project_dir)
        print("Local AWS emulator stopped." if state else "No local AWS emulator was running.")
        return EXIT_OK
    state = local.status(args.project_dir)
    if state:
        print(f"Local AWS emulator running at {state['endpoint']} (pid {state['pid']}).")
        return EXIT_OK
    print("No local AWS emulator is running (start it with `ecsenv local start`).")
    return EXIT_PENDING


def aws_for(args, profile, region):
    from bootstrap import local
    from bootstrap.aws import Aws

    if args.local:
        return Aws(region=region, endpoint_url=local.endpoint_for(args.project_dir),
                   credentials=local.DUMMY_CREDENTIALS)
    return Aws(profile=profile, region=region)


def cmd_init(args):
    from bootstrap import backend, display, init_flow, wizard

    project_dir = args.project_dir
    if not os.path.isdir(project_dir):
        raise UserError(f"project directory {project_dir!r} does not exist")
    config_path = os.path.join(project_dir, init_flow.CONFIG_FILE)
    interactive = sys.stdin.isatty() and not args.yes and not args.answers
    previous = init_flow.previous_answers(config_path)
    given = init_flow.given_answers(args, previous, interactive)
    wiz = wizard.Wizard(given, interactive=interactive, assume_yes=args.yes)
    wiz.require_complete(wizard.connection_questions(previous, project_dir) + wizard.settings_questions(previous, "0" * 12))

    answers = wiz.fill(wizard.connection_questions(previous, project_dir))
    aws = aws_for(args, answers.get("profile"), answers["region"])
    identity = aws.identity(prepare=("s3", "dynamodb"))
    print(f"AWS account {identity.account_id}, caller {identity.arn}, region {answers['region']}.")
    init_flow.check_same_account(previous, identity, config_path)
    if not args.plan and not wiz.confirm("Continue with this account?"):
        print("Stopped; nothing was changed.")
        return EXIT_OK

    answers = wiz.fill(wizard.settings_questions(previous, identity.account_id))
    config = init_flow.build_config(answers, identity)
    desired = backend.DesiredBackend.from_state_config(config.state)
    changes = backend.plan_backend(desired, backend.read_backend(aws, desired))
    print(display.format_plan(changes, identity, config.state.region, color=display.use_color()))
    pending = [change for change in changes if change.pending]

    if args.plan:
        print("Changes pending: run `ecsenv init` to apply them." if pending else "Converged: nothing to do.")
        return EXIT_PENDING if pending else EXIT_OK
    if pending:
        if not wiz.confirm("Apply these changes?"):
            print("Stopped; nothing was changed.")
            return EXIT_OK
        init_flow.converge(aws, desired, changes, on_step=lambda change: print(
            f"  {change.operation.replace('_', '-')} ({change.resource}: {change.setting})"))
        print(f"Done: {display.summary_line(changes).replace('to create', 'created').replace('to change', 'changed')}")
    else:
        print("Converged: the state bucket and lock table are already as specified; nothing was changed.")
    written = init_flow.write_config(config, config_path)
    print(f"{'Wrote' if written else 'Unchanged:'} {os.path.normpath(config_path)}.")
    print("Next: commit ecsenv.yaml. Every Terraform root then uses this backend "
          f"(bucket {config.state.bucket}, locking {config.state.locking}).")
    return EXIT_OK
