"""The embedded emulator's commands: local start, stop, status."""

from bootstrap.cli.parser.building import command, exit_codes, group


def add_commands(commands):
    local_commands = group(commands, "local", "action", aws=False,
                           help="start, stop or show the embedded local AWS emulator",
                           description="A moto server on 127.0.0.1 for this project, running in the background "
                                       "until stopped; its endpoint is kept in .ecsenv/local.json. Use it with "
                                       "`ecsenv --local COMMAND`. It keeps everything in memory: after a stop, "
                                       "the emulated account starts empty.")
    start = command(local_commands, "start", exit_codes("0 running (started, or already)", "1 it did not start",
                                                        "2 a bad or unsafe .ecsenv/ file"), aws=False,
                    help="start this project's emulator (if it is not running)")
    start.add_argument("--lenient", action="store_true",
                       help="plain moto, without the strict layer that answers as AWS documents where moto "
                            "does not (ECS rollouts that take time and can fail, PITR and new buckets not ready at "
                            "once, DescribeServices' 10-service limit)")
    command(local_commands, "stop", exit_codes("0 stopped, or none was running", "2 a bad or unsafe .ecsenv/ file"),
            aws=False, help="stop this project's emulator; everything it held is gone")
    command(local_commands, "status", exit_codes("0 running", "2 a bad .ecsenv/local.json", "3 not running"),
            aws=False, help="is this project's emulator running, and where")
