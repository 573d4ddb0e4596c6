"""Reports for machines and for the places teams read them: `--format json` (one object per command, with a
`format_version`) and `--format markdown` (GitHub pull-request comments and job summaries). Pure functions of the
commands' results: no I/O, no AWS, no git."""

import json
import re
from dataclasses import asdict

FORMATS = ("text", "json", "markdown")
FORMAT_VERSION = 1  # raised when a JSON field changes meaning or goes away (new fields do not raise it)

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


def to_json(document):
    """The JSON every `--format json` prints: the command's document with the format version first."""
    return json.dumps({"format_version": FORMAT_VERSION, **document}, indent=2, default=str)


def _cell(value):
    text = "-" if value is None or value == "" else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(rows, columns):
    """A GitHub table; columns are (key, heading) pairs, like display.format_table's."""
    lines = ["| " + " | ".join(heading for _, heading in columns) + " |",
             "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(_cell(row.get(key)) for key, _ in columns) + " |" for row in rows]
    return "\n".join(lines)


def _code(text):
    return f"`{text}`" if text else "-"


def fenced(text, language="text"):
    """A code block whose fence is longer than any run of backticks inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"


# ------------------------------------------------------------------------------------------------- plan

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
                     f" in {result.environment}: " + ", ".join(_code(address) for address in gone))
        lines.append("")
    for heading, addresses in grouped_changes(resources):
        lines.append(f"**{heading}** ({len(addresses)})")
        lines.extend(f"- {_code(address)}" for address in addresses)
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
    return f"### ecsenv plan: {result.environment} at {_code(result.sha[:12])}{dirty}"


def _plan_row(result):
    summary = result.summary
    return {"environment": result.environment, "sha": _code(result.sha[:12]), "add": summary.add,
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


# ------------------------------------------------------------------------------------------------- drift

def drift_document(environment, real, deploys):
    def items(pairs):
        return [{"address": address, "changed": list(changed)} for address, changed in pairs]
    return {"environment": environment, "drifted": bool(real), "drift": items(real), "made_by_deploys": items(deploys)}


def drift_text(environment, real, deploys):
    lines = [f"expected (made by a deploy): {address}: {', '.join(changed)}" for address, changed in deploys]
    lines += [f"drift: {address}: {', '.join(changed)}" for address, changed in real]
    if real:
        lines.append(f"{len(real)} resource{'s' if len(real) != 1 else ''} changed outside Terraform in "
                     f"{environment}. `ecsenv plan {environment}` shows what Terraform would set back (attributes "
                     f"the code does not set are left as they are); to keep a change, write it into the code, or "
                     f"record the real values in the state with `ecsenv tf {environment} -- apply -refresh-only`.")
    else:
        lines.append(f"No drift in {environment}" + (" beyond what deploys changed." if deploys else "."))
    return "\n".join(lines)


def drift_markdown(environment, real, deploys):
    verdict = f"**drifted** ({len(real)})" if real else "no drift"
    lines = [f"### ecsenv drift: {environment}", "",
             markdown_table([{"environment": environment, "drift": len(real), "deploys": len(deploys),
                              "verdict": verdict}],
                            [("environment", "Environment"), ("drift", "Changed outside Terraform"),
                             ("deploys", "Changed by deploys (expected)"), ("verdict", "Result")]), ""]
    if real:
        lines.append("**Changed outside Terraform**")
        lines += [f"- {_code(address)}: {', '.join(changed)}" for address, changed in real]
        lines += ["", f"`ecsenv plan {environment}` shows what Terraform would set back; to keep a change, write "
                      f"it into the code, or record it with `ecsenv tf {environment} -- apply -refresh-only`.", ""]
    if deploys:
        lines.append("**Changed by deploys (expected, not drift)**")
        lines += [f"- {_code(address)}: {', '.join(changed)}" for address, changed in deploys]
        lines.append("")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------- status

def status_document(result):
    return {"main": result["main"], "trunk": result.get("trunk", "main"), "converged": result["converged"],
            "environments": [asdict(status) for status in result["environments"]]}


def _positions(result):
    """{sha: [labels]}: where each environment's infra and (when different) its services' app commits stand."""
    positions = {}
    for status in result["environments"]:
        apps = {service.app_sha for service in status.services if service.app_sha}
        if status.infra_sha and apps <= {status.infra_sha}:
            positions.setdefault(status.infra_sha, []).append(status.environment)
            continue
        if status.infra_sha:
            positions.setdefault(status.infra_sha, []).append(f"{status.environment} infra")
        for app in sorted(apps):
            positions.setdefault(app, []).append(f"{status.environment} app")
    return positions


def status_mermaid(result, commits):
    """A Mermaid gitGraph of the trunk's recent commits (oldest first), each tagged with the environments at it.
    commits: [(sha, subject)], newest first (git log's order). Environments at older commits are listed after."""
    trunk = result.get("trunk", "main")
    positions = _positions(result)
    lines = ["```mermaid", f"%%{{init: {{'gitGraph': {{'mainBranchName': '{trunk}'}}}}}}%%", "gitGraph"]
    shown = set()
    for sha, _subject in reversed(commits):
        labels = positions.get(sha)
        tag = f' tag: "{", ".join(labels)}"' if labels else ""
        lines.append(f'  commit id: "{sha[:7]}"{tag}')
        shown.add(sha)
    lines.append("```")
    older = [f"{', '.join(labels)} at {_code(sha[:12])}" for sha, labels in positions.items() if sha not in shown]
    if older:
        lines.append("")
        lines.append(f"Not among the {len(commits)} newest commits of {trunk}: " + "; ".join(older) + ".")
    return "\n".join(lines)


def status_markdown(result, commits=()):
    """The convergence table, the overall verdict, and (given the trunk's recent commits) a Mermaid graph."""
    from bootstrap.cli.display import format_attempt

    trunk = result.get("trunk", "main")
    rows = []
    for status in result["environments"]:
        services = "<br>".join(f"{s.name} {_code((s.app_sha or '')[:12])} {s.rollout or '-'} {s.running}/{s.desired}"
                               for s in status.services) or "-"
        verdict = status.verdict if status.verdict != "converged" else "✅ converged"
        rows.append({"environment": status.environment, "infra": _code((status.infra_sha or "")[:12]),
                     "applied": f"{status.applied_at} by {status.applied_by.rsplit('/', 1)[-1]}"
                     if status.applied_at else None, "services": services,
                     "deploy": format_attempt(status.last_deploy) if status.last_deploy else None,
                     "verdict": verdict + (f": {status.detail}" if status.detail else "")})
    overall = (f"**Converged**: every environment runs {trunk}'s HEAD." if result["converged"]
               else "**Not converged.**")
    parts = [f"### ecsenv status: {trunk} at {_code((result['main'] or '')[:12])}",
             markdown_table(rows, [("environment", "Environment"), ("infra", "Infra"), ("applied", "Applied"),
                                   ("services", "Services (app, rollout, running)"), ("deploy", "Last deploy"),
                                   ("verdict", "Verdict")]), overall]
    if commits:
        parts.append(status_mermaid(result, commits))
    return "\n\n".join(parts) + "\n"


# ------------------------------------------------------------------------------------------------- env, secrets

ENVIRONMENT_COLUMNS = [("name", "Environment"), ("region", "Region"), ("account_id", "Account"),
                       ("promotes_from", "Promotes from"), ("state", "State")]


def environments_markdown(rows):
    return "### ecsenv environments\n\n" + markdown_table(rows, ENVIRONMENT_COLUMNS) + "\n"


def secrets_document(project, environment, declared):
    return {"project": project, "environment": environment, "secrets": [asdict(entry) for entry in declared]}


def secret_rows(declared):
    return [{"name": entry.name, "value": "set" if entry.has_value else "not set", "changed": entry.last_changed}
            for entry in declared]


def secrets_markdown(project, environment, declared):
    rows = secret_rows(declared)
    for row in rows:
        row["value"] = "set" if row["value"] == "set" else "**not set**"
    table = markdown_table(rows, [("name", "Secret"), ("value", "Value"), ("changed", "Last changed")]) if rows \
        else "No secrets are declared."
    return f"### ecsenv secrets: {project} {environment}\n\n{table}\n"
