"""One-off tasks: a command run once from a service's task definition, in the service's network, with its logs
followed until the task stops. `ecsenv run` and the pre-deploy step (predeploy.py) both use it.

Which task definition: the newest ACTIVE revision of the service's family (Terraform's latest settings, like the next
deploy), with the app's own image set to the one the service runs, or to `<repo>:<sha>`. RunTask cannot override an
image (a containerOverride has a command, environment and resources, no image:
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerOverride.html), so when that image differs a
revision is registered in a family of its own, `<family>_oneoff`: the service's family never gets a revision no
deploy rolled out (which `ecsenv status` would report as pending)."""

import os
import time
from dataclasses import dataclass, field

from bootstrap.aws import call
from bootstrap.ecs.images import ROLE_LABEL, ecr_reference, image_digest, with_tag
from bootstrap.ecs.logs import LogReader, sources, task_id
from bootstrap.ecs.outputs import environment_cluster
from bootstrap.errors import OperationFailed, UserError

ONE_OFF_SUFFIX = "_oneoff"  # an underscore: no family the stack names (<project>-<env>-<service>) ends like this
STARTED_BY = "ecsenv-run"  # RunTask startedBy: up to 128 letters, digits, hyphens, slashes and underscores
APP_ROLE_LABEL = ROLE_LABEL  # the stack labels its containers app / init / sidecar


@dataclass
class OneOff:
    """A one-off task to start: where, from which task definition, and which container gets the command."""

    cluster: str
    service: str
    definition: dict  # the task definition document it runs
    container: str  # the app container: its command is replaced
    network: dict | None  # the service's networkConfiguration
    launch: dict = field(default_factory=dict)  # launchType or capacityProviderStrategy, platformVersion
    task_arn: str | None = None

    @property
    def definition_arn(self):
        return self.definition["taskDefinitionArn"]


@dataclass
class TaskEnd:
    task: dict  # the DescribeTasks document of the STOPPED task
    exit_code: int | None  # the app container's; None when it never ran (ECS's stoppedReason says why)
    last_lines: list  # the last LogLines read while following it


def app_container(definition, service):
    """The container that runs the app: labelled ecsenv.role=app by the stack, else named like the service, else the
    first one."""
    containers = definition["containerDefinitions"]
    for container in containers:
        if (container.get("dockerLabels") or {}).get(APP_ROLE_LABEL) == "app":
            return container["name"]
    for container in containers:
        if container["name"] == service:
            return container["name"]
    return containers[0]["name"]


def _same_repository(image, other):
    reference, theirs = ecr_reference(image), ecr_reference(other)
    return bool(reference and theirs and reference[:3] == theirs[:3])


def images_for(definition, app_image):
    """{container: image} of `definition` with every container of the app's own repository on `app_image` (the app
    and init containers that run the app's image; sidecars keep theirs)."""
    return {container["name"]: app_image if _same_repository(container["image"], app_image) else container["image"]
            for container in definition["containerDefinitions"]}


def definition_with_images(aws, definition, images, tags):
    """`definition` itself when its containers already run `images`, else a new revision of its one-off family with
    them (its tags copied: the deploy role may register only tagged task definitions)."""
    from bootstrap.ecs.deploy import REGISTRABLE

    if all(container["image"] == images.get(container["name"], container["image"])
           for container in definition["containerDefinitions"]):
        return definition
    family = definition["family"].removesuffix(ONE_OFF_SUFFIX) + ONE_OFF_SUFFIX
    kwargs = {key: definition[key] for key in REGISTRABLE if definition.get(key) not in (None, [], {})}
    kwargs["family"] = family
    kwargs["containerDefinitions"] = [dict(container, image=images.get(container["name"], container["image"]))
                                      for container in definition["containerDefinitions"]]
    if tags:
        kwargs["tags"] = tags
    return call(aws.client("ecs").register_task_definition, **kwargs,
                doing=f"registering a one-off revision of {definition['family']} ({family})")["taskDefinition"]


def _launch(service):
    """RunTask's launch settings, as the service has them."""
    if service.get("capacityProviderStrategy"):
        launch = {"capacityProviderStrategy": service["capacityProviderStrategy"]}
    else:
        launch = {"launchType": service.get("launchType") or "FARGATE"}
    if service.get("platformVersion") and launch.get("launchType", "FARGATE") == "FARGATE":
        launch["platformVersion"] = service["platformVersion"]
    return launch


def _cluster(aws, service, config, environment):
    """The cluster a service document lives in (the environment's outputs when the document does not say)."""
    arn = service.get("clusterArn")
    return arn.rsplit("/", 1)[-1] if arn else environment_cluster(aws, config, environment)


def _one_service(aws, config, environment, name):
    from bootstrap.ecs.deploy import environment_services

    services = environment_services(aws, config, environment, [name] if name else None)
    if len(services) > 1:
        raise UserError(f"{environment} has several services ({', '.join(services)}): choose one with --service")
    return next(iter(services.values()))


def for_service(aws, config, environment, service=None, sha=None):
    """The OneOff of a service (the only one when `service` is None) with its running image, or the image of `sha`
    (checked to exist before anything is registered)."""
    ecs = aws.client("ecs")
    document = _one_service(aws, config, environment, service)
    name = document["serviceName"]
    running = call(ecs.describe_task_definition, taskDefinition=document["taskDefinition"],
                   doing=f"reading the task definition {name} runs")["taskDefinition"]
    newest = call(ecs.describe_task_definition, taskDefinition=running["family"], include=["TAGS"],
                  doing=f"reading the newest revision of {running['family']}")
    container = app_container(running, name)
    app_image = next(c["image"] for c in running["containerDefinitions"] if c["name"] == container)
    if sha:
        if not ecr_reference(app_image):
            raise UserError(f"{name}'s app container runs {app_image}, not an ECR image: --sha cannot choose it")
        app_image = with_tag(app_image, sha)
        if image_digest(aws, app_image) is None:
            raise UserError(f"image {app_image} does not exist (push it first)")
    definition = newest["taskDefinition"]
    definition = definition_with_images(aws, definition, images_for(definition, app_image), newest.get("tags"))
    return OneOff(_cluster(aws, document, config, environment), name, definition,
                  app_container(definition, name), document.get("networkConfiguration"), _launch(document))


def from_plan(aws, config, environment, service, plan):
    """The OneOff running what a deploy plan (bootstrap.ecs.deploy.ServicePlan) is about to roll out: its task
    definition with the NEW images, before any revision of the service's family is registered."""
    definition = definition_with_images(aws, plan.task_definition, plan.images, plan.tags)
    return OneOff(_cluster(aws, service, config, environment), plan.service, definition,
                  app_container(definition, plan.service), service.get("networkConfiguration"), _launch(service))


def start(aws, one_off, command):
    """RunTask with `command` as the app container's command. Returns the task ARN (also kept on one_off)."""
    kwargs = dict(one_off.launch)
    if one_off.network:
        kwargs["networkConfiguration"] = one_off.network
    answer = call(aws.client("ecs").run_task, cluster=one_off.cluster, taskDefinition=one_off.definition_arn, count=1,
                  startedBy=STARTED_BY, overrides={"containerOverrides": [{"name": one_off.container,
                                                                           "command": list(command)}]},
                  **kwargs, doing=f"starting a one-off task of {one_off.service} in {one_off.cluster}")
    tasks = answer.get("tasks") or []
    if not tasks:
        reasons = "; ".join(f"{failure.get('reason')} ({failure.get('arn', '-')})"
                            for failure in answer.get("failures") or []) or "no reason given"
        raise OperationFailed(f"ECS did not start the one-off task of {one_off.service}: {reasons}")
    one_off.task_arn = tasks[0]["taskArn"]
    return one_off.task_arn


def stop(aws, one_off, reason):
    """StopTask (its reason shows as the task's stoppedReason). Already stopped or gone: nothing to do."""
    call(aws.client("ecs").stop_task, cluster=one_off.cluster, task=one_off.task_arn, reason=reason[:255],
         missing=("InvalidParameterException",), doing=f"stopping task {task_id(one_off.task_arn)}")


def describe_task(aws, cluster, task_arn):
    """The task's document; None while ECS does not list it yet (a task just started may be MISSING for a moment:
    ECS's reads are eventually consistent)."""
    answer = call(aws.client("ecs").describe_tasks, cluster=cluster, tasks=[task_arn],
                  doing=f"following task {task_id(task_arn)}")
    tasks = answer.get("tasks") or []
    return tasks[0] if tasks else None


def container_exit_code(task, container):
    found = next((c for c in task.get("containers", []) if c.get("name") == container), {})
    return found.get("exitCode")


def wait(aws, one_off, timeout, on_log=None, poll_seconds=None):
    """Until the task stops, passing each new log line to on_log. Returns its TaskEnd. When `timeout` seconds pass
    first, the task is stopped and OperationFailed raised."""
    poll = poll_seconds if poll_seconds is not None else float(os.environ.get("ECSENV_POLL_SECONDS", "3"))
    reader = LogReader(aws, sources(one_off.definition), task_ids=[task_id(one_off.task_arn)])
    deadline = time.monotonic() + timeout
    seen = False
    while True:
        task = describe_task(aws, one_off.cluster, one_off.task_arn)
        if task is None and seen:
            raise OperationFailed(f"task {task_id(one_off.task_arn)} is gone from {one_off.cluster}")
        seen = seen or task is not None
        stopped = task is not None and task.get("lastStatus") == "STOPPED"
        for line in reader.poll():  # once more after STOPPED: the last lines may land after the task ended
            if on_log:
                on_log(line)
        if stopped:
            return TaskEnd(task, container_exit_code(task, one_off.container), list(reader.last))
        if time.monotonic() >= deadline:
            stop(aws, one_off, f"ecsenv: timed out after {timeout:g}s")
            raise OperationFailed(f"the one-off task {task_id(one_off.task_arn)} of {one_off.service} did not "
                                  f"finish within {timeout:g}s: stopped it (StopTask)")
        time.sleep(poll)
