"""The Python <-> Terraform contract (docs/stack.md, "The contract"), read from both sides: the Terraform is parsed
(python-hcl2) and compared with the constants the Python side uses. A rename on one side fails here, not in a
deploy."""

import pathlib
import re

import hcl2
import pytest

from bootstrap.ecs import deploy, images, outputs, secrets
from bootstrap.ecs.services import cluster_name
from bootstrap.ledger import keys as ledger_keys

ROOT = pathlib.Path(__file__).resolve().parent.parent
ENVIRONMENTS = ROOT / "environments"
MODULES = ROOT / "modules"


def parsed(directory):
    """Every block of every .tf file in a directory, merged per block type."""
    blocks = {}
    for path in sorted(directory.glob("*.tf")):
        with open(path, encoding="utf-8") as handle:
            for kind, entries in hcl2.load(handle).items():
                blocks.setdefault(kind, []).extend(entries)
    return blocks


def text_of(directory):
    return "\n".join(path.read_text() for path in sorted(directory.rglob("*.tf")))


def application_roots():
    return [path for path in sorted(ENVIRONMENTS.iterdir()) if path.is_dir() and path.name != "global_aws"]


@pytest.mark.parametrize("root", application_roots(), ids=lambda path: path.name)
def test_every_environment_root_has_the_outputs_ecsenv_reads(root):
    declared = {name.strip('"') for entry in parsed(root).get("output", []) for name in entry}
    assert {outputs.CLUSTER, outputs.SERVICES, outputs.SECRETS, outputs.LOG_GROUP} <= declared


def test_the_cluster_fallback_is_the_cluster_modules_own_name():
    cluster = text_of(MODULES / "cluster")
    assert re.search(r'name\s*=\s*"\$\{var\.project\}-\$\{var\.environment\}"', cluster)
    assert cluster_name("acme", "qa") == "acme-qa"


def test_secret_tags_are_the_ones_core_services_puts_on_each_secret():
    core = text_of(MODULES / "core-services")
    for tag in (secrets.TAG_PROJECT, secrets.TAG_ENVIRONMENT, secrets.TAG_SECRET):
        assert f'"{tag}"' in core, tag


def test_container_roles_and_the_first_deploy_count_are_the_labels_and_tags_the_module_writes():
    service = text_of(MODULES / "container-generic")
    for role in ("app", "init", "sidecar"):
        assert f'"{images.ROLE_LABEL}" = "{role}"' in service, role
    assert set(images.APP_ROLES) == {"app", "init"}
    assert f'"{deploy.DESIRED_COUNT_TAG}"' in service


def test_the_ci_roles_grant_exactly_the_ledgers_prefixes():
    roles = text_of(ENVIRONMENTS / "global_aws")
    for prefix in (ledger_keys.APPLIED_PREFIX, ledger_keys.DEPLOYED_PREFIX, ledger_keys.LOCK_PREFIX):
        assert prefix in roles, f"environments/global_aws grants nothing under {prefix}/"
    granted = set(re.findall(r"ecsenv/[a-z-]+", roles))
    assert granted <= {ledger_keys.APPLIED_PREFIX, ledger_keys.DEPLOYED_PREFIX, ledger_keys.LOCK_PREFIX}, granted
