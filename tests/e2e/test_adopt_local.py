"""`ecsenv init --adopt` on the embedded emulator, into the stack's real global_aws root: the plan imports the bucket
and the table and adds, changes and destroys nothing, as on AWS. There, init leaves the TLS-only bucket policy out
(moto would enforce its Deny without the condition), so the adoption file must not import one; and the root's
provider default_tags must not turn the bucket's and table's own tags into a change."""

import pytest

pytestmark = pytest.mark.terraform

PROJECT, ACCOUNT, REGION = "brisquell", "604817239905", "ca-central-1"


def test_adopting_the_state_backend_on_the_emulator_imports_and_changes_nothing(local_project, tmp_path):
    project = local_project(ACCOUNT)
    answers = tmp_path / "answers.yaml"
    answers.write_text(f"project: {PROJECT}\nregion: {REGION}\nenvironments: [staging]\n")
    project.run("--local", "init", "--answers", str(answers), "--yes")
    project.commit("ecsenv init")
    project.run("--local", "plan", "global_aws", expect=(3,))
    project.run("--local", "apply", "global_aws")

    project.run("--local", "init", "--yes", "--adopt")
    assert (project.dir / "environments" / "global_aws" / "state_backend.tf").is_file()
    project.commit("ecsenv init --adopt")
    plan = project.run("--local", "plan", "global_aws", expect=(3,))
    # bucket, versioning, encryption, public access block, ownership, lifecycle rules, lock table; no policy
    assert "7 to import, 0 to add, 0 to change, 0 to destroy." in plan.stdout, plan.stdout[-4000:]
    assert "aws_s3_bucket_policy" not in plan.stdout
    project.run("--local", "apply", "global_aws")
    plan = project.run("--local", "plan", "global_aws")
    assert "0 to add, 0 to change, 0 to destroy." in plan.stdout
    assert project.run("--local", "check").stdout.startswith("Clean")
