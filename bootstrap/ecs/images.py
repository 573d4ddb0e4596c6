"""Container image references: which are ECR images, their repository and tag, the same image at another tag, and
which containers run the project's own app images (the ones a deploy retags). image_digest is the one AWS read; the
rest is pure."""


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


ROLE_LABEL = "ecsenv.role"  # the stack labels every container app, init or sidecar (docs/stack.md, the contract)
APP_ROLES = ("app", "init")  # init containers run the app's own image (migrations): they take the commit too


class AppImages:
    """Which containers run the project's own app images. A container the stack labels (`ecsenv.role`) says so
    itself: app and init containers do, sidecars never. Otherwise its image decides: ECR repositories named in
    ecsenv.yaml's `app_repositories`, or, when that is not set, every ECR repository named `<project>/...` (how the
    stack's ecr-repositories module names them). Anything else (nginx:1.27, public.ecr.aws/..., an ECR repository
    of another team) is a sidecar: deploys leave its image exactly as it is."""

    def __init__(self, project, repositories=None):
        self.project, self.repositories = project, (set(repositories) if repositories else None)

    @classmethod
    def of(cls, config):
        return cls(config.project, getattr(config, "app_repositories", None))

    def owns(self, image):
        reference = ecr_reference(image or "")
        if reference is None:
            return False
        repository = reference[2]
        if self.repositories is not None:
            return repository in self.repositories
        return repository.startswith(f"{self.project}/")

    def owns_container(self, container):
        """Whether a container definition is an app container (its label first, then its image)."""
        role = (container.get("dockerLabels") or {}).get(ROLE_LABEL)
        if role is not None:
            return role in APP_ROLES and ecr_reference(container.get("image") or "") is not None
        return self.owns(container.get("image"))

    def describe(self):
        """The rule, for messages."""
        if self.repositories is not None:
            listed = ", ".join(sorted(self.repositories))
            return f"the ECR repositories listed in ecsenv.yaml's app_repositories ({listed})"
        return f"ECR repositories named {self.project}/... (set app_repositories in ecsenv.yaml to choose)"

    def containers(self, container_definitions):
        """The app containers of a task definition, in order."""
        return [container for container in container_definitions if self.owns_container(container)]


def app_tag(container_definitions, app_images=None):
    """The tag of the first app image in a task definition: the app commit it runs (sidecars and digest-pinned images
    do not name a commit). Without `app_images`, the first ECR image. None when there is none."""
    for container in container_definitions:
        image = container.get("image", "")
        if app_images is not None and not app_images.owns_container(container):
            continue
        reference = ecr_reference(image)
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
