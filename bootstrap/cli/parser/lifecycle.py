"""The Terraform lifecycle's commands: plan, apply, status, drift, tf."""

import argparse

from bootstrap.cli.parser.argument_types import positive_int
from bootstrap.cli.parser.building import (
    ENVIRONMENT_HELP,
    command,
    environment_argument,
    exit_codes,
    format_option,
    lock_timeout_option,
)


def add_commands(commands):
    plan = command(
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
    plan.add_argument("--parallel", type=positive_int, metavar="N", default=None,
                      help="with --all: plan at most N environments at once (default: the number of CPU cores)")
    format_option(plan, " (with json or markdown, terraform's output goes to stderr)")
    plan.add_argument("--reinit", action="store_true", help="run terraform init first even when nothing it "
                      "depends on changed")
    lock_timeout_option(plan)

    apply = command(
        commands, "apply", exit_codes("0 applied", "1 terraform or AWS failed",
                                      "2 refused or bad input (the message says what to run)"),
        help="apply the saved plan of the current commit to an environment",
        description="Applies the plan `ecsenv plan ENV` saved at the current commit, and records the commit, time "
                    "and caller in the state bucket. Refused: without a saved plan for this commit, from a dirty "
                    "work tree, from a commit not on main (unless --emergency), and for an environment that "
                    "promotes from another before that one has applied this commit.")
    environment_argument(apply)
    apply.add_argument("--allow-dirty", action="store_true", help="apply although the work tree has "
                       "uncommitted changes")
    apply.add_argument("--emergency", metavar="REASON", help="apply a commit that is not on main, or skip the "
                       "promotion order (a rollback); the reason is recorded and shown by `ecsenv status`")
    lock_timeout_option(apply)

    status = command(
        commands, "status", exit_codes("0 converged", "1 an AWS call failed", "2 bad input", "3 not converged"),
        help="is code (main), every environment and its services converged?",
        description="For main's HEAD and every environment: the infra commit last applied (when, by whom, any "
                    "emergency reason), and per ECS service the app commit it runs, its rollout state, and task "
                    "definition changes not deployed yet. A verdict per environment and overall.")
    format_option(status)

    drift = command(
        commands, "drift", exit_codes("0 no drift (deploy-made changes only)", "1 terraform failed", "2 bad input",
                                      "3 drift"),
        help="has anything changed behind Terraform's back in an environment (or --all)?",
        description="terraform plan -refresh-only: lists resources whose real state differs from the last apply. "
                    "Task definition changes on ECS services made by deploys are expected and listed apart. "
                    "Attributes that companion resources fill in after a first apply (security-group rules, "
                    "routes, role policies, Elastic IP associations, target groups' load balancers) are not drift.",
        epilog="With --all: a line per environment as it finishes, then a table (or one json document, or one "
               "markdown report for a scheduled job's summary); exit 1 if any environment failed, else 3 if any "
               "drifted.")
    drift.add_argument("environment", nargs="?", help=ENVIRONMENT_HELP)
    drift.add_argument("--all", action="store_true", help="every environment (inits one at a time, refreshes "
                       "several at once)")
    drift.add_argument("--parallel", type=positive_int, metavar="N", default=None,
                       help="with --all: at most N environments at once (default: the number of CPU cores)")
    format_option(drift, " (with json or markdown, terraform's output goes to stderr)")
    lock_timeout_option(drift)

    tf = command(
        commands, "tf", "exit codes: terraform's own; 2 refused before terraform ran; 130 interrupted.",
        help="run any terraform command in an environment's root, with ecsenv's wiring",
        description="Runs `terraform ARGS` in environments/ENV after the same checks and init as `ecsenv plan` "
                    "(backend config from ecsenv.yaml, --local's emulator endpoint and credentials, --profile): "
                    "for imports and state surgery, e.g. `ecsenv tf staging -- import ADDRESS ID`, `ecsenv tf "
                    "staging -- state list`, `ecsenv tf staging -- force-unlock LOCK_ID`. Not recorded as an apply.")
    environment_argument(tf)
    tf.add_argument("terraform_args", nargs=argparse.REMAINDER, metavar="-- ARGS",
                    help="terraform's command and arguments, after --")
