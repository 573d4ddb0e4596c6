"""The status reports of --format json|markdown, from status results built by hand (the renderers are pure)."""

import json

from bootstrap.cli import reports, status_reports
from bootstrap.lifecycle.status import EnvironmentStatus, ServiceStatus

SHA = "7c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d"
OLD = "0f9e8d7c6b5a49382716f5e4d3c2b1a098765432"


def _status():
    qa = EnvironmentStatus("quillhaven-qa", infra_sha=SHA, applied_at="2026-11-28T10:00:00+00:00",
                           applied_by="arn:aws:sts::000000000000:assumed-role/ci/run", verdict="converged",
                           services=[ServiceStatus("web", SHA, "COMPLETED", 2, 2, False)])
    prod = EnvironmentStatus("quillhaven-prod", infra_sha=OLD, verdict="behind", detail="infra 1 commit behind",
                             services=[ServiceStatus("web", SHA, "COMPLETED", 1, 1, False)])
    lost = EnvironmentStatus("quillhaven-dr", infra_sha="1" * 40, verdict="behind")
    return {"main": SHA, "trunk": "trunk", "converged": False, "environments": [qa, prod, lost]}


def test_status_markdown_has_the_table_and_a_mermaid_graph_of_where_environments_stand():
    text = status_reports.status_markdown(_status(), [(SHA, "Add the jobs queue"), (OLD, "First")])
    assert "| quillhaven-qa | `7c1d2e3f4a5b` | 2026-11-28T10:00:00+00:00 by run |" in text
    assert "**Not converged.**" in text
    graph = text[text.index("```mermaid"):]
    assert "'mainBranchName': 'trunk'" in graph and "gitGraph" in graph
    lines = graph.splitlines()
    assert lines.index('  commit id: "0f9e8d7" tag: "quillhaven-prod infra"') < \
        lines.index('  commit id: "7c1d2e3" tag: "quillhaven-qa, quillhaven-prod app"')  # oldest first
    assert "Not among the 2 newest commits of trunk: quillhaven-dr at `111111111111`." in text
    json.loads(reports.to_json(status_reports.status_document(_status())))  # dataclasses serialise
