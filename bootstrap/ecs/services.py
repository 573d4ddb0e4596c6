"""Reading an environment's ECS services: the cluster name, the service documents (DescribeServices takes at most
ten services per call on AWS), the PRIMARY deployment of a service, and whether ecsenv can deploy a service at all
(ECS's rolling deployments only). The one home of these reads for deploy, status and secrets."""

from bootstrap.aws import call, pages

DESCRIBE_SERVICES_LIMIT = 10  # ECS DescribeServices: "You may specify up to 10 services to describe."
ROLLING = "ROLLING"


def cluster_name(project, environment):
    """The ECS cluster of an environment, as modules/cluster names it (the documented fallback of docs/stack.md)."""
    return f"{project}-{environment}"


def chunks(items, size=DESCRIBE_SERVICES_LIMIT):
    return [items[start:start + size] for start in range(0, len(items), size)]


def describe(ecs, cluster, names, doing):
    """(services, failures) of DescribeServices for any number of names, asked ten at a time."""
    services, failures = [], []
    for chunk in chunks(list(names)):
        answer = call(ecs.describe_services, cluster=cluster, services=chunk, doing=doing)
        services += answer.get("services", [])
        failures += answer.get("failures", [])
    return services, failures


def describe_services(aws, cluster):
    """The service documents of a cluster: None when there is no such cluster (in this connection's account and
    region), [] when it has no service. Any other error (access denied, throttling) is raised, never taken for
    "no services"."""
    ecs = aws.client("ecs")
    doing = f"listing the services of cluster {cluster} in {aws.region or 'the default region'}"
    arns = pages(ecs, "list_services", "serviceArns", doing, missing=("ClusterNotFoundException",), cluster=cluster)
    if arns is None:
        return None
    if not arns:
        return []
    return [service for service in describe(ecs, cluster, arns, doing)[0] if service.get("status") != "INACTIVE"]


def describe_named(aws, cluster, names):
    """(service documents, names not found) of the named services of a cluster, without listing it first (one
    DescribeServices per ten names); None when there is no such cluster. An INACTIVE service is not found."""
    ecs = aws.client("ecs")
    doing = f"describing services {', '.join(names)} of cluster {cluster} in {aws.region or 'the default region'}"
    services = []
    for chunk in chunks(list(names)):
        answer = call(ecs.describe_services, cluster=cluster, services=chunk, missing=("ClusterNotFoundException",),
                      doing=doing)
        if answer is None:
            return None
        services += [service for service in answer.get("services", []) if service.get("status") != "INACTIVE"]
    found = {service["serviceName"] for service in services}
    return services, [name for name in names if name not in found]


def primary_deployment(service):
    """The service's PRIMARY deployment ({} when the document lists none)."""
    return next((d for d in service.get("deployments", []) if d.get("status") == "PRIMARY"), {})


def family_of(task_definition_arn):
    """The family of a task definition ARN (`...:task-definition/<family>:<revision>`) or `family:revision`."""
    return task_definition_arn.rsplit("/", 1)[-1].rsplit(":", 1)[0]


def undeployable_reason(service):
    """Why ecsenv cannot deploy this service by UpdateService with a new task definition, or None.

    - A deployment controller other than ECS: with CODE_DEPLOY, UpdateService may not change the task definition
      (a CodeDeploy deployment does); with EXTERNAL, task sets carry it
      (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html).
    - ECS's native BLUE_GREEN, LINEAR and CANARY strategies (deploymentConfiguration.strategy, 2025): their progress and
      outcome are told by the service-deployment API and lifecycle hooks, which ecsenv does not follow, so it refuses
      rather than report half of one. ROLLING (the default when absent) is what ecsenv follows."""
    controller = (service.get("deploymentController") or {}).get("type") or "ECS"
    if controller != "ECS":
        return (f"its deployment controller is {controller} (ecsenv deploys only services with the ECS controller; "
                + ("deploy it through CodeDeploy)" if controller == "CODE_DEPLOY" else "deploy it with its task sets)"))
    strategy = (service.get("deploymentConfiguration") or {}).get("strategy") or ROLLING
    if strategy != ROLLING:
        return (f"it uses ECS's {strategy} deployment strategy (ecsenv follows only ROLLING deployments; deploy it "
                "with `aws ecs update-service` and follow it with `aws ecs describe-service-deployments`)")
    return None


def refuse_undeployable(services):
    """UserError naming every service ecsenv cannot deploy (service documents), before anything changes."""
    from bootstrap.errors import UserError

    problems = [f"{service['serviceName']}: {reason}" for service in services
                if (reason := undeployable_reason(service))]
    if problems:
        raise UserError("nothing was changed: " + "; ".join(problems))
