"""Reading an environment's ECS services: the cluster name, the service documents (DescribeServices takes at most
ten services per call on AWS), and the PRIMARY deployment of a service. The one home of these reads for deploy,
status and secrets."""

from bootstrap.aws import call, pages

DESCRIBE_SERVICES_LIMIT = 10  # ECS DescribeServices: "You may specify up to 10 services to describe."


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
    """The service documents of a cluster ([] when there is no such cluster)."""
    ecs = aws.client("ecs")
    doing = f"listing the services of cluster {cluster}"
    arns = pages(ecs, "list_services", "serviceArns", doing, missing=("ClusterNotFoundException", "ClientException"),
                 cluster=cluster)
    if not arns:
        return []
    return describe(ecs, cluster, arns, doing)[0]


def primary_deployment(service):
    """The service's PRIMARY deployment ({} when the document lists none)."""
    return next((d for d in service.get("deployments", []) if d.get("status") == "PRIMARY"), {})
