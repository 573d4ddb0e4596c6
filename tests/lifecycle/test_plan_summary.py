"""Counting a plan from terraform's closing lines (bootstrap/lifecycle/plan_summary.py): pure. Whether a plan changes
anything is terraform's exit code; the summary only counts."""

from bootstrap.lifecycle.plan_summary import PlanSummary, summarise, summarise_output


def test_summary_is_read_from_terraforms_closing_lines():
    output = ("  # aws_s3_bucket.a will be created\n  # module.m[\"x\"].aws_iam_role.r must be replaced\n"
              "\x1b[1mPlan:\x1b[0m 1 to import, 2 to add, 0 to change, 1 to destroy.\n")
    summary = summarise_output(output)  # colour codes as a terminal run prints them
    assert summary == PlanSummary(2, 0, 1, 1, (("aws_s3_bucket.a", "create"),
                                               ('module.m["x"].aws_iam_role.r', "delete/create")))
    assert summarise_output("No changes. Your infrastructure matches the configuration.\n") == PlanSummary(
        0, 0, 0, 0, ())
    assert summarise_output("Error: something\n") is None


def test_a_plan_that_only_forgets_resources_counts_them():
    # terraform 1.11's words for a `removed` block with destroy = false; its Plan: line has no forget count
    output = (" # aws_s3_bucket.logs will no longer be managed by Terraform, but will not be destroyed\n"
              " # (destroy = false is set in the configuration)\n"
              "Plan: 0 to add, 0 to change, 0 to destroy.\n")
    summary = summarise_output(output)
    assert summary == PlanSummary(0, 0, 0, 0, (("aws_s3_bucket.logs", "forget"),), forget=1)
    assert summary.counts_anything and str(summary) == "0 to add, 0 to change, 0 to destroy, 1 to forget"
    assert summarise({"resource_changes": [{"address": "aws_s3_bucket.logs",
                                            "change": {"actions": ["forget"]}}]}).forget == 1


def test_an_output_only_plan_counts_nothing_but_is_recognised():
    output = "Changes to Outputs:\n  + release = \"v1\"\n\nSaved the plan to: x.tfplan\n"
    summary = summarise_output(output)
    assert summary == PlanSummary(0, 0, 0, 0, ()) and not summary.counts_anything
