"""The secret commands: secret list, secret set."""

from bootstrap.cli.parser.argument_types import secret_name
from bootstrap.cli.parser.building import command, environment_argument, exit_codes, format_option, group


def add_commands(commands):
    secret_commands = group(commands, "secret", "secret_command",
                            help="list an environment's secrets; set a value (never via argv)",
                            description="Secrets are declared by the stack (modules/core-services) without values, "
                                        "named <project>/<env>/<NAME>. ecsenv finds them by their ecsenv:* tags.")
    secret_list = command(
        secret_commands, "list", exit_codes("0 every secret has a value", "1 an AWS call failed", "2 bad input",
                                            "3 some have none"),
        help="declared secrets, whether each has a value, last changed (never a value)")
    environment_argument(secret_list)
    format_option(secret_list)
    secret_set = command(
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
    environment_argument(secret_set)
    secret_set.add_argument("name", type=secret_name, help="the secret's NAME (see `ecsenv secret list ENV`)")
    secret_set.add_argument("--redeploy", action="store_true", help="restart the services that use it, so they "
                            "read the new value")
