"""Which release a rollback or a promotion deploys: the commit before the current one (from the deploy history in
the ledger), or the images running healthy in the environment promoted from, checked digest by digest."""

from bootstrap import ledger
from bootstrap.aws import call
from bootstrap.ecs.images import ecr_reference, image_digest
from bootstrap.ecs.services import primary_deployment
from bootstrap.errors import UserError


def previous_sha(history):
    """The SHA deployed before the current one (None when there is none)."""
    if not history:
        return None
    current = history[-1]["sha"]
    for entry in reversed(history[:-1]):
        if entry["sha"] != current:
            return entry["sha"]
    return None


def rollback_target(aws, config, environment, to=None):
    if to:
        return to
    target = previous_sha(ledger.read_history(aws, config.state.bucket, environment))
    if target is None:
        raise UserError(f"no earlier deploy of {environment} is recorded: name the commit with --to SHA")
    return target


def promotion_images(aws, config, environment):
    """(sha, {service: image}) running healthy in the environment `environment` promotes from; digests must match
    what will be deployed. Raises when the source is not healthy or runs more than one commit."""
    from bootstrap.ecs.deploy import environment_services

    source = config.environments[environment].promotes_from
    if not source:
        raise UserError(f"{environment} does not promote from another environment (set promotes_from in "
                        "ecsenv.yaml)")
    ecs = aws.client("ecs")
    images, shas = {}, set()  # images: {service: {container: image}}
    for name, service in environment_services(aws, config, source).items():
        primary = primary_deployment(service)
        if primary.get("rolloutState") not in ("COMPLETED", None) or \
                service.get("runningCount", 0) < service.get("desiredCount", 0):
            raise UserError(f"{source} is not healthy: {name} rollout {primary.get('rolloutState')}, "
                            f"{service.get('runningCount', 0)}/{service.get('desiredCount', 0)} running. "
                            "Promote once it has completed")
        definition = call(ecs.describe_task_definition, taskDefinition=service["taskDefinition"],
                          doing=f"reading the task definition {source}'s {name} runs")["taskDefinition"]
        for container in definition["containerDefinitions"]:
            reference = ecr_reference(container["image"])
            if reference:
                if reference[3] is None:
                    raise UserError(f"{source}'s {name} runs an image pinned by digest ({container['image']}), "
                                    "which names no commit: deploy a commit to it first")
                images.setdefault(name, {})[container["name"]] = container["image"]
                shas.add(reference[3])
    if len(shas) != 1:
        raise UserError(f"{source} runs {len(shas)} different commits ({', '.join(sorted(shas)) or 'none'}): "
                        "deploy one commit to all its services first")
    return shas.pop(), images, source


def same_digests_as(aws, source_images):
    """A verify hook for deploy(): every image to deploy must be the very image the source runs in the same
    container (same digest, not only the same tag, so a re-pushed tag or another registry cannot slip in)."""
    def verify(plans):
        for plan in plans:
            source = source_images.get(plan.service)
            if source is None:
                raise UserError(f"{plan.service} does not run in the source environment: nothing to promote")
            for container, image in plan.images.items():
                if container not in source:
                    raise UserError(f"{plan.service}: container {container} does not run in the source environment")
                if image_digest(aws, image) != image_digest(aws, source[container]):
                    raise UserError(f"{plan.service}: {image} is not the image the source runs "
                                    f"({source[container]}): their digests differ")
    return verify
