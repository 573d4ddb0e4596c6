"""The project's commands: init, render, env (add, remove, list, policy), check, matrix."""

import argparse

from bootstrap.cli.parser.building import ENVIRONMENT_HELP, command, exit_codes, format_option, group


def add_commands(commands):
    init = command(
        commands, "init", exit_codes("0 applied or already converged", "1 an AWS call failed",
                                     "2 bad input or refused (nothing changed)", "3 changes pending (--plan)"),
        help="create or bring up to spec the state bucket and lock table, write ecsenv.yaml",
        description="Ask the project's settings (or read them from --answers), show the caller identity, print "
                    "the plan for the state bucket and lock table (create / change before -> after / already "
                    "right), and apply it after you confirm. ecsenv.yaml is written only after a successful "
                    "apply. Re-running on a converged account makes no write call.",
        epilog="Non-interactive (stdin not a terminal, --answers or --yes): never prompts; a missing answer "
               "is an error (exit 2) unless --yes accepts the defaults. Answers file keys: project, profile, "
               "region, environments, locking, kms_key_id, bucket, lock_table, tags, github_repository (default: "
               "the git remote `origin` on github.com, else none).\n\n"
               "A repository without Terraform code (no .tf file under modules/ or environments/) can get "
               "ecsenv's whole stack: modules/, environments/global_aws/, environments/NAME/ for each environment "
               "(the same code; env.auto.tfvars holds what differs, e.g. VPC networks that do not overlap), "
               ".github/workflows/ and maskfile.md. The wizard offers it (default yes); without a terminal, or "
               "with --yes, it is written only with --scaffold. Existing files are never overwritten: a workflow "
               "or maskfile.md of your own is kept, and Terraform files that differ refuse the run (exit 2) "
               "before anything is changed.")
    init.add_argument("--answers", metavar="FILE", help="YAML file with the answers (no questions asked)")
    init.add_argument("-y", "--yes", action="store_true", help="accept defaults for unanswered questions and apply "
                      "without asking")
    init.add_argument("--plan", action="store_true", help="only print the changes; write nothing. "
                      "Exit 3 if changes are pending, 0 if converged")
    init.add_argument("--force", action="store_true", help="replace generated files even if changed by hand")
    init.add_argument("--scaffold", action=argparse.BooleanOptionalAction, default=None,
                      help="write ecsenv's Terraform stack and CI workflows into a repository that has no Terraform "
                           "code (see below); --no-scaffold: never. Default: ask on a terminal (yes), else no")
    init.add_argument("--adopt", action="store_true",
                      help="also write environments/global_aws/state_backend.tf: the bucket and table as Terraform "
                           "resources with import blocks and prevent_destroy, so Terraform takes them over")

    render = command(
        commands, "render", exit_codes("0 written or nothing to write", "2 bad ecsenv.yaml, or files changed by hand "
                                       "(diff shown; nothing written)", "3 --check: files would change"),
        aws=False, help="re-render every environment's backend config from ecsenv.yaml",
        description="Write environments/<env>/backend.s3.tfbackend (and global_aws's) from ecsenv.yaml. Only files "
                    "whose content changes are written. A generated file that a person edited is not overwritten: "
                    "the diff is printed and the command exits 2, unless --force.")
    render.add_argument("--force", action="store_true", help="replace files changed by hand")
    render.add_argument("--check", action="store_true", help="write nothing; exit 3 if any file would change")

    env_commands = group(commands, "env", "env_command", aws=False, help="add, remove and list environments",
                         description="Environments are directories under environments/, each one Terraform root "
                                     "with its own state.")
    add = command(
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
    remove = command(
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
    listing = command(env_commands, "list", exit_codes("0 listed", "2 bad ecsenv.yaml"), aws=False,
                      help="environments with their region, account and state key")
    format_option(listing)
    policy = command(
        env_commands, "policy", exit_codes("0 printed", "2 bad ecsenv.yaml or not an environment"), aws=False,
        help="print the least-privilege IAM policy for one environment's state",
        description="An IAM policy document (JSON) allowing only this environment's state key, its .tflock object, "
                    "its lock-table items and the state KMS key: attach it to the environment's CI role.")
    policy.add_argument("name", help="the environment, or global_aws")

    check = command(
        commands, "check", exit_codes("0 clean", "2 unparseable HCL or a bad ecsenv.yaml", "3 findings"), aws=False,
        help="static consistency of environments/ and modules/ (no AWS)",
        description="Checks, with the Terraform files parsed (python-hcl2): every module variable without a default "
                    "is passed by every caller; every environment passes the same arguments to its `deployment` "
                    "module; each environment declares `backend \"s3\"` and has the backend config ecsenv.yaml "
                    "implies. Findings are printed as file:line: message.")
    check.add_argument("--json", action="store_true", help="machine-readable findings")

    matrix = command(
        commands, "matrix", exit_codes("0 printed", "2 a bad ecsenv.yaml or an unknown REF"), aws=False,
        help="the environments as a GitHub Actions matrix (JSON), in promotion order",
        description="Print {\"include\": [{\"environment\": NAME}, ...]}: global_aws first, then each environment "
                    "after the one it promotes from. With --changed-since, only the environments whose root, or a "
                    "local module their root uses, changed since REF (committed or not). Use it as "
                    "`strategy: matrix: ${{ fromJSON(needs.<job>.outputs.matrix) }}`. Reads git only; no AWS.")
    matrix.add_argument("--changed-since", metavar="REF", help="only environments a change since REF touches")
