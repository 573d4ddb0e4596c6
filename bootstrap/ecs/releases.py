"""Which release a rollback or a promotion deploys: for a rollback, the last commit that was deployed AND healthy
before the current one (from the deploy history in the ledger); for a promotion, the images running healthy in the
environment promoted from, checked digest by digest."""

from bootstrap.aws import call
from bootstrap.ecs.images import AppImages, ecr_reference, image_digest
from bootstrap.ecs.services import primary_deployment
from bootstrap.errors import UserError
from bootstrap.ledger.history import FAILED, SUCCEEDED, read_history


def rollback_choice(history, services=None):
    """(target, current, skipped) from a ledger.history.History: `current` is the commit of the newest attempt that
    may have changed a service (whatever its outcome); `target` the newest commit before it whose deploy or rollback
    succeeded (rollout COMPLETED), never `current` nor a commit a later rollback went back from, so running
    rollback twice never goes forward to the bad commit again. `skipped`: the commits passed over as bad.
    With `services`, only attempts that touched one of them count."""
    current, bad = None, []
    for attempt in history.newest_first():
        if services and attempt.services and not set(services) & set(attempt.services):
            continue
        if current is None:
            if attempt.outcome == FAILED and not (attempt.ended or {}).get("updated"):
                continue  # it failed before updating any service: it changed nothing
            current = attempt.sha
        elif attempt.sha != current and attempt.sha not in bad and attempt.outcome == SUCCEEDED:
            return attempt.sha, current, bad
        if attempt.kind == "rollback" and attempt.rolled_back_from and attempt.rolled_back_from not in bad:
            bad.append(attempt.rolled_back_from)
    return None, current, bad


def rollback_target(state_aws, config, environment, to=None, services=None):
    """(sha to deploy, sha rolled back from) for `ecsenv rollback`; --to wins when given."""
    history = read_history(state_aws, config.state.bucket, environment)
    target, current, bad = rollback_choice(history, services)
    if to:
        return to, current
    if target is None:
        if current is None:
            raise UserError(f"no deploy of {environment} is recorded: name the commit with --to SHA")
        passed = [sha[:12] for sha in bad if sha != current]
        raise UserError(f"no commit deployed healthy to {environment} before {current[:12]} is recorded"
                        + (f" (rolled back from: {', '.join(passed)})" if passed else "")
                        + ": name the commit with --to SHA")
    return target, current


def promotion_images(source_aws, config, environment):
    """(sha, {service: {container: image}}, source) running healthy in the environment `environment` promotes from
    (read through `source_aws`, that environment's own connection); digests must match what will be deployed.
    Raises when the source is not healthy or runs more than one commit. Only app containers count (AppImages)."""
    from bootstrap.ecs.deploy import environment_services

    source = config.environments[environment].promotes_from
    if not source:
        raise UserError(f"{environment} does not promote from another environment (set promotes_from in "
                        "ecsenv.yaml)")
    ecs = source_aws.client("ecs")
    app = AppImages.of(config)
    images, shas = {}, set()  # images: {service: {container: image}}
    for name, service in environment_services(source_aws, config, source).items():
        primary = primary_deployment(service)
        if primary.get("rolloutState") not in ("COMPLETED", None) or \
                service.get("runningCount", 0) < service.get("desiredCount", 0):
            raise UserError(f"{source} is not healthy: {name} rollout {primary.get('rolloutState')}, "
                            f"{service.get('runningCount', 0)}/{service.get('desiredCount', 0)} running. "
                            "Promote once it has completed")
        definition = call(ecs.describe_task_definition, taskDefinition=service["taskDefinition"],
                          doing=f"reading the task definition {source}'s {name} runs")["taskDefinition"]
        for container in app.containers(definition["containerDefinitions"]):
            reference = ecr_reference(container["image"])
            if reference[3] is None:
                raise UserError(f"{source}'s {name}: container {container['name']} runs an image pinned by digest "
                                f"({container['image']}), which names no commit: deploy a commit to it first")
            images.setdefault(name, {})[container["name"]] = container["image"]
            shas.add(reference[3])
    if len(shas) != 1:
        raise UserError(f"{source} runs {len(shas)} different commits ({', '.join(sorted(shas)) or 'none'}): "
                        "deploy one commit to all its services first")
    return shas.pop(), images, source


def same_digests_as(aws, source_aws, source_images):
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
                if image_digest(aws, image) != image_digest(source_aws, source[container]):
                    raise UserError(f"{plan.service}: container {container}: {image} is not the image the source "
                                    f"runs ({source[container]}): their digests differ")
    return verify
