"""CloudWatch Logs of ECS tasks: where each container's `awslogs` driver writes, and reading those streams from a time
on, every event once, merged in time order across tasks and containers.

The awslogs driver names a task's stream `<awslogs-stream-prefix>/<container name>/<task id>`
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html), so a service's streams share the
prefix `<prefix>/<container>/` and one task's stream is known as soon as its id is."""

from collections import deque
from dataclasses import dataclass

from bootstrap.aws import call, pages

LOGS_MISSING = ("ResourceNotFoundException",)  # no such group or stream (yet): nothing to read
OVERLAP_MS = 30_000  # re-read this far back on each poll: events reach CloudWatch out of order (ingestion delay)


@dataclass(frozen=True)
class LogSource:
    """Where one container of a task definition logs."""

    group: str
    region: str | None
    prefix: str
    container: str

    @property
    def stream_prefix(self):
        return f"{self.prefix}/{self.container}/"

    def stream(self, task_id):
        return f"{self.stream_prefix}{task_id}"


@dataclass(frozen=True)
class LogLine:
    timestamp: int  # milliseconds since the epoch, as CloudWatch keeps them
    task_id: str
    container: str
    message: str


def task_id(task_arn):
    """The id at the end of a task ARN (both the long `task/<cluster>/<id>` and the old `task/<id>` format)."""
    return task_arn.rsplit("/", 1)[-1]


def sources(definition):
    """The LogSources of a task definition: its containers that log with the awslogs driver and a stream prefix
    (without a prefix the stream names carry no task id, so they cannot be told apart)."""
    found = []
    for container in definition.get("containerDefinitions", []):
        config = container.get("logConfiguration") or {}
        options = config.get("options") or {}
        if config.get("logDriver") == "awslogs" and options.get("awslogs-group") and \
                options.get("awslogs-stream-prefix"):
            found.append(LogSource(options["awslogs-group"], options.get("awslogs-region"),
                                   options["awslogs-stream-prefix"], container["name"]))
    return found


class LogReader:
    """The events of some sources from `start_ms` on: every stream under each source's prefix, or only the streams of
    `task_ids`. Each poll() returns the events not returned before, oldest first; polling again follows the logs."""

    def __init__(self, aws, log_sources, start_ms=None, task_ids=None, keep_last=20):
        self.aws = aws
        self.sources = list(log_sources)
        self.start_ms = start_ms or 0
        self.task_ids = None if task_ids is None else list(task_ids)
        self.watermark = None  # the newest timestamp returned so far
        self.seen = {}  # (group, stream, event id) -> timestamp, for events inside the overlap window
        self.last = deque(maxlen=keep_last)  # the newest lines returned, for a failure message

    def poll(self):
        start = self.start_ms if self.watermark is None else max(self.start_ms, self.watermark - OVERLAP_MS)
        fresh = []
        for source in self.sources:
            for event in self._events(source, start):
                key = (source.group, event["logStreamName"], event["eventId"])
                if key in self.seen:
                    continue
                self.seen[key] = event["timestamp"]
                stream = event["logStreamName"]
                fresh.append(LogLine(event["timestamp"], stream[len(source.stream_prefix):], source.container,
                                     event["message"].rstrip("\n")))
        fresh.sort(key=lambda line: (line.timestamp, line.task_id, line.container))
        if fresh:
            self.watermark = max(self.watermark or 0, fresh[-1].timestamp)
            self.last.extend(fresh)
        if self.watermark is not None:
            self.seen = {key: at for key, at in self.seen.items() if at >= self.watermark - OVERLAP_MS}
        return fresh

    def _events(self, source, start):
        logs = self.aws.client("logs", source.region)
        doing = f"reading log group {source.group}"
        wanted = None if self.task_ids is None else {source.stream(task) for task in self.task_ids}
        if wanted is not None and len(wanted) == 1:
            # One task (`run`): its stream by name. Not there yet is ResourceNotFoundException: nothing to read yet.
            request = {"logStreamNames": sorted(wanted)}
        else:
            # Several tasks by prefix, kept below: one stream named but missing would fail a by-name request whole.
            request = {"logStreamNamePrefix": source.stream_prefix}
        found = pages(logs, "filter_log_events", "events", doing, missing=LOGS_MISSING,
                      logGroupName=source.group, startTime=start, **request) or []
        # Only the streams asked for (an emulator may answer with the whole group).
        return [event for event in found if event["logStreamName"].startswith(source.stream_prefix)
                and (wanted is None or event["logStreamName"] in wanted)]


def last_lines(aws, source, task, count=20):
    """The last `count` messages of one task's stream of one container ([] when it has none)."""
    answer = call(aws.client("logs", source.region).get_log_events, logGroupName=source.group,
                  logStreamName=source.stream(task), limit=count, startFromHead=False, missing=LOGS_MISSING,
                  doing=f"reading the last log lines of task {task}")
    return [event["message"].rstrip("\n") for event in (answer or {}).get("events", [])][-count:]


def service_reader(aws, config, environment, service=None, sha=None, start_ms=None):
    """(LogReader or None, note or None): the log streams of `service` (of every service when None), from
    `start_ms`; with `sha`, only those of the tasks running that commit, as ECS lists them (running tasks, and stopped
    ones for about an hour after they stop)."""
    from bootstrap.ecs.deploy import environment_services
    from bootstrap.ecs.outputs import environment_cluster

    ecs = aws.client("ecs")
    documents = environment_services(aws, config, environment, [service] if service else None)
    found = []
    for name, document in documents.items():
        definition = call(ecs.describe_task_definition, taskDefinition=document["taskDefinition"],
                          doing=f"reading the task definition {name} runs")["taskDefinition"]
        found += [source for source in sources(definition) if source not in found]
    if not found:
        return None, (f"{', '.join(documents)}: no container logs with the awslogs driver and a stream prefix, so "
                      "there are no CloudWatch streams to read")
    task_ids = None
    if sha:
        arns = {document.get("clusterArn") for document in documents.values()} - {None}
        cluster = arns.pop().rsplit("/", 1)[-1] if arns else environment_cluster(aws, config, environment)
        task_ids = tasks_of_commit(aws, cluster, list(documents), sha)
        if not task_ids:
            return None, (f"no task of {', '.join(documents)} runs {sha[:12]} or stopped within the last hour "
                          "(ECS forgets stopped tasks after that): nothing to show")
    return LogReader(aws, found, start_ms, task_ids), None


def tasks_of_commit(aws, cluster, services, sha):
    """The ids of the services' tasks (running, or recently stopped) whose task definition runs the app at `sha`."""
    from bootstrap.ecs.images import app_tag

    ecs = aws.client("ecs")
    arns = []
    for service in services:
        for status in ("RUNNING", "STOPPED"):
            arns += pages(ecs, "list_tasks", "taskArns", f"listing the tasks of {service}", cluster=cluster,
                          serviceName=service, desiredStatus=status)
    tags, ids = {}, []
    for start in range(0, len(arns), 100):  # DescribeTasks takes up to 100 tasks
        for task in call(ecs.describe_tasks, cluster=cluster, tasks=arns[start:start + 100],
                         doing=f"reading the tasks of {', '.join(services)}").get("tasks", []):
            arn = task["taskDefinitionArn"]
            if arn not in tags:
                tags[arn] = app_tag(call(ecs.describe_task_definition, taskDefinition=arn,
                                         doing=f"reading {arn}")["taskDefinition"]["containerDefinitions"])
            if (tags[arn] or "").startswith(sha) and task_id(task["taskArn"]) not in ids:
                ids.append(task_id(task["taskArn"]))
    return ids
