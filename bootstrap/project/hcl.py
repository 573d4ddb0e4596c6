"""HCL literals of Python values, laid out the way `terraform fmt` lays them out (so generated files are fmt-clean).
Registered as jinja2 filters and globals for every template (see render.py)."""

import json
import re

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_KEYWORDS = {"true", "false", "null", "for", "in", "if", "else", "endif", "endfor"}  # never bare object keys


def hcl_string(value):
    """A quoted HCL string whose value is exactly `value`: escapes, and no ${ or %{ template sequences."""
    out = []
    for char in str(value):
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    text = "".join(out).replace("${", "$${").replace("%{", "%%{")
    return f'"{text}"'


def hcl_key(key):
    return key if _IDENTIFIER.match(key) and key not in _KEYWORDS else hcl_string(key)


def hcl_value(value, indent=0):
    """An HCL expression for a JSON-like value; multi-line maps and lists continue at `indent` spaces."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if value is None:
        return "null"
    if isinstance(value, str):
        return hcl_string(value)
    pad = " " * (indent + 2)
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        items = "".join(f"{pad}{hcl_value(item, indent + 2)},\n" for item in value)
        return "[\n" + items + " " * indent + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{\n" + attributes(value.items(), indent + 2, keys=hcl_key) + "\n" + " " * indent + "}"
    raise TypeError(f"no HCL literal for {type(value).__name__}")


def attributes(pairs, indent, keys=str, raw=False):
    """`name = value` lines at `indent`, the `=` aligned over each run of single-line values, as `terraform fmt`
    aligns them (a multi-line value ends a run and is not aligned with its neighbours). Values are HCL literals of
    Python values, or already HCL expressions when raw."""
    rows = [(keys(name), value if raw else hcl_value(value, indent)) for name, value in pairs]
    lines, run = [], []

    def flush():
        width = max((len(name) for name, _ in run), default=0)
        lines.extend(f"{' ' * indent}{name.ljust(width)} = {text}" for name, text in run)
        run.clear()

    for name, text in rows:
        if "\n" in text:
            flush()
            lines.append(f"{' ' * indent}{name} = {text}")
        else:
            run.append((name, text))
    flush()
    return "\n".join(lines)
