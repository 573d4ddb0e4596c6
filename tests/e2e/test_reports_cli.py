"""`--format markdown|json` end to end: real terraform against the moto server, in the git repo test_lifecycle makes."""

import json
import textwrap

from test_lifecycle import commit, git, repo, run  # noqa: F401 - repo is the fixture

from bootstrap.cli.plan_reports import OUTPUT_END, PLAN_MARKER


def test_plan_markdown_calls_out_a_destroy_and_status_markdown_shows_where_staging_stands(repo, capsys):  # noqa: F811
    first = git(repo, "rev-parse", "HEAD")
    code, out, err = run(capsys, "plan", "staging", "--format", "markdown")
    assert code == 3, err
    assert out.startswith(PLAN_MARKER)  # stdout is the report alone; terraform's output went to stderr
    assert "terraform_data.release will be created" in err
    assert f"| staging | `{first[:12]}` | 1 | 0 | 0 | changes |" in out
    assert "**Create** (1)\n- `terraform_data.release`" in out and "[!WARNING]" not in out
    assert "Plan: 1 to add, 0 to change, 0 to destroy." in out and out.rstrip().endswith(OUTPUT_END)
    assert run(capsys, "apply", "staging")[0] == 0

    (repo / "environments" / "staging" / "main.tf").write_text(textwrap.dedent("""\
        terraform {
          backend "s3" {}
        }
        """))
    second = commit(repo, "drop the release")
    code, out, err = run(capsys, "plan", "staging", "--format", "markdown")
    assert code == 3, err
    assert "> This plan **destroys 1 resource** in staging: `terraform_data.release`" in out
    assert out.index("**Destroy** (1)") < out.index("<details>")

    code, out, err = run(capsys, "plan", "staging", "--json")
    document = json.loads(out)
    assert document["format_version"] == 1
    assert document["resources"] == [{"address": "terraform_data.release", "action": "delete"}]

    code, out, err = run(capsys, "status", "--format", "markdown")
    assert code == 3, err
    assert f"### ecsenv status: main at `{second[:12]}`" in out and "**Not converged.**" in out
    assert f'  commit id: "{first[:7]}" tag: "staging"' in out
    assert f'  commit id: "{second[:7]}"\n```' in out  # the newest commit, with no environment at it
    assert json.loads(run(capsys, "status", "--format", "json")[1])["format_version"] == 1


def test_drift_reports_in_every_format(repo, capsys):  # noqa: F811
    assert run(capsys, "plan", "staging")[0] == 3
    assert run(capsys, "apply", "staging")[0] == 0
    code, out, err = run(capsys, "drift", "staging", "--format", "markdown")
    assert code == 0, err
    assert out.startswith("### ecsenv drift: staging") and "| staging | 0 | 0 | no drift |" in out
    code, out, err = run(capsys, "drift", "staging", "--json")
    assert code == 0 and json.loads(out) == {"format_version": 1, "environment": "staging", "drifted": False,
                                             "drift": [], "made_by_deploys": []}
    code, out, err = run(capsys, "env", "list", "--format", "markdown")
    assert code == 0 and "| staging | us-east-1 |" in out
