"""The package as a user installs it: a wheel built from this checkout, installed (not editable) into a fresh
virtualenv outside the checkout, runs `ecsenv init --plan`, `ecsenv init` and `ecsenv render` against the moto
server. This proves the top-level templates/ directory is packaged (as bootstrap/templates), and the stack `init
--scaffold` writes (the repository's own modules/, environments/, .github/workflows/, maskfile.md, as
bootstrap/stack), and nothing reads files from the checkout."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ACCOUNT

REPO = Path(__file__).resolve().parents[2]
ANSWERS = f"""\
project: wheelhouse
region: eu-south-2
environments: [qa, live]
locking: lockfile
bucket: wheelhouse-state-{ACCOUNT}
tags: {{team: packaging}}
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The `ecsenv` console script of a fresh virtualenv holding only the wheel and its dependencies."""
    work = tmp_path_factory.mktemp("wheel")
    wheels = work / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(REPO)],
                   check=True, cwd=work, timeout=300)
    (wheel,) = wheels.glob("ecsenv-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)], check=True,
                   cwd=work, timeout=600)
    return venv / "bin" / "ecsenv"


def run(ecsenv, cwd, *args):
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([str(ecsenv), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def test_a_wheel_installed_outside_the_checkout_plans_inits_and_renders(installed, aws_env, tmp_path):
    project = tmp_path / "elsewhere"
    project.mkdir()
    (project / "answers.yaml").write_text(ANSWERS)

    where = run(installed, project, "--version")
    assert where.returncode == 0, where.stderr
    located = subprocess.run([str(installed.parent / "python"), "-c",
                              "import bootstrap, sys; sys.stdout.write(bootstrap.__file__)"],
                             capture_output=True, text=True, cwd=project, check=True)
    assert not located.stdout.startswith(str(REPO)), "the installed package must not be the checkout's"

    planned = run(installed, project, "init", "--plan", "--scaffold", "--answers", "answers.yaml")
    assert planned.returncode == 3, planned.stdout + planned.stderr  # changes pending: nothing exists yet
    assert "wheelhouse-state" in planned.stdout and "environments/qa/backend.s3.tfbackend" in planned.stdout

    def tracked(folder):  # the stack the wheel ships is the checkout's, file for file
        return len(subprocess.run(["git", "-C", str(REPO), "ls-files", folder], capture_output=True, text=True,
                                  check=True).stdout.split())

    for line in (f"will create              modules/ ({tracked('modules')} files)",
                 f"environments/global_aws/ ({tracked('environments/global_aws')} files)",
                 f"environments/live/ ({tracked('environments/staging')} files)",
                 f".github/workflows/ ({tracked('.github/workflows')} files)", "maskfile.md"):
        assert line in planned.stdout, line

    applied = run(installed, project, "init", "--answers", "answers.yaml", "--yes", "--scaffold")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    backend = (project / "environments" / "live" / "backend.s3.tfbackend").read_text()
    assert 'key          = "live/terraform.tfstate"' in backend or "live/terraform.tfstate" in backend
    for path in ("modules/cluster/main.tf", "environments/global_aws/.terraform.lock.hcl", "environments/qa/main.tf",
                 "environments/live/variables.tf", ".github/workflows/pull_request.yml", "maskfile.md"):
        assert (project / path).is_file(), f"{path}: not in the wheel's stack"
    assert (project / "environments" / "qa" / "main.tf").read_text() == \
        (REPO / "environments" / "staging" / "main.tf").read_text()
    assert 'APP_ENV = "live"' in (project / "environments" / "live" / "env.auto.tfvars").read_text()

    (project / "environments" / "qa" / "backend.s3.tfbackend").unlink()
    rendered = run(installed, project, "render")
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    assert (project / "environments" / "qa" / "backend.s3.tfbackend").exists()
    assert run(installed, project, "render", "--check").returncode == 0
