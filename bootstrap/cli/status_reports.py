"""`status` as a report: JSON fields, and markdown (the convergence table and a Mermaid graph of where each
environment stands on the trunk)."""

from dataclasses import asdict

from bootstrap.cli.reports import code_span, markdown_table


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
    older = [f"{', '.join(labels)} at {code_span(sha[:12])}" for sha, labels in positions.items() if sha not in shown]
    if older:
        lines.append("")
        lines.append(f"Not among the {len(commits)} newest commits of {trunk}: " + "; ".join(older) + ".")
    return "\n".join(lines)


def status_markdown(result, commits=()):
    """The convergence table, the overall verdict, and (given the trunk's recent commits) a Mermaid graph."""
    from bootstrap.cli.display import applied_text, format_attempt

    trunk = result.get("trunk", "main")
    rows = []
    for status in result["environments"]:
        services = "<br>".join(
            f"{s.name} {code_span((s.app_sha or '')[:12])} {s.rollout or '-'} {s.running}/{s.desired}"
            for s in status.services) or "-"
        verdict = status.verdict if status.verdict != "converged" else "✅ converged"
        rows.append({"environment": status.environment, "infra": code_span((status.infra_sha or "")[:12]),
                     "applied": applied_text(status), "services": services,
                     "deploy": format_attempt(status.last_deploy) if status.last_deploy else None,
                     "verdict": verdict + (f": {status.detail}" if status.detail else "")})
    overall = (f"**Converged**: every environment runs {trunk}'s HEAD." if result["converged"]
               else "**Not converged.**")
    parts = [f"### ecsenv status: {trunk} at {code_span((result['main'] or '')[:12])}",
             markdown_table(rows, [("environment", "Environment"), ("infra", "Infra"), ("applied", "Applied"),
                                   ("services", "Services (app, rollout, running)"), ("deploy", "Last deploy"),
                                   ("verdict", "Verdict")]), overall]
    if commits:
        parts.append(status_mermaid(result, commits))
    return "\n\n".join(parts) + "\n"
