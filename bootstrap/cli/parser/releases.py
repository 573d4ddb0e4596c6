"""The release commands: deploy, rollback, promote."""

from bootstrap.cli.parser.argument_types import commit_ref
from bootstrap.cli.parser.building import command, environment_argument, exit_codes, pre_deploy_option, rollout_options


def add_commands(commands):
    deploy = command(
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
    environment_argument(deploy)
    what = deploy.add_mutually_exclusive_group(required=True)
    what.add_argument("--sha", type=commit_ref, help="the commit whose image to deploy (its full SHA is the tag)")
    what.add_argument("--force-unlock", action="store_true", help="remove the environment's deploy lock (after "
                      "showing its holder; asks on a terminal, needs --yes otherwise); deploys nothing")
    deploy.add_argument("-y", "--yes", action="store_true", help="with --force-unlock: do not ask")
    pre_deploy_option(deploy)
    rollout_options(deploy)

    rollback = command(
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
    environment_argument(rollback)
    rollback.add_argument("--to", metavar="COMMIT", type=commit_ref,
                          help="the commit to go back to: a SHA, a prefix of at least 7 characters, or a git ref")
    rollback.add_argument("-y", "--yes", action="store_true",
                          help="go back across releases whose pre-deploy step ran without asking")
    rollout_options(rollback)

    promote = command(
        commands, "promote", exit_codes("0 promoted", "1 failed, rolled back by ECS, timed out, the pre-deploy "
                                        "step failed (nothing changed), or another deploy holds the lock",
                                        "2 refused or bad input, before anything changed"),
        help="deploy exactly what runs (healthy) in the source environment",
        description="Deploys to ENV the app images running in the environment it promotes from (promotes_from in "
                    "ecsenv.yaml), which must have completed its rollout; the images' digests must match. The "
                    "pre-deploy steps of ecsenv.yaml (or --pre-deploy) run in ENV first, as in a deploy.")
    environment_argument(promote)
    pre_deploy_option(promote)
    rollout_options(promote, services=False)
