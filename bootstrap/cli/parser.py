"""The `ecsenv` argument parser: every command, its options and its help text (no behaviour here)."""

import argparse
import math
import re

from bootstrap import __version__

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


def _global_options(parser, suppress, aws=True):
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


def image_tag(text):
    """A commit as an image tag: what ECR accepts in a tag (letters, digits, . _ -), at most 128 characters."""
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a commit SHA / image tag (letters, digits, . _ -)")
    return text


def commit_ref(text):
    """A commit as the user names it: a SHA, a prefix, or a git ref (resolved with git before anything happens).
    Only what cannot be a ref is refused here (an option-like or blank value, whitespace, control characters)."""
    if not text or text.startswith("-") or len(text) > 256 or any(c.isspace() or ord(c) < 32 for c in text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a commit (a SHA, a prefix of at least 7 characters, or a "
                                         "git ref such as HEAD or a tag)")
    return text


def seconds(text):
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def since(text):
    """How far back: a duration (`90s`, `15m`, `2h`, `1d`) as a timedelta, or an ISO 8601 time (UTC unless it says
    otherwise) as an aware datetime."""
    import datetime

    match = re.fullmatch(r"(\d+)([smhd])", text.strip())
    if match and int(match.group(1)) > 0:
        return datetime.timedelta(seconds=int(match.group(1)) * DURATION_UNITS[match.group(2)])
    try:
        moment = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is neither a duration (90s, 15m, 2h, 1d) nor an ISO 8601 "
                                         "time (2026-05-01T12:00:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def command_line(text):
    from bootstrap.project.validation import command_line as problem

    if problem(text):
        raise argparse.ArgumentTypeError(problem(text))
    return text


def _pre_deploy_option(parser):
    parser.add_argument("--pre-deploy", metavar="CMD", type=command_line,
                        help="run CMD (split like a shell; no shell runs it) as a one-off task with the NEW image "
                             "before any service is updated, instead of the services.<name>.pre_deploy steps of "
                             "ecsenv.yaml; from the service that has one there, else the first service. A non-zero "
                             "exit aborts with nothing changed")


def _checked(validator):
    """An argparse type from a bootstrap.project.validation rule (None when fine, else the problem)."""
    def check(text):
        problem = validator(text)
        if problem:
            raise argparse.ArgumentTypeError(problem)
        return text
    check.__name__ = validator.__name__
    return check


def service_name(text):
    from bootstrap.project import validation  # light: re and ipaddress

    return _checked(validation.service_name)(text)


def secret_name(text):
    from bootstrap.project import validation

    return _checked(validation.secret_name)(text)


ENVIRONMENT_HELP = "the environment (see `ecsenv env list`)"


def _environment(parser, name="environment"):
    parser.add_argument(name, help=ENVIRONMENT_HELP)


def lock_timeout(text):
    """terraform's -lock-timeout: a number and a unit."""
    if not re.fullmatch(r"\d+(ms|s|m|h)", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 90s or 5m")
    return text


def _lock_timeout_option(parser):
    parser.add_argument("--lock-timeout", type=lock_timeout, default="3m", metavar="DURATION",
                        help="how long terraform waits for the state lock held by another run (default 3m)")


def _format_option(parser, more=""):
    """`--format text|json|markdown` (reports: bootstrap/cli/reports.py); `--json` stays as its old alias."""
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                        help="text for a terminal, json for machines (with a format_version field), markdown for "
                             "GitHub comments and job summaries" + more)
    parser.add_argument("--json", dest="format", action="store_const", const="json", help="the same as --format json")


def _rollout_options(parser, services=True):
    if services:
        parser.add_argument("--service", action="append", metavar="NAME", type=service_name,
                            help="only this service (repeatable)")
    parser.add_argument("--timeout", type=seconds, default=900, metavar="S", help="seconds to wait (default 900)")
    parser.add_argument("--no-wait", action="store_true", help="return once the services are updated")


def _command(subparsers, name, exits, aws=True, **kwargs):
    """A (sub)command that also takes the global options after its name; `exits` are its exit codes (the
    epilog ends with them); aws=False: it makes no AWS call, so no AWS options."""
    epilog = kwargs.pop("epilog", None)
    kwargs["epilog"] = f"{epilog}\n\n{exits}" if epilog else exits
    parser = subparsers.add_parser(name, formatter_class=_ParagraphFormatter, **kwargs)
    _global_options(parser, suppress=True, aws=aws)
    return parser


def _group(subparsers, name, dest, aws=True, **kwargs):
    """A command group (env, secret, backend, local): its actions are commands with their own --help."""
    parser = subparsers.add_parser(name, **kwargs)
    _global_options(parser, suppress=True, aws=aws)
    return parser.add_subparsers(dest=dest, metavar="ACTION", required=True, parser_class=Parser)


def build_parser():
    parser = Parser(prog="ecsenv", description=DESCRIPTION, epilog=EPILOG,
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"ecsenv {__version__}")
    _global_options(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    init = _command(
        commands, "init", exit_codes("0 applied or already converged", "1 an AWS call failed",
                                     "2 bad input or refused (nothing changed)", "3 changes pending (--plan)"),
        help="create or bring up to spec the state bucket and lock table, write ecsenv.yaml",
        description="Ask the project's settings (or read them from --answers), show the caller identity, print "
                    "the plan for the state bucket and lock table (create / change before -> after / already "
                    "right), and apply it after you confirm. ecsenv.yaml is written only after a successful "
                    "apply. Re-running on a converged account makes no write call.",
        epilog="Non-interactive (stdin not a terminal, --answers or --yes): never prompts; a missing answer "
               "is an error (exit 2) unless --yes accepts the defaults. Answers file keys: project, profile, "
               "region, environments, locking, kms_key_id, bucket, lock_table, tags.")
    init.add_argument("--answers", metavar="FILE", help="YAML file with the answers (no questions asked)")
    init.add_argument("-y", "--yes", action="store_true", help="accept defaults for unanswered questions and apply "
                      "without asking")
    init.add_argument("--plan", action="store_true", help="only print the changes; write nothing. "
                      "Exit 3 if changes are pending, 0 if converged")
    init.add_argument("--force", action="store_true", help="replace generated files even if changed by hand")
    init.add_argument("--adopt", action="store_true",
                      help="also write environments/global_aws/state_backend.tf: the bucket and table as Terraform "
                           "resources with import blocks and prevent_destroy, so Terraform takes them over")

    render = _command(
        commands, "render", exit_codes("0 written or nothing to write", "2 bad ecsenv.yaml, or files changed by hand "
                                       "(diff shown; nothing written)", "3 --check: files would change"),
        aws=False, help="re-render every environment's backend config from ecsenv.yaml",
        description="Write environments/<env>/backend.s3.tfbackend (and global_aws's) from ecsenv.yaml. Only files "
                    "whose content changes are written. A generated file that a person edited is not overwritten: "
                    "the diff is printed and the command exits 2, unless --force.")
    render.add_argument("--force", action="store_true", help="replace files changed by hand")
    render.add_argument("--check", action="store_true", help="write nothing; exit 3 if any file would change")

    env_commands = _group(commands, "env", "env_command", aws=False, help="add, remove and list environments",
                          description="Environments are directories under environments/, each one Terraform root "
                                      "with its own state.")
    add = _command(
        env_commands, "add", exit_codes("0 added", "2 bad input or a file in the way (nothing written)"), aws=False,
        help="scaffold environments/NAME, render its backend config, add it to ecsenv.yaml",
        description="Copy the Terraform root of --from (default: the environment it promotes from, else the first "
                    "one with Terraform files) into environments/NAME, with its provider lock file. Every value that "
                    "named the source is rewritten for NAME and marked `# ecsenv: review:` (its name in strings and "
                    "comments: hostnames, bucket names, state keys; its region and account when they differ), and "
                    "its VPC network moves to one no other environment's overlaps. Without a source root, start "
                    "from a template. Then render its backend config and add it to ecsenv.yaml (an edit that keeps "
                    "the file's comments). Nothing is written if anything is wrong.",
        epilog="example: ecsenv env add qa --promotes-from staging --region eu-west-1; then `ecsenv plan qa`.")
    add.add_argument("name", help="lowercase letters, digits and hyphens")
    add.add_argument("--from", dest="source", metavar="ENV", help="environment to copy")
    add.add_argument("--region", default=argparse.SUPPRESS, metavar="REGION",
                     help="the new environment's AWS region (default: the state bucket's region)")
    add.add_argument("--account", metavar="ID", help="AWS account id (default: the state account)")
    add.add_argument("--promotes-from", metavar="ENV", help="environment whose applied SHA this one must follow")
    remove = _command(
        env_commands, "remove", exit_codes("0 removed", "1 terraform or AWS failed (the environment stays in "
                                           "ecsenv.yaml)", "2 refused, bad input or not confirmed (nothing changed)"),
        help="destroy an environment's resources and take it out of the project",
        description="Refused while another environment promotes from NAME, and for global_aws. Shows what "
                    "`terraform destroy` would remove (a destroy plan of environments/NAME), then, once confirmed, "
                    "destroys it, removes NAME from ecsenv.yaml (an edit that keeps the file's comments) and "
                    "deletes environments/NAME. The state bucket, the lock table and every object in them are kept: "
                    "NAME's state object (all its versions, the last one before the destroy included) and its "
                    "records under ecsenv/.",
        epilog="Confirm by typing NAME at the prompt; without a terminal, pass --yes --confirm NAME.")
    remove.add_argument("name", help=ENVIRONMENT_HELP)
    remove.add_argument("-y", "--yes", action="store_true", help="do not ask (needs --confirm NAME)")
    remove.add_argument("--confirm", metavar="NAME", help="the environment's name again, to confirm the destroy")
    listing = _command(env_commands, "list", exit_codes("0 listed", "2 bad ecsenv.yaml"), aws=False,
                       help="environments with their region, account and state key")
    _format_option(listing)
    policy = _command(
        env_commands, "policy", exit_codes("0 printed", "2 bad ecsenv.yaml or not an environment"), aws=False,
        help="print the least-privilege IAM policy for one environment's state",
        description="An IAM policy document (JSON) allowing only this environment's state key, its .tflock object, "
                    "its lock-table items and the state KMS key: attach it to the environment's CI role.")
    policy.add_argument("name", help="the environment, or global_aws")

    plan = _command(
        commands, "plan", exit_codes("0 no changes", "1 terraform failed",
                                     "2 bad usage or input, or a backend file that does not match ecsenv.yaml",
                                     "3 changes planned (outputs and state removals count)"),
        help="plan an environment (or --all); the plan is saved for `ecsenv apply`",
        description="Runs terraform in environments/ENV: init with its backend config when needed (first run, "
                    "or when module sources, provider requirements, the lock file or the backend config changed, "
                    "or an init did not finish), then plan, saving the plan file under .ecsenv/plans/ by "
                    "environment and git commit. Refused when the backend file differs from what ecsenv.yaml "
                    "implies. Terraform's output streams as it runs; a summary (to add / change / destroy) ends it.")
    plan.add_argument("environment", nargs="?", help=ENVIRONMENT_HELP)
    plan.add_argument("--all", action="store_true", help="plan every environment (inits one at a time, plans "
                      "several at once), print a line per environment as it finishes, then one summary table")
    _format_option(plan, " (with json or markdown, terraform's output goes to stderr)")
    plan.add_argument("--reinit", action="store_true", help="run terraform init first even when nothing it "
                      "depends on changed")
    _lock_timeout_option(plan)

    apply = _command(
        commands, "apply", exit_codes("0 applied", "1 terraform or AWS failed",
                                      "2 refused or bad input (the message says what to run)"),
        help="apply the saved plan of the current commit to an environment",
        description="Applies the plan `ecsenv plan ENV` saved at the current commit, and records the commit, time "
                    "and caller in the state bucket. Refused: without a saved plan for this commit, from a dirty "
                    "work tree, from a commit not on main (unless --emergency), and for an environment that "
                    "promotes from another before that one has applied this commit.")
    _environment(apply)
    apply.add_argument("--allow-dirty", action="store_true", help="apply although the work tree has "
                       "uncommitted changes")
    apply.add_argument("--emergency", metavar="REASON", help="apply a commit that is not on main, or skip the "
                       "promotion order (a rollback); the reason is recorded and shown by `ecsenv status`")
    _lock_timeout_option(apply)

    status = _command(
        commands, "status", exit_codes("0 converged", "1 an AWS call failed", "2 bad input", "3 not converged"),
        help="is code (main), every environment and its services converged?",
        description="For main's HEAD and every environment: the infra commit last applied (when, by whom, any "
                    "emergency reason), and per ECS service the app commit it runs, its rollout state, and task "
                    "definition changes not deployed yet. A verdict per environment and overall.")
    _format_option(status)

    drift = _command(
        commands, "drift", exit_codes("0 no drift (deploy-made changes only)", "1 terraform failed", "2 bad input",
                                      "3 drift"),
        help="has anything changed behind Terraform's back in an environment?",
        description="terraform plan -refresh-only: lists resources whose real state differs from the last apply. "
                    "Task definition changes on ECS services made by deploys are expected and listed apart. "
                    "Attributes that companion resources fill in after a first apply (security-group rules, "
                    "routes, role policies, Elastic IP associations, target groups' load balancers) are not drift.")
    _environment(drift)
    _format_option(drift, " (with json or markdown, terraform's output goes to stderr)")
    _lock_timeout_option(drift)

    tf = _command(
        commands, "tf", "exit codes: terraform's own; 2 refused before terraform ran; 130 interrupted.",
        help="run any terraform command in an environment's root, with ecsenv's wiring",
        description="Runs `terraform ARGS` in environments/ENV after the same checks and init as `ecsenv plan` "
                    "(backend config from ecsenv.yaml, --local's emulator endpoint and credentials, --profile): "
                    "for imports and state surgery, e.g. `ecsenv tf staging -- import ADDRESS ID`, `ecsenv tf "
                    "staging -- state list`, `ecsenv tf staging -- force-unlock LOCK_ID`. Not recorded as an apply.")
    _environment(tf)
    tf.add_argument("terraform_args", nargs=argparse.REMAINDER, metavar="-- ARGS",
                    help="terraform's command and arguments, after --")

    deploy = _command(
        commands, "deploy", exit_codes(
            "0 deployed", "1 failed, timed out or rolled back by ECS (its reason, the last service events, and the "
            "newest stopped tasks' reasons, exit codes and last log lines are shown), the pre-deploy step failed "
            "(nothing changed), or another deploy holds the lock (its owner and age are shown; a stale one is "
            "removed with --force-unlock)", "2 refused or bad input, before anything changed (the message of an "
            "interrupt says which services were already updated)"),
        help="deploy an image commit to an environment's ECS services",
        description="For each service (all by default) of the environment's cluster, in the environment's own region "
                    "and account (ecsenv.yaml): take the newest ACTIVE revision of its task-definition family (what "
                    "Terraform registered last, so its changes ride along), check that each app container's image "
                    "<repo>:<commit> exists in ECR and every secret has a value (all before anything changes), "
                    "register a new revision in which only the app containers take the commit's image (sidecars "
                    "keep theirs), update the service, and wait until the deployment this update created is "
                    "PRIMARY, COMPLETED and runs all its tasks. Services with a CODE_DEPLOY or EXTERNAL controller, "
                    "or a BLUE_GREEN/LINEAR/CANARY strategy, are refused. Nothing is deregistered. Every attempt is "
                    "recorded in the state bucket when it starts and when it ends. One deploy per environment at a "
                    "time (a lock in the state bucket).",
        epilog="--sha and --to take a full SHA, a unique prefix of at least 7 characters, or a git ref (HEAD, a "
               "tag). Pre-deploy step (migrations): `services: {NAME: {pre_deploy: \"bin/migrate\"}}` in "
               "ecsenv.yaml, or --pre-deploy CMD, runs as a one-off task with the new image inside the deploy lock, "
               "its logs streamed, before any service is updated; it is recorded so a rollback across it warns. "
               "A lock is stale when its "
               "holder's process on this host is gone, or it is older than ECSENV_DEPLOY_LOCK_MAX_AGE seconds "
               "(default 3600) and its holder's own timeout.")
    _environment(deploy)
    what = deploy.add_mutually_exclusive_group(required=True)
    what.add_argument("--sha", type=commit_ref, help="the commit whose image to deploy (its full SHA is the tag)")
    what.add_argument("--force-unlock", action="store_true", help="remove the environment's deploy lock (after "
                      "showing its holder; asks on a terminal, needs --yes otherwise); deploys nothing")
    deploy.add_argument("-y", "--yes", action="store_true", help="with --force-unlock: do not ask")
    _pre_deploy_option(deploy)
    _rollout_options(deploy)

    rollback = _command(
        commands, "rollback", exit_codes("0 rolled back (or stopped at the question)",
                                         "1 failed, rolled back by ECS, timed out, or another deploy holds the lock",
                                         "2 refused before anything changed (no healthy earlier commit recorded: "
                                         "name one with --to; or pre-deploy steps crossed without --yes and no "
                                         "terminal)"),
        help="deploy the last commit deployed healthy before the current one (or --to)",
        description="Deploys (as `deploy` does) the last commit whose deploy completed healthy before the current "
                    "one. After a failed, rolled-back or timed-out deploy that is the release running before it; "
                    "a commit a rollback went back from is never chosen again, so a second rollback goes further "
                    "back (or asks for --to). Registers a new revision with the older image, so it works even when "
                    "the old revision is INACTIVE. Allowed from any branch; recorded as a rollback, which `ecsenv "
                    "status` shows. Going back across releases whose pre-deploy step ran (migrations are not "
                    "undone) names them and asks first.")
    _environment(rollback)
    rollback.add_argument("--to", metavar="COMMIT", type=commit_ref,
                          help="the commit to go back to: a SHA, a prefix of at least 7 characters, or a git ref")
    rollback.add_argument("-y", "--yes", action="store_true",
                          help="go back across releases whose pre-deploy step ran without asking")
    _rollout_options(rollback)

    promote = _command(
        commands, "promote", exit_codes("0 promoted", "1 failed, rolled back by ECS, timed out, the pre-deploy "
                                        "step failed (nothing changed), or another deploy holds the lock",
                                        "2 refused or bad input, before anything changed"),
        help="deploy exactly what runs (healthy) in the source environment",
        description="Deploys to ENV the app images running in the environment it promotes from (promotes_from in "
                    "ecsenv.yaml), which must have completed its rollout; the images' digests must match. The "
                    "pre-deploy steps of ecsenv.yaml (or --pre-deploy) run in ENV first, as in a deploy.")
    _environment(promote)
    _pre_deploy_option(promote)
    _rollout_options(promote, services=False)

    run = _command(
        commands, "run", "exit codes: the container's exit code (0 done); 1 the task never ran (ECS's "
                         "stoppedReason is shown) or timed out (it is stopped); 2 bad usage or input; "
                         "130 interrupted (the task was stopped).",
        help="run a one-off command (migrations, a shell script) as an ECS task, with its logs",
        description="Starts one task from the service's task definition (the newest ACTIVE revision of its family, "
                    "with the image the service runs, or the image of --sha), in the service's subnets and security "
                    "groups, with COMMAND as the app container's command (no shell: write `sh -c '...'` for one). "
                    "Its CloudWatch logs stream while it runs. Ctrl-C or SIGTERM stops the task (StopTask). When "
                    "the image differs from the newest revision's, a revision is registered in the family "
                    "<family>_oneoff, never in the service's own.",
        epilog="Example: ecsenv run staging --service web -- bin/migrate --verbose.")
    _environment(run)
    run.add_argument("--service", metavar="NAME", type=service_name,
                     help="the service whose task definition and network to use (required when the environment has "
                          "several)")
    run.add_argument("--sha", type=image_tag, help="run the image of this commit (default: the one the service runs)")
    run.add_argument("--timeout", type=seconds, default=3600, metavar="S",
                     help="stop the task after S seconds (default 3600)")
    run.add_argument("run_command", nargs="*", metavar="-- COMMAND", help="the command and its arguments, after "
                     "-- (everything after it is the command's, options included)")

    logs = _command(
        commands, "logs", exit_codes("0 done (also when --follow ends with Ctrl-C)", "1 an AWS call failed",
                                     "2 bad usage or input"),
        help="a service's CloudWatch logs, every task merged in time order",
        description="Reads the service's log streams (the awslogs options of the task definition it runs: group "
                    "and stream prefix), every task and container merged in time order, each line prefixed with "
                    "its time, task id and container. Without SERVICE: every service of ENV.")
    _environment(logs)
    logs.add_argument("service", nargs="?", type=service_name, help="the ECS service (default: all of them)")
    logs.add_argument("--since", type=since, default="15m", metavar="WHEN",
                      help="from how long ago (90s, 15m, 2h, 1d) or an ISO 8601 time (default 15m)")
    logs.add_argument("--follow", "-f", action="store_true", help="keep printing new lines until Ctrl-C")
    logs.add_argument("--sha", type=image_tag, help="only the tasks running this commit (running, or stopped "
                      "within the last hour)")

    secret_commands = _group(commands, "secret", "secret_command",
                             help="list an environment's secrets; set a value (never via argv)",
                             description="Secrets are declared by the stack (modules/core-services) without values, "
                                         "named <project>/<env>/<NAME>. ecsenv finds them by their ecsenv:* tags.")
    secret_list = _command(
        secret_commands, "list", exit_codes("0 every secret has a value", "1 an AWS call failed", "2 bad input",
                                            "3 some have none"),
        help="declared secrets, whether each has a value, last changed (never a value)")
    _environment(secret_list)
    _format_option(secret_list)
    secret_set = _command(
        secret_commands, "set", exit_codes("0 set", "1 an AWS call failed",
                                           "2 bad input (an empty, non-UTF-8 or too long value; never printed)"),
        help="set a secret's value from a hidden prompt or stdin",
        description="Reads the value from a hidden prompt (twice) on a terminal, else from stdin (one trailing "
                    "newline dropped): never from the command line, so it is in no shell history or process "
                    "list. The value must be UTF-8 text of at most 65536 bytes (Secrets Manager's SecretString); "
                    "binary values are refused: base64-encode them first. Stores it as the secret's new current "
                    "version, says whether each service's execution role may read it, and with --redeploy restarts "
                    "the services that use it.",
        epilog="example: ecsenv secret set staging DB_PASSWORD < password.txt")
    _environment(secret_set)
    secret_set.add_argument("name", type=secret_name, help="the secret's NAME (see `ecsenv secret list ENV`)")
    secret_set.add_argument("--redeploy", action="store_true", help="restart the services that use it, so they "
                            "read the new value")

    check = _command(
        commands, "check", exit_codes("0 clean", "2 unparseable HCL or a bad ecsenv.yaml", "3 findings"), aws=False,
        help="static consistency of environments/ and modules/ (no AWS)",
        description="Checks, with the Terraform files parsed (python-hcl2): every module variable without a default "
                    "is passed by every caller; every environment passes the same arguments to its `deployment` "
                    "module; each environment declares `backend \"s3\"` and has the backend config ecsenv.yaml "
                    "implies. Findings are printed as file:line: message.")
    check.add_argument("--json", action="store_true", help="machine-readable findings")

    matrix = _command(
        commands, "matrix", exit_codes("0 printed", "2 a bad ecsenv.yaml or an unknown REF"), aws=False,
        help="the environments as a GitHub Actions matrix (JSON), in promotion order",
        description="Print {\"include\": [{\"environment\": NAME}, ...]}: global_aws first, then each environment "
                    "after the one it promotes from. With --changed-since, only the environments whose root, or a "
                    "local module their root uses, changed since REF (committed or not). Use it as "
                    "`strategy: matrix: ${{ fromJSON(needs.<job>.outputs.matrix) }}`. Reads git only; no AWS.")
    matrix.add_argument("--changed-since", metavar="REF", help="only environments a change since REF touches")

    backend_commands = _group(commands, "backend", "backend_command",
                              help="state backend maintenance (lock migration)")
    migrate = _command(
        backend_commands, "migrate-locking", exit_codes("0 done or nothing to do", "1 an AWS call failed",
                                                        "2 refused (an active lock, files changed by hand) or bad "
                                                        "input"),
        help="move from DynamoDB locking to the S3 lockfile, safely, in two runs",
        description="First run (locking dynamodb): switch every backend config to both locks. Second run (locking "
                    "both): once every environment with a state has taken the S3 lockfile, switch to the lockfile "
                    "only. Refused while the lock table holds an active lock. The table is never deleted.")
    migrate.add_argument("--to", choices=("lockfile",), required=True, help="the locking mode to end with")
    migrate.add_argument("--force", action="store_true", help="replace backend configs changed by hand")

    local_commands = _group(commands, "local", "action", aws=False,
                            help="start, stop or show the embedded local AWS emulator",
                            description="A moto server on 127.0.0.1 for this project, running in the background "
                                        "until stopped; its endpoint is kept in .ecsenv/local.json. Use it with "
                                        "`ecsenv --local COMMAND`. It keeps everything in memory: after a stop, "
                                        "the emulated account starts empty.")
    start = _command(local_commands, "start", exit_codes("0 running (started, or already)", "1 it did not start",
                                                         "2 a bad or unsafe .ecsenv/ file"), aws=False,
                     help="start this project's emulator (if it is not running)")
    start.add_argument("--lenient", action="store_true",
                       help="plain moto, without the strict layer that answers as AWS documents where moto "
                            "does not (ECS rollouts that take time and can fail, PITR and new buckets not ready at "
                            "once, DescribeServices' 10-service limit)")
    _command(local_commands, "stop", exit_codes("0 stopped, or none was running", "2 a bad or unsafe .ecsenv/ file"),
             aws=False, help="stop this project's emulator; everything it held is gone")
    _command(local_commands, "status", exit_codes("0 running", "2 a bad .ecsenv/local.json", "3 not running"),
             aws=False, help="is this project's emulator running, and where")
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
