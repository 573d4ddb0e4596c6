"""Text the CLI prints: pure functions from results to strings (no I/O here)."""

import os
import sys

SYMBOLS = {"create": "+", "change": "~", "ok": "="}


def use_color(stream=None):
    stream = stream or sys.stdout
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def _paint(text, code, color):
    return f"\033[{code}m{text}\033[0m" if color else text


COLORS = {"create": "32", "change": "33", "ok": "2"}


def format_plan(changes, identity, region, color=False):
    lines = [f"State backend in account {identity.account_id} ({identity.arn}), region {region}:"]
    resource = None
    width = max((len(change.setting) for change in changes), default=0)
    for change in changes:
        if change.resource != resource:
            resource = change.resource
            lines.append(f"  {resource}")
        symbol = SYMBOLS[change.action]
        if change.action == "ok":
            detail = f"already right: {change.before}"
        elif change.action == "create":
            detail = change.after
        else:
            detail = f"{change.before} -> {change.after}"
        lines.append("    " + _paint(f"{symbol} {change.setting:<{width}}  {detail}", COLORS[change.action], color))
    lines.append(summary_line(changes))
    return "\n".join(lines)


def summary_line(changes):
    counts = {action: sum(1 for change in changes if change.action == action) for action in SYMBOLS}
    return f"{counts['create']} to create, {counts['change']} to change, {counts['ok']} already right."
