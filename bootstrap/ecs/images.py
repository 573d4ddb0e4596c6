"""Container image references: which are ECR images, their repository and tag, and the same image at another tag.
image_digest is the one AWS read; the rest is pure."""


def ecr_reference(image):
    """(registry account, region, repository, tag) for an ECR image reference (tag None when pinned by digest),
    else None."""
    if "@" in image:
        name, tag = image.split("@", 1)[0], None
    else:
        name, _, tag = image.rpartition(":")
        if "/" in tag or not name:
            return None
    host, _, repository = name.partition("/")
    parts = host.split(".")
    if len(parts) < 6 or parts[1:3] != ["dkr", "ecr"]:
        return None
    return parts[0], parts[3], repository, tag


def with_tag(image, sha):
    """The same ECR repository at another tag."""
    name = image.split("@", 1)[0] if "@" in image else image.rpartition(":")[0]
    return f"{name}:{sha}"


def app_tag(container_definitions):
    """The tag of the first ECR image in a task definition: the app commit it runs (sidecars from public registries
    and digest-pinned images do not name a commit). None when there is none."""
    for container in container_definitions:
        reference = ecr_reference(container.get("image", ""))
        if reference and reference[3]:
            return reference[3]
    return None


def image_digest(aws, image):
    """The digest of an ECR image reference, or None when no such image exists."""
    from bootstrap.aws import call

    account, region, repository, tag = ecr_reference(image)
    answer = call(aws.client("ecr", region).describe_images, registryId=account, repositoryName=repository,
                  imageIds=[{"imageTag": tag}], missing=("ImageNotFoundException", "RepositoryNotFoundException"),
                  doing=f"looking up image {image}")
    details = (answer or {}).get("imageDetails")
    return details[0]["imageDigest"] if details else None
