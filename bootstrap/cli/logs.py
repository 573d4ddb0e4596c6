"""`ecsenv logs`: a service's (or every service's) CloudWatch log streams, merged in time order, one prefix per task;
--follow polls until Ctrl-C."""

import datetime
import os
import sys
import time

from bootstrap.errors import EXIT_OK


def _format(line):
    at = datetime.datetime.fromtimestamp(line.timestamp / 1000, datetime.timezone.utc)
    return f"{at.strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]}Z [{line.task_id[:8]} {line.container}] {line.message}"


def cmd_logs(ctx):
    from bootstrap.ecs import logs as tasklogs

    config = ctx.config
    ctx.environment(ctx.args.environment)
    aws = ctx.environment_aws(ctx.args.environment)  # the environment's own region and account
    start = datetime.datetime.now(datetime.timezone.utc) - ctx.args.since if isinstance(
        ctx.args.since, datetime.timedelta) else ctx.args.since
    reader, note = tasklogs.service_reader(aws, config, ctx.args.environment, ctx.args.service, ctx.args.sha,
                                           int(start.timestamp() * 1000))
    if note:
        print(f"ecsenv: {note}", file=sys.stderr)
    if reader is None:
        return EXIT_OK
    for line in reader.poll():
        print(_format(line))
    if not ctx.args.follow:
        return EXIT_OK
    poll = float(os.environ.get("ECSENV_POLL_SECONDS", "2"))
    try:
        while True:
            sys.stdout.flush()
            time.sleep(poll)
            for line in reader.poll():
                print(_format(line))
    except KeyboardInterrupt:
        print("", file=sys.stderr)
        return EXIT_OK  # following ends with Ctrl-C: that is how it is used, not a failure


COMMANDS = {"logs": cmd_logs}
