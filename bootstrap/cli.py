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
    init.add_argument("--force", action="store_true", help="replace generated files even if changed by hand")

    render = commands.add_parser(
        "render", help="re-render every environment's backend config from ecsenv.yaml",
        description="Write environments/<env>/backend.s3.tfbackend (and global_aws's) from ecsenv.yaml. Only files "
                    "whose content changes are written. A generated file that a person edited is not overwritten: "
                    "the diff is printed and the command exits 2, unless --force.")
    _global_options(render, suppress=True)
    render.add_argument("--force", action="store_true", help="replace files changed by hand")
    render.add_argument("--check", action="store_true", help="write nothing; exit 3 if any file would change")

    env = commands.add_parser("env", help="add and list environments",
                              description="Environments are directories under environments/, each one Terraform "
                                          "root with its own state.")
    _global_options(env, suppress=True)
    env_commands = env.add_subparsers(dest="env_command", metavar="ACTION", required=True)
    add = env_commands.add_parser(
        "add", help="scaffold environments/NAME, render its backend config, add it to ecsenv.yaml",
        description="Copy the Terraform root of --from (default: the environment it promotes from, else the first "
                    "one with Terraform files) into environments/NAME, adjusting and marking what named the source; "
                    "or start from a template when there is none. Then render its backend config and add it to "
                    "ecsenv.yaml. Nothing is written if anything is wrong.")
    _global_options(add, suppress=True)
    add.add_argument("name", help="lowercase letters, digits and hyphens")
    add.add_argument("--from", dest="source", metavar="ENV", help="environment to copy")
    add.add_argument("--account", metavar="ID", help="AWS account id (default: the state account)")
    add.add_argument("--promotes-from", metavar="ENV", help="environment whose applied SHA this one must follow")
    listing = env_commands.add_parser("list", help="environments with their region, account and state key")
    _global_options(listing, suppress=True)
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    policy = env_commands.add_parser(
        "policy", help="print the least-privilege IAM policy for one environment's state",
        description="An IAM policy document (JSON) allowing only this environment's state key, its .tflock object, "
                    "its lock-table items and the state KMS key: attach it to the environment's CI role.")
    _global_options(policy, suppress=True)
    policy.add_argument("name")

    backend_cmd = commands.add_parser("backend", help="state backend maintenance (lock migration)")
    _global_options(backend_cmd, suppress=True)
    backend_commands = backend_cmd.add_subparsers(dest="backend_command", metavar="ACTION", required=True)
    migrate = backend_commands.add_parser(
        "migrate-locking", help="move from DynamoDB locking to the S3 lockfile, safely, in two runs",
        description="First run (locking dynamodb): switch every backend config to both locks. Second run (locking "
                    "both): once every environment with a state has taken the S3 lockfile, switch to the lockfile "
                    "only. Refused while the lock table holds an active lock. The table is never deleted.")
    _global_options(migrate, suppress=True)
    migrate.add_argument("--to", choices=("lockfile",), required=True, help="the locking mode to end with")
    migrate.add_argument("--force", action="store_true", help="replace backend configs changed by hand")

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
    handlers = {"init": cmd_init, "local": cmd_local, "render": cmd_render, "env": cmd_env,
                "backend": cmd_backend}
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        print("\necsenv: interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except EcsenvError as exc:
        for conflict in getattr(exc, "conflicts", ()):
            print(conflict.diff() or f"{conflict.path}: not generated by ecsenv", file=sys.stderr)
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
    from bootstrap import backend, display, init_flow, render, wizard

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
        files = render.plan_backend_files(config, project_dir)
        print(display.format_files(files, planned=True))
        pending += [planned for planned in files if planned.status != render.UNCHANGED]
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
    print(display.format_files(render.write_planned(render.plan_backend_files(config, project_dir), args.force)))
    print("Next: commit ecsenv.yaml and environments/*/backend.s3.tfbackend. Each Terraform root declares an "
          "empty `backend \"s3\" {}` and is initialised with `terraform init -backend-config=backend.s3.tfbackend`.")
    return EXIT_OK


def load_project(args):
    from bootstrap.config import CONFIG_FILE, load_config

    path = os.path.join(args.project_dir, CONFIG_FILE)
    if not os.path.exists(path):
        raise UserError(f"no {os.path.normpath(path)}: run `ecsenv init` first")
    return load_config(path), path


def cmd_render(args):
    from bootstrap import display, render

    config, _ = load_project(args)
    files = render.plan_backend_files(config, args.project_dir)
    if args.check:
        print(display.format_files(files, planned=True))
        changed = [planned for planned in files if planned.status != render.UNCHANGED]
        return EXIT_PENDING if changed else EXIT_OK
    print(display.format_files(render.write_planned(files, args.force) or files))
    return EXIT_OK


def cmd_env(args):
    return {"add": cmd_env_add, "list": cmd_env_list, "policy": cmd_env_policy}[args.env_command](args)


def cmd_env_add(args):
    import dataclasses

    from bootstrap import display, environments, render
    from bootstrap.config import save_config

    config, config_path = load_project(args)
    environments.check_new_environment(config, args.project_dir, args.name, args.source, args.promotes_from)
    env = environments.new_environment(config, args.region, args.account, args.promotes_from)
    source = args.source or environments.default_source(config, args.project_dir, args.promotes_from)
    scaffold, copied_from = environments.scaffold(config, args.project_dir, args.name, env, source)
    updated = dataclasses.replace(config, environments={**config.environments, args.name: env})
    files = [render.plan_file(path, text) for path, text in scaffold.items()]
    files += render.plan_backend_files(updated, args.project_dir)
    written = render.write_planned(files, force=False)  # conflicts are refused before anything is written
    save_config(updated, config_path)
    print(display.format_files(written))
    origin = f"a copy of environments/{copied_from}" if copied_from else "the starter template"
    print(f"Added environment {args.name!r} to {os.path.normpath(config_path)} ({origin}).")
    print(f"Next: review the lines marked `ecsenv: review` in environments/{args.name}/, then plan it with "
          f"`terraform -chdir=environments/{args.name} init -backend-config=backend.s3.tfbackend`.")
    return EXIT_OK


def cmd_env_list(args):
    import json

    from bootstrap import display, environments

    config, _ = load_project(args)
    rows = environments.listing(config)
    print(json.dumps(rows, indent=2) if args.json else display.format_table(
        rows, [("name", "ENVIRONMENT"), ("region", "REGION"), ("account_id", "ACCOUNT"),
               ("promotes_from", "PROMOTES FROM"), ("state", "STATE")]))
    return EXIT_OK


def cmd_env_policy(args):
    import json

    from bootstrap.config import GLOBAL_ENVIRONMENT
    from bootstrap.state_policy import state_access_policy

    config, _ = load_project(args)
    if args.name != GLOBAL_ENVIRONMENT and args.name not in config.environments:
        raise UserError(f"{args.name!r} is not an environment (known: {', '.join(config.environments)})")
    print(json.dumps(state_access_policy(config, args.name), indent=2))
    return EXIT_OK


def cmd_backend(args):
    import dataclasses

    from bootstrap import display, lock_migration, render
    from bootstrap.config import save_config

    config, config_path = load_project(args)
    if config.state.locking == "lockfile":
        print("Locking is already the S3 lockfile only: nothing to do.")
        return EXIT_OK
    aws = aws_for(args, args.profile, args.region or config.state.region)
    step = lock_migration.next_step(aws, config)
    state = dataclasses.replace(config.state, locking=step,
                                lock_table=config.state.lock_table if step == "both" else None)
    updated = dataclasses.replace(config, state=state)
    written = render.write_planned(render.plan_backend_files(updated, args.project_dir), args.force)
    save_config(updated, config_path)
    print(f"Locking: {config.state.locking} -> {step} in {os.path.normpath(config_path)}.")
    print(display.format_files(written))
    if step == "both":
        print("Step 1 of 2 done: every run now takes both locks. In each environment run "
              "`terraform init -reconfigure -backend-config=backend.s3.tfbackend` and a plan, then run "
              "`ecsenv backend migrate-locking --to lockfile` again.")
    else:
        print("Step 2 of 2 done: Terraform now locks with the S3 lockfile only; re-initialise each environment "
              "with `terraform init -reconfigure -backend-config=backend.s3.tfbackend`.")
        print(lock_migration.keeping_the_table(config.state))
    return EXIT_OK
