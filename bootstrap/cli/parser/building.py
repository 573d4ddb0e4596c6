"""The parser's building blocks: the one-line usage error, the options every command takes, and the shared
options of several commands."""

import argparse

from bootstrap.cli.parser.argument_types import command_line, lock_timeout, seconds, service_name

INTERRUPTED = "130 interrupted"


class Parser(argparse.ArgumentParser):
    """argparse with usage errors as ONE line (the contract for bad input), pointing at the command's --help."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see `{self.prog} --help`)\n")


def exit_codes(*codes):
    """The epilog paragraph every command has: its exit codes (all of them, per command)."""
    return "exit codes: " + "; ".join((*codes, INTERRUPTED)) + "."


class _ParagraphFormatter(argparse.HelpFormatter):
    """Wraps descriptions and epilogs like argparse does, but keeps blank-line separated paragraphs apart."""

    def _fill_text(self, text, width, indent):
        return "\n\n".join(super(_ParagraphFormatter, self)._fill_text(part, width, indent)
                             for part in text.split("\n\n"))


def global_options(parser, suppress, aws=True):
    """The options every command takes, before or after its name (`ecsenv --local init` == `ecsenv init --local`).
    A command that makes no AWS call does not offer the AWS ones after its name."""
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("-C", "--project-dir", metavar="DIR", default=argparse.SUPPRESS if suppress else ".",
                        help="run as if started in DIR (where ecsenv.yaml lives)")
    if not aws:
        return
    parser.add_argument("--profile", default=default, help="AWS profile (default: AWS_PROFILE or the wizard's pick)")
    parser.add_argument("--region", default=default, help="AWS region (default: AWS_REGION / AWS_DEFAULT_REGION)")
    parser.add_argument("--local", action="store_true", default=argparse.SUPPRESS if suppress else False,
                        help="use this project's embedded local AWS emulator (see `ecsenv local start`)")


def pre_deploy_option(parser):
    parser.add_argument("--pre-deploy", metavar="CMD", type=command_line,
                        help="run CMD (split like a shell; no shell runs it) as a one-off task with the NEW image "
                             "before any service is updated, instead of the services.<name>.pre_deploy steps of "
                             "ecsenv.yaml; from the service that has one there, else the first service. A non-zero "
                             "exit aborts with nothing changed")


ENVIRONMENT_HELP = "the environment (see `ecsenv env list`)"


def environment_argument(parser, name="environment"):
    parser.add_argument(name, help=ENVIRONMENT_HELP)


def lock_timeout_option(parser):
    parser.add_argument("--lock-timeout", type=lock_timeout, default="3m", metavar="DURATION",
                        help="how long terraform waits for the state lock held by another run (default 3m)")


def format_option(parser, more=""):
    """`--format text|json|markdown` (reports: bootstrap/cli/reports.py); `--json` stays as its old alias."""
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                        help="text for a terminal, json for machines (with a format_version field), markdown for "
                             "GitHub comments and job summaries" + more)
    parser.add_argument("--json", dest="format", action="store_const", const="json", help="the same as --format json")


def rollout_options(parser, services=True):
    if services:
        parser.add_argument("--service", action="append", metavar="NAME", type=service_name,
                            help="only this service (repeatable)")
    parser.add_argument("--timeout", type=seconds, default=900, metavar="S", help="seconds to wait (default 900)")
    parser.add_argument("--no-wait", action="store_true", help="return once the services are updated")


def command(subparsers, name, exits, aws=True, **kwargs):
    """A (sub)command that also takes the global options after its name; `exits` are its exit codes (the
    epilog ends with them); aws=False: it makes no AWS call, so no AWS options."""
    epilog = kwargs.pop("epilog", None)
    kwargs["epilog"] = f"{epilog}\n\n{exits}" if epilog else exits
    parser = subparsers.add_parser(name, formatter_class=_ParagraphFormatter, **kwargs)
    global_options(parser, suppress=True, aws=aws)
    return parser


def group(subparsers, name, dest, aws=True, **kwargs):
    """A command group (env, secret, backend, local): its actions are commands with their own --help."""
    parser = subparsers.add_parser(name, **kwargs)
    global_options(parser, suppress=True, aws=aws)
    return parser.add_subparsers(dest=dest, metavar="ACTION", required=True, parser_class=Parser)
