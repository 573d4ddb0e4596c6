"""What `apply` says when it is refused or interrupted (bootstrap/lifecycle/plans.py): pure."""

import json

import pytest

from bootstrap.errors import EXIT_INTERRUPTED, EXIT_USAGE, UserError
from bootstrap.lifecycle import plans
from bootstrap.lifecycle.interrupts import TerraformInterrupted


def test_a_graceful_interrupt_says_the_state_is_saved_and_to_plan_again():
    error = plans.interrupted_apply("qa", TerraformInterrupted("apply", "/r", 1, False, ""))
    assert error.exit_code == EXIT_INTERRUPTED
    text = str(error)
    assert "stopped gracefully" in text and "run `ecsenv plan qa`" in text and "`ecsenv apply qa`" in text
    assert "picks up" not in text


def test_a_forced_interrupt_says_what_may_be_left_and_how_to_repair_it():
    text = str(plans.interrupted_apply("qa", TerraformInterrupted("apply", "/r", 1, True, "")))
    assert "exited at once" in text and "lock may still be held" in text
    assert "`ecsenv tf qa -- force-unlock LOCK_ID`" in text and "`ecsenv tf qa -- import ADDRESS ID`" in text


def test_an_interrupt_before_terraform_started_says_nothing_was_applied():
    text = str(plans.interrupted_apply("qa", TerraformInterrupted("apply", "/r", None, False, "")))
    assert "nothing was applied" in text and "`ecsenv apply qa`" in text


def test_a_dirty_tree_refusal_explains_terraforms_lock_file():
    error = plans.dirty_refusal("qa", ["environments/qa/.terraform.lock.hcl"])
    assert error.exit_code == EXIT_USAGE
    assert "environments/qa/.terraform.lock.hcl: terraform init writes this file" in str(error)
    assert "commit it" in str(error) and "`ecsenv plan qa` again" in str(error)
    assert "terraform init" not in str(plans.dirty_refusal("qa", ["notes.txt"]))


@pytest.mark.parametrize("content", ['{"environment": "qa", "sh', "[]", '{"sha": 7}', ""])
def test_corrupt_plan_metadata_says_to_plan_again(tmp_path, content):
    sha = "c0ffee" * 7
    plan_file, meta_file = plans._plan_paths(tmp_path, "qa", sha)
    (tmp_path / ".ecsenv" / "plans").mkdir(parents=True)
    open(plan_file, "w").close()
    with open(meta_file, "w") as handle:
        handle.write(content)
    with pytest.raises(UserError) as raised:
        plans.saved_plan(tmp_path, "qa", sha)
    assert str(raised.value) == (f"the saved plan's metadata .ecsenv/plans/qa-{sha[:12]}.json is unreadable: "
                                 "run `ecsenv plan qa` again")
    with open(meta_file, "w") as handle:
        json.dump({"sha": sha, "dirty": False}, handle)
    assert plans.saved_plan(tmp_path, "qa", sha)[1]["sha"] == sha
