"""The reports of --format json|markdown common to every command, and the small ones (drift, environments,
secrets), from results built by hand (the renderers are pure)."""

import pytest

from bootstrap.cli import reports
from bootstrap.cli.parser import build_parser
from bootstrap.ecs.secrets import DeclaredSecret


def test_every_report_command_takes_format_and_json_stays_its_alias():
    parser = build_parser()
    for argv in (["status"], ["plan", "qa"], ["plan", "--all"], ["drift", "qa"], ["env", "list"],
                 ["secret", "list", "qa"]):
        assert parser.parse_args(argv).format == "text"
        assert parser.parse_args([*argv, "--json"]).format == "json"
        assert parser.parse_args([*argv, "--format", "markdown"]).format == "markdown"
    assert reports.FORMATS == ("text", "json", "markdown")


def test_a_plan_output_with_backticks_gets_a_longer_fence():
    assert reports.fenced("a ``` b").startswith("````text\n")


def test_drift_markdown_separates_real_drift_from_deploys():
    text = reports.drift_markdown("quillhaven-qa", [("aws_s3_bucket.uploads", ["acl", "tags"])],
                                  [("module.web.aws_ecs_service.this", ["task_definition"])])
    assert "**drifted** (1)" in text
    assert text.index("Changed outside Terraform**") < text.index("`aws_s3_bucket.uploads`: acl, tags") \
        < text.index("Changed by deploys (expected, not drift)**")
    assert "no drift" in reports.drift_markdown("quillhaven-qa", [], [])


def test_environment_and_secret_markdown():
    rows = [{"name": "quillhaven-qa", "region": "eu-north-1", "account_id": "000000000000", "promotes_from": None,
             "state": "s3://b/qa/terraform.tfstate"}]
    assert "| quillhaven-qa | eu-north-1 | 000000000000 | - | s3://b/qa/terraform.tfstate |" in \
        reports.environments_markdown(rows)
    declared = [DeclaredSecret("DB_URL", "q/qa/DB_URL", "arn:x", False, None)]
    assert "| DB_URL | **not set** | - |" in reports.secrets_markdown("quillhaven", "quillhaven-qa", declared)


@pytest.mark.parametrize("cell", ["a|b", "line\nbreak"])
def test_table_cells_cannot_break_the_table(cell):
    row = reports.markdown_table([{"x": cell}], [("x", "X")]).splitlines()[2]
    assert row.count(" | ") == 0 and "\n" not in row
