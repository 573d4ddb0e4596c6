"""Container image references (pure)."""

from bootstrap.ecs.images import app_tag, ecr_reference, with_tag


def test_the_app_commit_is_the_tag_of_the_first_ecr_image_not_of_a_sidecar():
    containers = [{"image": "public.ecr.aws/datadog/agent:7"},
                  {"image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme/web:abc123"}]
    assert app_tag(containers) == "abc123"
    assert app_tag([{"image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme/web@sha256:" + "a" * 64}]) is None


def test_an_ecr_reference_names_account_region_repository_and_tag():
    image = "210987654321.dkr.ecr.ap-southeast-4.amazonaws.com/team/api:0123abc"
    assert ecr_reference(image) == ("210987654321", "ap-southeast-4", "team/api", "0123abc")
    assert ecr_reference("nginx:1.27") is None
    assert ecr_reference("public.ecr.aws/nginx/nginx:latest") is None
    assert with_tag(image, "fedcba9") == image.replace("0123abc", "fedcba9")


def test_the_stacks_role_labels_decide_which_containers_take_the_commit():
    from bootstrap.ecs.images import AppImages

    registry = "731902468135.dkr.ecr.ap-southeast-5.amazonaws.com"
    app = {"name": "web", "image": f"{registry}/tindra/web:abc1234", "dockerLabels": {"ecsenv.role": "app"}}
    migrate = {"name": "migrate", "image": f"{registry}/tindra/web:abc1234", "dockerLabels": {"ecsenv.role": "init"}}
    # A sidecar kept in the project's own ECR namespace: by image alone it would look like an app image.
    proxy = {"name": "proxy", "image": f"{registry}/tindra/envoy:v1.31", "dockerLabels": {"ecsenv.role": "sidecar"}}
    unlabelled = {"name": "agent", "image": f"{registry}/tindra/agent:7"}
    images = AppImages("tindra")
    assert [c["name"] for c in images.containers([app, migrate, proxy, unlabelled])] == ["web", "migrate", "agent"]
    assert app_tag([proxy, app], images) == "abc1234"
