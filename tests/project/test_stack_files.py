"""The stack `ecsenv init --scaffold` writes (bootstrap/project/stack.py), from the stack ecsenv ships: every
environment's root is the shipped app root, only its data file differs (name, a VPC network overlapping no other),
the workflows name this project's environments, and nothing that exists is overwritten."""

import ipaddress
import re
from pathlib import Path

import pytest

from bootstrap.errors import UserError
from bootstrap.project import layout, networks, render, stack
from bootstrap.project.config import EnvironmentConfig, ProjectConfig, StateConfig
from bootstrap.project.retarget import rename_words

ACCOUNT = "730461925514"
SHIPPED = Path(stack.shipped_dir())


def config(*names):
    environments, previous = {}, None
    for name in names:
        environments[name] = EnvironmentConfig(ACCOUNT, "sa-east-1", promotes_from=previous)
        previous = name
    return ProjectConfig("lumenhub", StateConfig(ACCOUNT, "sa-east-1", f"lumenhub-tfstate-{ACCOUNT}", "lockfile"),
                         environments)


def relative(files, project_dir):
    return {str(Path(path).relative_to(project_dir)): text for path, text in files.items()}


def test_every_environment_gets_the_shipped_root_with_its_own_name_and_network(tmp_path):
    planned = stack.plan_stack(config("dev", "uat", "prod"), str(tmp_path))
    files = relative(planned.files, tmp_path)
    template = SHIPPED / "environments" / "staging"
    for name in ("dev", "uat", "prod"):
        for code in ("main.tf", "variables.tf", layout.LOCK_FILE):  # the same code, byte for byte
            assert files[f"environments/{name}/{code}"] == (template / code).read_text()
        data = files[f"environments/{name}/env.auto.tfvars"]
        assert f'APP_ENV = "{name}"' in data and f"What makes {name} different" in data
        assert not re.search(r"staging|production", data, re.IGNORECASE), data
        assert "ecsenv: review" not in data  # a fresh stack: nobody's values to review
        assert not any(path.endswith((layout.BACKEND_FILE, layout.GENERATED_TFVARS)) for path in files)
    vpcs = [networks.text_networks(files[f"environments/{name}/env.auto.tfvars"])[0] for name in ("dev", "uat", "prod")]
    assert vpcs[0] == networks.root_networks(str(template))[0]  # the first keeps the template's network
    assert all(not a.overlaps(b) for index, a in enumerate(vpcs) for b in vpcs[index + 1:]), vpcs
    assert all(vpc.subnet_of(ipaddress.ip_network("10.0.0.0/8")) for vpc in vpcs)
    assert planned.networks == dict(zip(("dev", "uat", "prod"), vpcs))


def test_modules_global_aws_and_the_maskfile_are_copied_as_shipped(tmp_path):
    files = relative(stack.plan_stack(config("qa", "live"), str(tmp_path)).files, tmp_path)
    shipped_modules = sorted(str(path.relative_to(SHIPPED)) for path in (SHIPPED / "modules").rglob("*.tf"))
    assert sorted(path for path in files if path.startswith("modules/")) == shipped_modules
    for path in ("modules/cluster/main.tf", "environments/global_aws/github_oidc.tf",
                 "environments/global_aws/.terraform.lock.hcl", "maskfile.md"):
        assert files[path] == (SHIPPED / path).read_text()
    assert "environments/staging/main.tf" not in files and "environments/production/main.tf" not in files


def test_the_workflows_name_this_projects_environments(tmp_path):
    files = relative(stack.plan_stack(config("qa", "live"), str(tmp_path)).files, tmp_path)
    deploy, promote = files[".github/workflows/deploy.yml"], files[".github/workflows/promote.yml"]
    assert "ecsenv apply qa" in deploy and "environment: qa" in deploy and "group: deploy-qa" in deploy
    assert "ecsenv apply live" in promote and "environment: live" in promote and "The commit qa applied" in promote
    assert not re.search(r"\b(staging|production)\b", deploy + promote, re.IGNORECASE)

    three = relative(stack.plan_stack(config("dev", "uat", "prod"), str(tmp_path)).files, tmp_path)
    assert ".github/workflows/promote.yml" not in three  # one promote workflow per promoted environment
    assert "environment: uat" in three[".github/workflows/promote-uat.yml"]
    assert "The commit dev applied" in three[".github/workflows/promote-uat.yml"]
    assert "name: promote-prod\n" in three[".github/workflows/promote-prod.yml"]

    single = relative(stack.plan_stack(config("main-env"), str(tmp_path)).files, tmp_path)
    assert not any("promote" in path for path in single)  # nothing is promoted


def test_an_environment_named_like_the_template_keeps_its_values(tmp_path):
    files = relative(stack.plan_stack(config("production", "staging"), str(tmp_path)).files, tmp_path)
    assert 'APP_ENV = "production"' in files["environments/production/env.auto.tfvars"]
    assert 'APP_ENV = "staging"' in files["environments/staging/env.auto.tfvars"]
    assert "ecsenv apply production" in files[".github/workflows/deploy.yml"]  # names swapped in one pass
    assert "environment: staging" in files[".github/workflows/promote.yml"]


def test_rename_words_keeps_case_and_swaps_in_one_pass():
    text = "Staging then production; STAGING; staging2 stays"
    assert rename_words(text, {"staging": "production", "production": "staging"}) == \
        "Production then staging; PRODUCTION; staging2 stays"


def test_has_stack_ignores_what_ecsenv_generates(tmp_path):
    root = tmp_path / "environments" / "global_aws"
    root.mkdir(parents=True)
    for name in (layout.BACKEND_FILE, layout.GENERATED_TFVARS, layout.ADOPTION_FILE):  # an init without the stack
        (root / name).write_text("# generated\n")
    assert not stack.has_stack(str(tmp_path))
    (tmp_path / "modules" / "vpc").mkdir(parents=True)
    (tmp_path / "modules" / "vpc" / "main.tf").write_text("")
    assert stack.has_stack(str(tmp_path))


def test_existing_files_are_never_overwritten(tmp_path):
    project = str(tmp_path)
    (tmp_path / ".gitignore").write_text("node_modules/\n.terraform\n")
    (tmp_path / "maskfile.md").write_text("# our own tasks\n")
    planned = {str(Path(item.path).relative_to(tmp_path)): item for item in stack.planned_files(config("qa"), project)}
    assert planned["maskfile.md"].status == render.FOREIGN  # kept: a repository's own maskfile
    gitignore = planned[".gitignore"]
    assert gitignore.status == render.UPDATE and gitignore.text.startswith("node_modules/\n.terraform\n")
    assert "*.tfstate\n" in gitignore.text and gitignore.text.count(".terraform") == 1  # only the missing lines
    stack.check_conflicts(list(planned.values()), project)  # workflows and the maskfile of its own: fine
    stack.write(list(planned.values()))
    assert (tmp_path / "maskfile.md").read_text() == "# our own tasks\n"
    assert (tmp_path / "modules" / "cluster" / "main.tf").exists()

    again = stack.planned_files(config("qa"), project)  # a re-run: nothing to write
    assert {item.status for item in again} <= {render.UNCHANGED, render.FOREIGN}

    (tmp_path / "modules" / "cluster" / "main.tf").write_text("# ours\n")
    with pytest.raises(UserError, match="modules/cluster/main.tf already exists and differs"):
        stack.check_conflicts(stack.planned_files(config("qa"), project), project)
