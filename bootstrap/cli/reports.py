"""Reports for machines and for the places teams read them: `--format json` (one object per command, with a
`format_version`) and `--format markdown` (GitHub pull-request comments and job summaries). Pure functions of the
commands' results: no I/O, no AWS, no git. This module: the JSON envelope, markdown pieces, and the small reports
(drift, environments, secrets); plan_reports.py and status_reports.py hold the larger ones."""

import json
import re
from dataclasses import asdict

FORMATS = ("text", "json", "markdown")
FORMAT_VERSION = 1  # raised when a JSON field changes meaning or goes away (new fields do not raise it)


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


def code_span(text):
    return f"`{text}`" if text else "-"


def fenced(text, language="text"):
    """A code block whose fence is longer than any run of backticks inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"


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
        lines += [f"- {code_span(address)}: {', '.join(changed)}" for address, changed in real]
        lines += ["", f"`ecsenv plan {environment}` shows what Terraform would set back; to keep a change, write "
                      f"it into the code, or record it with `ecsenv tf {environment} -- apply -refresh-only`.", ""]
    if deploys:
        lines.append("**Changed by deploys (expected, not drift)**")
        lines += [f"- {code_span(address)}: {', '.join(changed)}" for address, changed in deploys]
        lines.append("")
    return "\n".join(lines)


def drift_all_document(results):
    """`drift --all --format json`: every environment's drift document, or its error."""
    environments = []
    for environment, result in results.items():
        if isinstance(result, Exception):
            environments.append({"environment": environment, "drifted": None, "error": str(result)})
        else:
            environments.append(drift_document(environment, *result))
    return {"environments": environments, "drifted": any(item["drifted"] for item in environments),
            "failed": [item["environment"] for item in environments if "error" in item]}


def drift_all_markdown(results):
    """`drift --all --format markdown`: one report for a scheduled job's summary, environments that failed first."""
    failed = {name: result for name, result in results.items() if isinstance(result, Exception)}
    lines = ["## ecsenv drift", ""]
    for environment, error in failed.items():
        lines += [f"### ecsenv drift: {environment}", "", f"**failed**: {code_span(str(error).splitlines()[0])}", ""]
    lines += [drift_markdown(environment, *result) for environment, result in results.items()
              if environment not in failed]
    return "\n".join(lines)


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
