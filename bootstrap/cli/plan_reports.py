"""`plan` as a report: JSON fields, and markdown for a pull-request comment (destroys first and called out, the full
plan folded, within GitHub's comment limit)."""

import re
from dataclasses import asdict

from bootstrap.cli.reports import code_span, fenced, markdown_table

# GitHub refuses a comment (and truncates a job summary step) above 65536 characters:
# https://docs.github.com/en/actions/using-workflows/workflow-commands-for-github-actions#step-isolation-and-limits
GITHUB_COMMENT_LIMIT = 65536
PLAN_MARKER = "<!-- ecsenv-plan -->"  # the pull-request workflow finds its one comment by this
# The plan output sits between these, so a job combining several environments' reports can drop it to fit.
OUTPUT_START, OUTPUT_END = "<!-- ecsenv-plan-output -->", "<!-- /ecsenv-plan-output -->"

ANSI = re.compile(r"\x1b\[[0-9;]*m")
# terraform's refresh chatter: one line per resource read, before the plan itself
REFRESH_LINE = re.compile(r"^\S.*: (Refreshing state\.\.\.|Reading\.\.\.|Read complete after )")

# (heading, the actions it groups), destroys first: what a reviewer must not miss comes first
ACTION_GROUPS = (("Destroy", ("delete",)), ("Replace (destroy and create)", ("delete/create", "create/delete")),
                 ("Create", ("create",)), ("Update in place", ("update",)), ("Import", ("import",)),
                 ("Forget (removed from the state, not destroyed)", ("forget",)))


def plan_document(result):
    """One environment's plan as JSON fields (the shape `plan --json` had, plus the resources)."""
    summary = asdict(result.summary)
    summary["resources"] = [{"address": address, "action": action} for address, action in result.summary.resources]
    return {"environment": result.environment, "sha": result.sha, "dirty": result.dirty, "changes": result.changes,
            **summary}


def plan_all_document(rows):
    """`plan --all`: the table's rows (display.plan_row), one per environment."""
    return {"environments": rows, "changes": any(row["result"] == "changes" for row in rows),
            "failed": [row["environment"] for row in rows if row["result"].startswith("failed")]}


def grouped_changes(resources):
    """[(heading, [addresses])] in ACTION_GROUPS order, only groups with members; unknown actions last."""
    known = {action for _, actions in ACTION_GROUPS for action in actions}
    groups = [(heading, [address for address, action in resources if action in actions])
              for heading, actions in ACTION_GROUPS]
    other = [f"{address} ({action})" for address, action in resources if action not in known]
    groups.append(("Other", other))
    return [(heading, addresses) for heading, addresses in groups if addresses]


def destroyed(resources):
    """Addresses a plan destroys, replacements included."""
    return [address for address, action in resources if "delete" in action.split("/")]


def plan_output_text(output):
    """terraform's plan output as shown in a report: no colour codes, no refresh chatter."""
    lines = ANSI.sub("", output or "").splitlines()
    return "\n".join(line for line in lines if not REFRESH_LINE.match(line)).strip()


def _changes_section(result):
    resources = result.summary.resources
    lines = []
    gone = destroyed(resources)
    if gone:
        lines.append(f"> [!WARNING]\n> This plan **destroys {len(gone)} resource{'s' if len(gone) != 1 else ''}**"
                     f" in {result.environment}: " + ", ".join(code_span(address) for address in gone))
        lines.append("")
    for heading, addresses in grouped_changes(resources):
        lines.append(f"**{heading}** ({len(addresses)})")
        lines.extend(f"- {code_span(address)}" for address in addresses)
        lines.append("")
    if not resources:
        lines.append("No resource changes." if not result.changes else "No resource changes (only outputs).")
        lines.append("")
    return "\n".join(lines)


def _output_section(environment, text, budget):
    """The plan output folded in <details>, cut to `budget` characters (the whole section) with a note saying
    so; "" when not even the note fits."""
    def section(body, note=""):
        return (f"{OUTPUT_START}\n<details><summary>Full plan of {environment}</summary>\n\n{fenced(body)}\n{note}"
                f"\n</details>\n{OUTPUT_END}\n")

    whole = section(text)
    if len(whole) <= budget:
        return whole
    note = (f"\n_Cut to fit GitHub's {GITHUB_COMMENT_LIMIT}-character comment limit: the full plan is in the "
            "job's log, and `ecsenv plan " + environment + "` prints it._\n")
    room = budget - len(section("", note)) - 1
    if room <= 0:
        return ""
    cut = text[:room].rsplit("\n", 1)[0] if "\n" in text[:room] else text[:room]
    return section(cut + "\n…", note)


def _plan_heading(result):
    dirty = " (dirty work tree)" if result.dirty else ""
    return f"### ecsenv plan: {result.environment} at {code_span(result.sha[:12])}{dirty}"


def _plan_row(result):
    summary = result.summary
    return {"environment": result.environment, "sha": code_span(result.sha[:12]), "add": summary.add,
            "change": summary.change, "destroy": f"**{summary.destroy}**" if summary.destroy else 0,
            "result": "changes" if result.changes else "no changes"}


PLAN_COLUMNS = [("environment", "Environment"), ("sha", "Commit"), ("add", "Add"), ("change", "Change"),
                ("destroy", "Destroy"), ("result", "Result")]


def plan_markdown(result, output=None, limit=GITHUB_COMMENT_LIMIT):
    """One environment's plan: heading, summary table, changes grouped by action (destroys first, called out),
    the full plan folded; at most `limit` characters, the plan output cut first."""
    head = "\n\n".join([PLAN_MARKER, _plan_heading(result), markdown_table([_plan_row(result)], PLAN_COLUMNS),
                        _changes_section(result)])
    text = plan_output_text(output if output is not None else getattr(result, "output", ""))
    return head + "\n" + (_output_section(result.environment, text, limit - len(head) - 1) if text else "")


def plan_all_markdown(results, limit=GITHUB_COMMENT_LIMIT):
    """`plan --all`: one table, then per environment its changes and its folded plan, the outputs sharing what is
    left of `limit` equally. results: {environment: PlanResult or the error it failed with}."""
    rows, sections, outputs = [], [], []
    for environment, result in results.items():
        if isinstance(result, Exception):
            first = (str(result).splitlines() or [type(result).__name__])[0]
            rows.append({"environment": environment, "result": f"failed: {first}"})
            sections.append(f"#### {environment}: failed\n\n{fenced(str(result))}\n")
            outputs.append(None)
            continue
        rows.append(_plan_row(result))
        sections.append(f"#### {environment}\n\n{_changes_section(result)}")
        outputs.append((environment, plan_output_text(getattr(result, "output", ""))))
    head = "\n\n".join([PLAN_MARKER, "### ecsenv plan: every environment", markdown_table(rows, PLAN_COLUMNS)])
    fixed = len(head) + sum(len(section) + 2 for section in sections)
    with_output = [item for item in outputs if item and item[1]]
    share = (limit - fixed) // len(with_output) if with_output else 0
    parts = [head]
    for section, item in zip(sections, outputs):
        parts.append(section)
        if item and item[1]:
            parts[-1] += "\n" + _output_section(item[0], item[1], share - 1)
    return "\n\n".join(parts)[:limit]
