"""The state backend's maintenance commands: backend migrate-locking."""

from bootstrap.cli.parser.building import command, exit_codes, group


def add_commands(commands):
    backend_commands = group(commands, "backend", "backend_command",
                             help="state backend maintenance (lock migration)")
    migrate = command(
        backend_commands, "migrate-locking", exit_codes("0 done or nothing to do", "1 an AWS call failed",
                                                        "2 refused (an active lock, files changed by hand) or bad "
                                                        "input"),
        help="move from DynamoDB locking to the S3 lockfile, safely, in two runs",
        description="First run (locking dynamodb): switch every backend config to both locks. Second run (locking "
                    "both): once every environment with a state has taken the S3 lockfile, switch to the lockfile "
                    "only. Refused while the lock table holds an active lock. The table is never deleted.")
    migrate.add_argument("--to", choices=("lockfile",), required=True, help="the locking mode to end with")
    migrate.add_argument("--force", action="store_true", help="replace backend configs changed by hand")
