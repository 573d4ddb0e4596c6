"""What ecsenv needs to find in AWS for an environment, from the environment's own Terraform outputs: read once from
its state object in the state bucket (docs/stack.md, "The contract"). A repository whose cluster, services or secrets
are named its own way works as long as its root has these outputs; the naming convention of this stack is only the
fallback for a root that has not been applied yet or lacks an output.

Outputs read (all optional):
- `cluster_name`: the ECS cluster (fallback `<project>-<environment>`);
- `services`: {name: {service_name, task_definition_family, ...}} (fallback: every service of the cluster);
- `secret_arns`: {NAME: arn} of the secrets the environment declares (fallback: found by their `ecsenv:*` tags);
- `log_group_name`: the services' CloudWatch log group.
"""

import json
import threading
from dataclasses import dataclass, field

from bootstrap.aws import call
from bootstrap.ecs.services import cluster_name
from bootstrap.errors import OperationFailed

CLUSTER, SERVICES, SECRETS, LOG_GROUP = "cluster_name", "services", "secret_arns", "log_group_name"
# A state that is not there, or that this caller may not read (an environment in another account than the state
# bucket, a deploy role without the state's KMS key): the naming convention stands in, as documented.
NOT_AVAILABLE = ("NoSuchKey", "404", "NotFound", "AccessDenied", "403", "KMS.AccessDeniedException")


@dataclass(frozen=True)
class EnvironmentOutputs:
    environment: str
    cluster: str
    services: dict = field(default_factory=dict)  # name -> the output's map for it ({} when not known)
    secret_arns: dict = field(default_factory=dict)
    log_group: str | None = None
    from_state: bool = False  # False: nothing was read from a state (the naming convention stands in)


def from_state_document(config, environment, document):
    """EnvironmentOutputs of a Terraform state document (pure)."""
    outputs = (document or {}).get("outputs") or {}

    def value(name, expected, default):
        found = (outputs.get(name) or {}).get("value", default)
        return found if isinstance(found, expected) else default

    return EnvironmentOutputs(
        environment=environment,
        cluster=value(CLUSTER, str, "") or cluster_name(config.project, environment),
        services=value(SERVICES, dict, {}),
        secret_arns=value(SECRETS, dict, {}),
        log_group=value(LOG_GROUP, str, None),
        from_state=bool(outputs),
    )


_memo_lock = threading.Lock()


def read_outputs(aws, config, environment):
    """The environment's outputs, read from its state object once per command (a missing state: the fallback)."""
    key = ("outputs", config.state.bucket, config.state_key(environment))
    with _memo_lock:
        if key in aws.memo:
            return aws.memo[key]
    bucket, state_key = key[1:]
    answer = call(aws.client("s3", config.state.region).get_object, Bucket=bucket, Key=state_key, missing=NOT_AVAILABLE,
                  doing=f"reading the Terraform outputs of {environment} (s3://{bucket}/{state_key})")
    document = None
    if answer is not None:
        try:
            document = json.loads(answer["Body"].read())
        except ValueError:
            raise OperationFailed(f"the state of {environment} (s3://{bucket}/{state_key}) is not JSON") from None
    result = from_state_document(config, environment, document)
    with _memo_lock:
        aws.memo[key] = result
    return result


def environment_cluster(aws, config, environment):
    """The environment's ECS cluster: its `cluster_name` output, else `<project>-<environment>`."""
    return read_outputs(aws, config, environment).cluster
