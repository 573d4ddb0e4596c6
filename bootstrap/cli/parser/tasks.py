"""The commands for one-off tasks and logs: run, logs."""

from bootstrap.cli.parser.argument_types import image_tag, seconds, service_name, since
from bootstrap.cli.parser.building import command, environment_argument, exit_codes


def add_commands(commands):
    run = command(
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
    environment_argument(run)
    run.add_argument("--service", metavar="NAME", type=service_name,
                     help="the service whose task definition and network to use (required when the environment has "
                          "several)")
    run.add_argument("--sha", type=image_tag, help="run the image of this commit (default: the one the service runs)")
    run.add_argument("--timeout", type=seconds, default=3600, metavar="S",
                     help="stop the task after S seconds (default 3600)")
    run.add_argument("run_command", nargs="*", metavar="-- COMMAND", help="the command and its arguments, after "
                     "-- (everything after it is the command's, options included)")

    logs = command(
        commands, "logs", exit_codes("0 done (also when --follow ends with Ctrl-C)", "1 an AWS call failed",
                                     "2 bad usage or input"),
        help="a service's CloudWatch logs, every task merged in time order",
        description="Reads the service's log streams (the awslogs options of the task definition it runs: group "
                    "and stream prefix), every task and container merged in time order, each line prefixed with "
                    "its time, task id and container. Without SERVICE: every service of ENV.")
    environment_argument(logs)
    logs.add_argument("service", nargs="?", type=service_name, help="the ECS service (default: all of them)")
    logs.add_argument("--since", type=since, default="15m", metavar="WHEN",
                      help="from how long ago (90s, 15m, 2h, 1d) or an ISO 8601 time (default 15m)")
    logs.add_argument("--follow", "-f", action="store_true", help="keep printing new lines until Ctrl-C")
    logs.add_argument("--sha", type=image_tag, help="only the tasks running this commit (running, or stopped "
                      "within the last hour)")
