"""The `ecsenv` argument parser: every command, its options and its help text (no behaviour here), one module per
command group."""

import argparse

from bootstrap import __version__
from bootstrap.cli.parser import backend, lifecycle, local, project, releases, secret, tasks
from bootstrap.cli.parser.building import Parser, global_options

DESCRIPTION = """\
ecsenv takes an AWS account from empty to a converged ECS cluster environment.
Start with `ecsenv init`: it creates the hardened Terraform state bucket and lock
table (asking first) and writes ecsenv.yaml. Try it on the embedded emulator:
  ecsenv local start && ecsenv --local init
"""

EPILOG = """\
exit codes: 0 done or converged, 1 an AWS/terraform operation failed,
2 bad usage or input (nothing written, no AWS call made), 3 changes pending or
not converged (init --plan, render --check, plan, drift, status, check,
secret list, local status), 130 interrupted (Ctrl-C or SIGTERM);
`ecsenv run` exits with its container's exit code.
Each command's --help lists its own.
AWS settings follow the aws CLI: --profile/AWS_PROFILE, --region/AWS_REGION/
AWS_DEFAULT_REGION, AWS_ENDPOINT_URL, AWS_MAX_ATTEMPTS.
"""


def build_parser():
    parser = Parser(prog="ecsenv", description=DESCRIPTION, epilog=EPILOG,
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"ecsenv {__version__}")
    global_options(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    for group in (project, lifecycle, releases, tasks, secret, backend, local):
        group.add_commands(commands)
    return parser


def parse_arguments(parser, argv=None):
    """parser.parse_args, except that for `ecsenv run` everything after the first `--` is the task's command, options
    and further `--` included (argparse would match them against run's own options)."""
    import sys

    argv = list(sys.argv[1:] if argv is None else argv)
    if "--" in argv and "run" in argv[:argv.index("--")]:
        at = argv.index("--")
        args = parser.parse_args(argv[:at])
        if args.command == "run":
            args.run_command = list(args.run_command) + argv[at + 1:]
            return args
    return parser.parse_args(argv)
