"""The plan reports of --format json|markdown, from plan results built by hand (the renderers are pure)."""

import json

from bootstrap.cli import plan_reports, reports
from bootstrap.errors import OperationFailed
from bootstrap.lifecycle.plan_summary import PlanSummary, summarise_output
from bootstrap.lifecycle.plans import PlanResult

SHA = "7c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d"

PLAN_OUTPUT = """module.web.aws_ecs_service.this: Refreshing state... [id=arn:aws:ecs:eu-north-1:000000000000:service/x]

Terraform will perform the following actions:

  # aws_sqs_queue.jobs will be created
  + resource "aws_sqs_queue" "jobs" {
      + name = "quillhaven-jobs"
    }

  # aws_s3_bucket.uploads will be destroyed
  - resource "aws_s3_bucket" "uploads" {
      - bucket = "quillhaven-uploads"
    }

  # aws_security_group.web must be replaced
-/+ resource "aws_security_group" "web" {
      ~ name = "web" -> "web-2" # forces replacement
    }

  # aws_ecs_cluster.main will be updated in-place
  ~ resource "aws_ecs_cluster" "main" {
      ~ tags = {}
    }

Plan: 2 to add, 1 to change, 2 to destroy.
"""


def planned(environment="quillhaven-qa", output=PLAN_OUTPUT, sha=SHA):
    return PlanResult(environment, sha, False, True, summarise_output(output), 4.2, (), output)


def test_json_documents_carry_the_format_version():
    document = json.loads(reports.to_json(plan_reports.plan_document(planned())))
    assert document["format_version"] == reports.FORMAT_VERSION == 1
    assert (document["add"], document["change"], document["destroy"]) == (2, 1, 2)
    assert {"address": "aws_s3_bucket.uploads", "action": "delete"} in document["resources"]
    drift = json.loads(reports.to_json(reports.drift_document("quillhaven-qa", [("aws_s3_bucket.b", ["acl"])], [])))
    assert drift["format_version"] == 1 and drift["drifted"] is True


def test_plan_markdown_lists_destroys_first_and_calls_them_out():
    text = plan_reports.plan_markdown(planned())
    assert text.startswith(plan_reports.PLAN_MARKER)
    assert "| quillhaven-qa | `7c1d2e3f4a5b` | 2 | 1 | **2** | changes |" in text
    assert "> [!WARNING]" in text and "destroys 2 resources" in text
    order = [text.index(heading) for heading in ("**Destroy** (1)", "**Replace (destroy and create)** (1)",
                                                 "**Create** (1)", "**Update in place** (1)")]
    assert order == sorted(order)
    assert text.index("`aws_s3_bucket.uploads`") < text.index("`aws_sqs_queue.jobs`")
    details = text[text.index("<details>"):]
    assert "Plan: 2 to add" in details and "Refreshing state" not in text  # refresh chatter left out
    assert "</details>" in details and "Cut to fit" not in text


def test_a_plan_without_destroys_has_no_warning():
    output = "  # aws_sqs_queue.jobs will be created\nPlan: 1 to add, 0 to change, 0 to destroy.\n"
    text = plan_reports.plan_markdown(planned(output=output))
    assert "[!WARNING]" not in text and "**Create** (1)" in text and "Destroy" in text  # the table's heading only


def test_a_long_plan_is_cut_to_githubs_comment_limit_with_a_note():
    resources = "".join(f'  # aws_sqs_queue.q{n} will be created\n  + resource "aws_sqs_queue" "q{n}" {{\n'
                        f'      + name = "{"x" * 60}"\n    }}\n\n' for n in range(1500))
    output = resources + "Plan: 1500 to add, 0 to change, 0 to destroy.\n"
    assert len(output) > plan_reports.GITHUB_COMMENT_LIMIT
    text = plan_reports.plan_markdown(planned(output=output))
    assert len(text) <= plan_reports.GITHUB_COMMENT_LIMIT
    assert "Cut to fit GitHub's 65536-character comment limit" in text
    assert text.rstrip().endswith(plan_reports.OUTPUT_END)  # the <details> block and its fence still close
    assert text.count("```") % 2 == 0 and "</details>" in text


def test_plan_all_markdown_has_one_table_and_a_failed_environment_says_why():
    results = {"global_aws": PlanResult("global_aws", SHA, False, False, PlanSummary(0, 0, 0, 0, ()), 1.0, (),
                                        "No changes."),
               "quillhaven-qa": planned(),
               "quillhaven-prod": OperationFailed("terraform plan failed in environments/prod (exit 1):\nError: x")}
    text = plan_reports.plan_all_markdown(results)
    assert text.count("| Environment |") == 1
    assert "| quillhaven-prod | - | - | - | - | failed: terraform plan failed in environments/prod (exit 1): |" in text
    assert "Error: x" in text and "destroys 2 resources** in quillhaven-qa" in text
    assert len(plan_reports.plan_all_markdown(results, limit=1500)) <= 1500


def test_plan_all_shares_the_limit_between_long_plans_and_closes_every_block():
    resources = "".join(f"  # aws_sqs_queue.q{n} will be created\n" + "      + x = 1\n" * 20 for n in range(400))
    output = resources + "Plan: 400 to add, 0 to change, 0 to destroy.\n"
    results = {name: planned(name, output) for name in ("quillhaven-qa", "quillhaven-uat", "quillhaven-prod")}
    text = plan_reports.plan_all_markdown(results)
    assert len(text) <= plan_reports.GITHUB_COMMENT_LIMIT
    assert text.count("<details>") == text.count("</details>") == 3
    assert text.count("Cut to fit GitHub's 65536-character comment limit") == 3
