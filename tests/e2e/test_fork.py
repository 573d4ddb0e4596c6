"""A fork, end to end through the ecsenv console script: this repository copied as it is, `ecsenv --local init` with
a project name, AWS account and region that appear nowhere in the repository, then plan/apply global_aws and
staging, an image pushed under the commit, a deploy, and `ecsenv status` converged, with zero edits to the stack
(only the files init generates are new). One applied environment, on the project's own embedded emulator."""

import json
import os
import subprocess

import pytest
from conftest import LocalProject

from bootstrap.project import layout, render

pytestmark = pytest.mark.terraform

# The fork's identity. The emulator is in ACCOUNT (moto's MOTO_ACCOUNT_ID), so ecsenv.yaml records it from STS.
PROJECT, ACCOUNT, REGION = "tarnwick", "730914268551", "ap-northeast-3"
THIS_FILE = os.path.relpath(os.path.abspath(__file__), LocalProject.REPO)
GENERATED = {layout.BACKEND_FILE, render.IDENTITY_FILE}  # what init writes into each root


def test_the_identity_appears_nowhere_in_the_repository():
    for word in (PROJECT, ACCOUNT, REGION):
        result = subprocess.run(["git", "-C", LocalProject.REPO, "grep", "-l", "-i", "-F", word, "--", ".",
                                 f":(exclude){THIS_FILE}"], capture_output=True, text=True, timeout=60)
        assert result.returncode == 1 and not result.stdout, f"{word!r} is in {result.stdout.split()}"


def test_a_fork_with_its_own_identity_converges_with_no_edit_to_the_stack(local_project, tmp_path):
    project = local_project(ACCOUNT)
    fork = project.git("rev-parse", "HEAD")
    answers = tmp_path / "answers.yaml"
    answers.write_text(f"project: {PROJECT}\nregion: {REGION}\nenvironments: [staging]\n")
    init = project.run("--local", "init", "--answers", str(answers), "--yes")
    assert f"AWS account {ACCOUNT}" in init.stdout
    project.commit(f"ecsenv init: {PROJECT}")
    assert project.run("--local", "check").stdout.startswith("Clean")

    for environment in ("global_aws", "staging"):
        plan = project.run("--local", "plan", environment, expect=(3,))
        assert "0 to change, 0 to destroy." in plan.stdout
        project.run("--local", "apply", environment)

    sha = project.git("rev-parse", "HEAD")
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2,
                           "digest": "sha256:" + sha.ljust(64, "0")}, "layers": []}
    project.emulator_client("ecr", REGION).put_image(repositoryName=f"{PROJECT}/web", imageTag=sha,
                                                     imageManifest=json.dumps(manifest))
    project.run("--local", "secret", "set", "staging", "APP_SECRET_KEY", stdin="fork-secret\n")
    deploy = project.run("--local", "deploy", "staging", "--sha", sha, "--timeout", "120")
    assert f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{PROJECT}/web:{sha}" in deploy.stdout

    report = json.loads(project.run("--local", "status", "--json").stdout)
    assert report["converged"] is True, report
    assert {entry["environment"]: entry["verdict"] for entry in report["environments"]} == {
        "global_aws": "converged", "staging": "converged"}
    (web,) = next(entry for entry in report["environments"] if entry["environment"] == "staging")["services"]
    assert web["app_sha"] == sha and web["running"] == web["desired"] == 1
    assert "Converged: code, and every environment, run main's HEAD." in project.run("--local", "status").stdout

    # Nothing under environments/ or modules/ was edited: the only changes since the fork are new generated files.
    assert project.git("status", "--porcelain") == ""
    changes = [line.split("\t") for line in project.git("diff", "--name-status", fork, "HEAD").splitlines()]
    stack = [(status, path) for status, path in changes if path.startswith(("environments/", "modules/"))]
    assert stack and all(status == "A" and os.path.basename(path) in GENERATED for status, path in stack), stack
